// The signed-in session and CSRF: the main API's elk_ session token lives only in an httpOnly cookie, and
// every form carries an HMAC of that token (or of a random pre-session id) that a cross-site page cannot know.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { serviceUnavailable } from '../lib/errors.ts';
import type { PeerClient } from '../lib/http.ts';
import type { PageCtx, PageUser } from './views.ts';

export const SESSION_COOKIE = 'elide_session';
export const PRESESSION_COOKIE = 'elide_presession';
const ME_TTL_MS = 5_000;

export interface Me extends PageUser {
  email: string;
  plan: { id: string; name: string; priceCents: number; limits: Record<string, unknown> };
  usage: Record<string, number | null>;
  orgs: { name: string; role: string }[];
}

export interface Session {
  token?: string;
  me?: Me;
  ctx: PageCtx;
  /** Whether cookies get `Secure`: the request came over https, or the dashboard's public URL is https. */
  secureCookies: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session;
  }
}

export function csrfFor(secret: string, key: string): string {
  return createHmac('sha256', secret).update(`dashboard-csrf:${key}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt?: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: req.session.secureCookies,
    expires: expiresAt ? new Date(expiresAt) : undefined,
  });
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: req.session.secureCookies });
}

/**
 * A page's context. The CSRF token (and for a visitor without one, the pre-session cookie it is made from) is made
 * only when a page reads it: a form, or a POST's check. A page without a form (the anonymous home page) costs no
 * random bytes, no HMAC and no cookie.
 */
class LazyCsrfCtx implements PageCtx {
  readonly user: PageUser | undefined;
  #csrf: string | undefined;
  constructor(
    private readonly secret: string,
    private readonly req: FastifyRequest,
    private readonly reply: FastifyReply,
    me: Me | undefined,
    private readonly token: string | undefined,
    private readonly secure: boolean,
  ) {
    this.user = me ? { userId: me.userId, username: me.username, role: me.role } : undefined;
  }
  get csrf(): string {
    if (this.#csrf !== undefined) return this.#csrf;
    // Signed in: the session token is the key. Otherwise the pre-session cookie, made now if the visitor has none.
    let key = this.user ? this.token : this.req.cookies[PRESESSION_COOKIE];
    if (!key) {
      key = randomBytes(24).toString('base64url');
      this.reply.setCookie(PRESESSION_COOKIE, key, { httpOnly: true, sameSite: 'strict', path: '/', secure: this.secure });
    }
    this.#csrf = csrfFor(this.secret, key);
    return this.#csrf;
  }
}

/** Resolves who is calling (with a 5 s cache per token so pages stay fast) and enforces CSRF on every POST. */
export function createSessionHooks(api: PeerClient, secret: string, publicUrl: string) {
  // Behind a TLS-terminating proxy the dashboard itself is reached over plain http, so req.protocol is never
  // "https" (trustProxy is off: a forwarded header from anyone must not decide it). The configured public URL
  // (ELIDE_DASHBOARD_URL) says where browsers reach it: https there means every cookie must be Secure.
  const publicHttps = publicUrl.startsWith('https:');
  const secureOf = (req: FastifyRequest) => publicHttps || req.protocol === 'https';
  const cache = new Map<string, { me: Me; at: number }>();

  async function whoIs(token: string, requestId: string): Promise<Me | undefined> {
    const hit = cache.get(token);
    if (hit && Date.now() - hit.at < ME_TTL_MS) return hit.me;
    const r = await api.call<Me>('/api/auth/me', { headers: { authorization: `Bearer ${token}` }, requestId, passErrors: true });
    // A main API that fails or sheds load (5xx, 429) has not said the session ended: clearing the cookie then would
    // sign everyone out at every hiccup. Show the error page and keep the cookie; only a refusal (401…) ends it.
    if (r && (r.status >= 500 || r.status === 429))
      throw serviceUnavailable(`the main API could not check who is signed in (status ${r.status}): try again in a moment`);
    if (r?.status !== 200) {
      cache.delete(token);
      return undefined;
    }
    if (cache.size > 5000) cache.clear();
    cache.set(token, { me: r.body, at: Date.now() });
    return r.body;
  }

  return {
    forget: (token: string) => cache.delete(token),
    // Callback hooks, not async ones: an anonymous page view (the busiest) then costs no promise per hook.
    onRequest(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      const token = req.cookies[SESSION_COOKIE];
      const secureCookies = secureOf(req);
      if (!token) {
        req.session = { ctx: new LazyCsrfCtx(secret, req, reply, undefined, undefined, secureCookies), secureCookies };
        return done();
      }
      whoIs(token, req.id)
        .then((me) => {
          req.session = {
            token: me ? token : undefined,
            me,
            ctx: new LazyCsrfCtx(secret, req, reply, me, token, secureCookies),
            secureCookies,
          };
          if (!me) clearSessionCookie(req, reply);
        })
        // Any failure (the main API, or the lines above) reaches Fastify's error handler once.
        .then(() => done(), done);
    },
    /** Runs after the form body is parsed: a POST without the right token never reaches a handler. */
    preHandler(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      if (req.method !== 'POST') return done();
      const given = (req.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof given === 'string' && sameToken(given, req.session.ctx.csrf)) return done();
      const err = new Error('the form expired or came from another site: reload the page and try again') as Error & {
        statusCode: number;
        code: string;
      };
      err.statusCode = 403;
      err.code = 'CSRF_FAILED';
      done(err);
    },
  };
}
