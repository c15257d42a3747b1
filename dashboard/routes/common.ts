// Helpers shared by the route files: who must be signed in, calling a peer as the user, answering HTML.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallOptions, PeerClient } from '../../lib/http.ts';
import { forwardedClientHeaders } from '../../lib/internal.ts';
import type { Secrets } from '../../lib/secrets.ts';
import { bearer, type Peers } from '../peers.ts';
import type { Me } from '../session.ts';
import { errorPage } from '../views.ts';

export interface RouteDeps {
  peers: Peers;
  secrets: Secrets;
  forgetSession: (token: string) => void;
  /** The registry as clients reach it, for the install commands a package page shows (lib/config.ts). */
  registryOrigin: string;
}

export class RedirectToLogin extends Error {}

/** The signed-in user, or a redirect to the login page (thrown, answered by the error handler). */
export function requireMe(req: FastifyRequest): { me: Me; token: string } {
  const { me, token } = req.session;
  if (!me || !token) throw new RedirectToLogin(req.url);
  return { me, token };
}

export interface ActResult<T> {
  ok: boolean;
  status: number;
  body: T;
  error?: string;
  code?: string;
  details?: unknown;
}

/** A call whose refusals (4xx) come back to the form as messages instead of an error page. */
export async function act<T = Record<string, unknown>>(
  peer: PeerClient,
  req: FastifyRequest,
  path: string,
  o: Omit<CallOptions, 'requestId' | 'passErrors'> = {},
): Promise<ActResult<T>> {
  const r = await peer.call<T>(path, {
    ...o,
    headers: { ...bearer(req.session.token), ...o.headers },
    requestId: req.id,
    passErrors: true,
  });
  if (!r) return { ok: false, status: 404, body: undefined as T, error: 'not found', code: 'NOT_FOUND' };
  if (r.status >= 500) throw Object.assign(new Error(`the ${peer.name} failed (status ${r.status})`), { statusCode: 502 });
  if (r.status >= 400) {
    const b = (r.body ?? {}) as { error?: string; code?: string; details?: unknown };
    return { ok: false, status: r.status, body: r.body, error: b.error ?? `refused (${r.status})`, code: b.code, details: b.details };
  }
  return { ok: true, status: r.status, body: r.body };
}

/**
 * Names the visitor to the main API, which limits logins, sign-ups and token creation per client address and
 * records it in the audit log. Without it every visitor has the dashboard's own address: one visitor spending the
 * login budget (100 wrong passwords a minute) locked every other visitor out. The main API believes
 * x-elide-client-ip only next to the internal token (api/identity-context.ts), so it goes to the main API only.
 */
export const visitorHeaders = (deps: RouteDeps, req: FastifyRequest): Record<string, string> =>
  forwardedClientHeaders(deps.secrets.internalToken, req.ip);

/** GET as the user; 404 -> undefined, other refusals become the error page. */
export function getAs<T>(peer: PeerClient, req: FastifyRequest, path: string): Promise<T | undefined> {
  return peer.get<T>(path, { headers: bearer(req.session.token), requestId: req.id });
}

export function sendHtml(reply: FastifyReply, page: string | Buffer, status = 200) {
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/** Redirect after a successful form (303: the browser follows with GET), with a fixed notice code. */
export function seeOther(reply: FastifyReply, to: string, notice?: string) {
  // The notice goes in the query, before any #fragment: after it, the server never sees it and shows nothing.
  const [target, fragment] = to.split(/(?=#)/);
  const sep = target.includes('?') ? '&' : '?';
  return reply.redirect(notice ? `${target}${sep}notice=${encodeURIComponent(notice)}${fragment ?? ''}` : to, 303);
}

/** Fixed notices, so a crafted link cannot make the dashboard display arbitrary text. */
const NOTICES: Record<string, string> = {
  'token-revoked': 'Token revoked.',
  'action-started': 'Action requested: the status below updates by itself.',
  deployed: 'Deployment started: it is provisioning now.',
  deleted: 'Deleted.',
  saved: 'Saved.',
  'backup-started': 'Backup started.',
  'restore-started': 'Restore started.',
  registered: 'Welcome! Your account is ready.',
  // API tokens outlive a password change (api/accounts.ts: CI keeps working): say so, or a user who changed
  // the password because a token leaked would believe it dead.
  'password-changed': 'Password changed: every other login session was signed out. API tokens keep working: revoke them under API tokens.',
  'logged-out': 'You are logged out.',
  redelivered: 'Redelivery queued.',
  'member-removed': 'Member removed.',
  'org-left': 'You left the organization.',
};
export const noticeOf = (req: FastifyRequest) => NOTICES[String((req.query as Record<string, unknown>)?.notice ?? '')];

export const str = (v: unknown, max = 500) => (typeof v === 'string' ? v.slice(0, max) : '');

/** A form value that a peer stores, forwarded whole (the 64 KB body limit bounds it): the peer checks its
 * length and format, so an over-long value is refused with a message, never stored silently cut. */
export const formText = (v: unknown) => (typeof v === 'string' ? v : '');

/** A number typed in a form; anything else (letters, "1e999", blanks) becomes null, which the peer refuses
 * rather than a default being stored in its place. */
export function formNumber(v: unknown): number | null {
  const s = formText(v).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function notFoundPage(req: FastifyRequest, reply: FastifyReply) {
  return sendHtml(reply, errorPage(req.session?.ctx ?? { csrf: '' }, 404, `There is no page at ${req.url.split('?')[0]}.`), 404);
}
