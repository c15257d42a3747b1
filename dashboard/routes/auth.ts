// Login, register, logout and password change: forms posted here, forwarded to the main API; the session token goes to a cookie.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderLogin, renderPassword, renderRegister } from '../pages/auth.ts';
import { clearSessionCookie, setSessionCookie } from '../session.ts';
import { act, formText, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str, visitorHeaders } from './common.ts';

// Only same-site paths: "next" must never send the user to another origin. Printable ASCII only, no backslash:
// browsers drop tab and newline from a URL and read a backslash as "/", so "/<tab>/evil.test" or "/<backslash>evil.test"
// would become "//evil.test", another origin (WHATWG URL parser). A path the dashboard links to is always encoded.
const SAME_SITE_PATH = /^\/(?!\/)[\x21-\x5b\x5d-\x7e]*$/;
const safeNext = (v: unknown) => {
  const s = str(v, 500);
  return SAME_SITE_PATH.test(s) ? s : '/';
};

function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(details))
    for (const d of details as { field?: string; message?: string }[]) if (d.field) out[d.field] = d.message ?? 'is invalid';
  return out;
}

export function registerAuthRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { api } = deps.peers;

  /**
   * Revokes this browser's session at the main API. Called before a new session's cookie replaces it (a sign-up
   * or a login while signed in): an overwritten cookie does not end the old token, which would stay valid until
   * it expires for anyone who had copied it.
   */
  async function endSession(req: FastifyRequest) {
    const token = req.session.token;
    if (!token) return;
    await act(api, req, '/api/auth/logout', { method: 'POST' });
    deps.forgetSession(token);
  }

  app.get('/login', async (req, reply) => {
    if (req.session.me) return seeOther(reply, safeNext((req.query as Record<string, unknown>).next));
    return sendHtml(
      reply,
      renderLogin(req.session.ctx, { next: safeNext((req.query as Record<string, unknown>).next), notice: noticeOf(req) }),
    );
  });

  app.post('/login', async (req, reply) => {
    const b = req.body as Record<string, unknown>;
    const username = str(b.username, 100);
    const next = safeNext(b.next);
    const r = await act<{ token: string; expiresAt: string }>(api, req, '/api/auth/login', {
      method: 'POST',
      body: { username, password: str(b.password, 200) },
      headers: visitorHeaders(deps, req),
    });
    if (!r.ok) {
      const error = r.status === 401 ? 'Wrong user name or password.' : (r.error ?? 'login failed');
      return sendHtml(reply, renderLogin(req.session.ctx, { next, username, error }), r.status === 429 ? 429 : 401);
    }
    await endSession(req);
    setSessionCookie(req, reply, r.body.token, r.body.expiresAt);
    return seeOther(reply, next);
  });

  app.get('/register', async (req, reply) => sendHtml(reply, renderRegister(req.session.ctx)));

  app.post('/register', async (req, reply) => {
    const b = req.body as Record<string, unknown>;
    const form = { username: formText(b.username), email: formText(b.email) };
    const r = await act<{ token: string; expiresAt: string }>(api, req, '/api/auth/register', {
      method: 'POST',
      body: { ...form, password: formText(b.password) },
      headers: visitorHeaders(deps, req),
    });
    if (!r.ok) {
      return sendHtml(reply, renderRegister(req.session.ctx, { ...form, error: r.error, errors: fieldErrors(r.details) }), r.status);
    }
    await endSession(req);
    setSessionCookie(req, reply, r.body.token, r.body.expiresAt);
    return seeOther(reply, '/account', 'registered');
  });

  app.get('/account/password', async (req, reply) => {
    requireMe(req);
    return sendHtml(reply, renderPassword(req.session.ctx));
  });

  // The main API checks the current password (rate-limited per user) and revokes every other login session;
  // the session of this browser is kept, and so are API tokens (revoked one by one on the tokens page).
  app.post('/account/password', async (req, reply) => {
    requireMe(req);
    const b = req.body as Record<string, unknown>;
    const form = { currentPassword: str(b.currentPassword, 1024), newPassword: str(b.newPassword, 1024) };
    const refuse = (status: number, errors: Record<string, string>, error?: string) =>
      sendHtml(reply, renderPassword(req.session.ctx, { errors, error }), status);
    if (!form.currentPassword) return refuse(400, { currentPassword: 'Enter your current password.' });
    if (form.newPassword !== str(b.confirmPassword, 1024))
      return refuse(400, { confirmPassword: 'The two new passwords differ: nothing was changed.' });
    const r = await act(api, req, '/api/auth/password', { method: 'POST', body: form });
    if (r.ok) return seeOther(reply, '/account', 'password-changed');
    if (r.code === 'WRONG_PASSWORD') return refuse(403, { currentPassword: 'The current password is not correct.' });
    const errors = fieldErrors(r.details);
    return refuse(r.status, errors, Object.keys(errors).length ? undefined : r.error);
  });

  app.post('/logout', async (req, reply) => {
    await endSession(req);
    clearSessionCookie(req, reply);
    return seeOther(reply, '/login', 'logged-out');
  });
}
