// The main API's account endpoints the npm login/adduser/logout/token commands map onto. The main API owns
// users and tokens (DESIGN.md section 3); the registry only forwards, passing the user's Authorization through.
import { AppError } from '../lib/errors.ts';
import type { PeerClient } from '../lib/http.ts';
import { forwardedClientHeaders } from '../lib/internal.ts';

/** Who the call is for: the main API rate-limits and audits by the end client's address, not the registry's. */
export interface CallMeta {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

export interface AccountsClient {
  /** A token for valid credentials, undefined for wrong ones. */
  login(username: string, password: string, meta?: CallMeta): Promise<{ token: string } | undefined>;
  /** A token for a new account, 'taken' when the name or e-mail exists. */
  register(username: string, email: string, password: string, meta?: CallMeta): Promise<{ token: string } | 'taken'>;
  logout(token: string, meta?: CallMeta): Promise<void>;
  listTokens(authorization: string, meta?: CallMeta): Promise<Record<string, unknown>[]>;
  createToken(
    authorization: string,
    body: { name: string; readonly?: boolean; cidrAllow?: string[]; expiresInDays?: number },
    meta?: CallMeta,
  ): Promise<Record<string, unknown>>;
  revokeToken(authorization: string, id: string, meta?: CallMeta): Promise<boolean>;
  me(authorization: string, meta?: CallMeta): Promise<Record<string, unknown>>;
  /** `npm org set` / `npm org rm`: the main API owns org membership and checks the caller's org role. */
  setOrgMember(authorization: string, org: string, user: string, role: 'owner' | 'admin' | 'member', meta?: CallMeta): Promise<void>;
  removeOrgMember(authorization: string, org: string, user: string, meta?: CallMeta): Promise<void>;
}

function rethrow(status: number, body: unknown): never {
  const b = (body ?? {}) as { error?: string; code?: string; details?: unknown };
  if (status >= 500) throw new AppError(502, 'PEER_FAILED', 'the accounts service failed: try again');
  throw new AppError(status, b.code ?? 'PEER_REJECTED', b.error ?? `the accounts service answered ${status}`, b.details);
}

export function createAccountsClient(api: PeerClient, internalToken?: string): AccountsClient {
  // The client's address is honoured by the main API only next to the internal token (api/identity-context.ts).
  const hdrs = (meta: CallMeta | undefined, extra: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...extra };
    if (meta?.userAgent) h['user-agent'] = meta.userAgent;
    return internalToken && meta?.ip ? { ...h, ...forwardedClientHeaders(internalToken, meta.ip) } : h;
  };
  return {
    async login(username, password, meta) {
      const r = await api.call<{ token: string }>('/api/auth/login', {
        method: 'POST',
        body: { username, password },
        headers: hdrs(meta),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r || r.status === 401 || r.status === 404 || r.status === 400) return undefined;
      if (r.status >= 300) rethrow(r.status, r.body);
      return { token: r.body.token };
    },
    async register(username, email, password, meta) {
      const r = await api.call<{ token: string }>('/api/auth/register', {
        method: 'POST',
        body: { username, email, password },
        headers: hdrs(meta),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer registration');
      if (r.status === 409) return 'taken';
      if (r.status >= 300) rethrow(r.status, r.body);
      return { token: r.body.token };
    },
    async logout(token, meta) {
      await api.call('/api/auth/logout', {
        method: 'POST',
        headers: hdrs(meta, { authorization: `Bearer ${token}` }),
        passErrors: true,
        requestId: meta?.requestId,
      });
    },
    async listTokens(authorization, meta) {
      const r = await api.call<{ tokens: Record<string, unknown>[] }>('/api/auth/tokens', {
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) return [];
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body.tokens ?? [];
    },
    async createToken(authorization, body, meta) {
      const r = await api.call<Record<string, unknown>>('/api/auth/tokens', {
        method: 'POST',
        body,
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer tokens');
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body;
    },
    async revokeToken(authorization, id, meta) {
      const r = await api.call(`/api/auth/tokens/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) return false;
      if (r.status >= 300) rethrow(r.status, r.body);
      return true;
    },
    async me(authorization, meta) {
      const r = await api.call<Record<string, unknown>>('/api/auth/me', {
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer profiles');
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body;
    },
    async setOrgMember(authorization, org, user, role, meta) {
      const r = await api.call(`/api/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(user)}`, {
        method: 'PUT',
        body: { role },
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer org membership');
      if (r.status >= 300) rethrow(r.status, r.body);
    },
    async removeOrgMember(authorization, org, user, meta) {
      const r = await api.call(`/api/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(user)}`, {
        method: 'DELETE',
        headers: hdrs(meta, { authorization }),
        passErrors: true,
        requestId: meta?.requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer org membership');
      if (r.status >= 300) rethrow(r.status, r.body);
    },
  };
}
