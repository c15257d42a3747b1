// The signed-in session and CSRF: the main API's elk_ session token lives only in an httpOnly cookie, and
// every form carries an HMAC of that token (or of a random pre-session id) that a cross-site page cannot know.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

const secure = (req: FastifyRequest) => req.protocol === 'https';

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt?: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: secure(req),
    expires: expiresAt ? new Date(expiresAt) : undefined,
  });
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(req) });
}

/** Resolves who is calling (with a 5 s cache per token so pages stay fast) and enforces CSRF on every POST. */
export function createSessionHooks(api: PeerClient, secret: string) {
  const cache = new Map<string, { me: Me; at: number }>();

  async function whoIs(token: string, requestId: string): Promise<Me | undefined> {
    const hit = cache.get(token);
    if (hit && Date.now() - hit.at < ME_TTL_MS) return hit.me;
    const r = await api.call<Me>('/api/auth/me', { headers: { authorization: `Bearer ${token}` }, requestId, passErrors: true });
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
    async onRequest(req: FastifyRequest, reply: FastifyReply) {
      const token = req.cookies[SESSION_COOKIE];
      let me: Me | undefined;
      if (token) {
        me = await whoIs(token, req.id);
        if (!me) clearSessionCookie(req, reply);
      }
      // The CSRF token (and for a visitor without one, the pre-session cookie it is made from) only when a page
      // reads it: a form, or a POST's check. A page without a form (the anonymous home page) costs no random
      // bytes, no HMAC and no cookie.
      let csrf: string | undefined;
      const csrfOnce = () => {
        if (csrf !== undefined) return csrf;
        let key = me ? token : req.cookies[PRESESSION_COOKIE];
        if (!key) {
          key = randomBytes(24).toString('base64url');
          reply.setCookie(PRESESSION_COOKIE, key, { httpOnly: true, sameSite: 'strict', path: '/', secure: secure(req) });
        }
        csrf = csrfFor(secret, key);
        return csrf;
      };
      const user = me ? { userId: me.userId, username: me.username, role: me.role } : undefined;
      const ctx: PageCtx = {
        user,
        get csrf() {
          return csrfOnce();
        },
      };
      req.session = { token: me ? token : undefined, me, ctx };
    },
    /** Runs after the form body is parsed: a POST without the right token never reaches a handler. */
    async preHandler(req: FastifyRequest) {
      if (req.method !== 'POST') return;
      const given = (req.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof given !== 'string' || !sameToken(given, req.session.ctx.csrf)) {
        const err = new Error('the form expired or came from another site: reload the page and try again') as Error & {
          statusCode: number;
          code: string;
        };
        err.statusCode = 403;
        err.code = 'CSRF_FAILED';
        throw err;
      }
    },
  };
}
