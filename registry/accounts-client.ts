// The main API's account endpoints the npm login/adduser/logout/token commands map onto. The main API owns
// users and tokens (DESIGN.md section 3); the registry only forwards, passing the user's Authorization through.
import { AppError } from '../lib/errors.ts';
import type { PeerClient } from '../lib/http.ts';

export interface AccountsClient {
  /** A token for valid credentials, undefined for wrong ones. */
  login(username: string, password: string, requestId?: string): Promise<{ token: string } | undefined>;
  /** A token for a new account, 'taken' when the name or e-mail exists. */
  register(username: string, email: string, password: string, requestId?: string): Promise<{ token: string } | 'taken'>;
  logout(token: string, requestId?: string): Promise<void>;
  listTokens(authorization: string, requestId?: string): Promise<Record<string, unknown>[]>;
  createToken(
    authorization: string,
    body: { name: string; readonly?: boolean; cidrAllow?: string[] },
    requestId?: string,
  ): Promise<Record<string, unknown>>;
  revokeToken(authorization: string, id: string, requestId?: string): Promise<boolean>;
  me(authorization: string, requestId?: string): Promise<Record<string, unknown>>;
}

function rethrow(status: number, body: unknown): never {
  const b = (body ?? {}) as { error?: string; code?: string; details?: unknown };
  if (status >= 500) throw new AppError(502, 'PEER_FAILED', 'the accounts service failed: try again');
  throw new AppError(status, b.code ?? 'PEER_REJECTED', b.error ?? `the accounts service answered ${status}`, b.details);
}

export function createAccountsClient(api: PeerClient): AccountsClient {
  return {
    async login(username, password, requestId) {
      const r = await api.call<{ token: string }>('/api/auth/login', {
        method: 'POST',
        body: { username, password },
        passErrors: true,
        requestId,
      });
      if (!r || r.status === 401 || r.status === 404 || r.status === 400) return undefined;
      if (r.status >= 300) rethrow(r.status, r.body);
      return { token: r.body.token };
    },
    async register(username, email, password, requestId) {
      const r = await api.call<{ token: string }>('/api/auth/register', {
        method: 'POST',
        body: { username, email, password },
        passErrors: true,
        requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer registration');
      if (r.status === 409) return 'taken';
      if (r.status >= 300) rethrow(r.status, r.body);
      return { token: r.body.token };
    },
    async logout(token, requestId) {
      await api.call('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` }, passErrors: true, requestId });
    },
    async listTokens(authorization, requestId) {
      const r = await api.call<{ tokens: Record<string, unknown>[] }>('/api/auth/tokens', {
        headers: { authorization },
        passErrors: true,
        requestId,
      });
      if (!r) return [];
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body.tokens ?? [];
    },
    async createToken(authorization, body, requestId) {
      const r = await api.call<Record<string, unknown>>('/api/auth/tokens', {
        method: 'POST',
        body,
        headers: { authorization },
        passErrors: true,
        requestId,
      });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer tokens');
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body;
    },
    async revokeToken(authorization, id, requestId) {
      const r = await api.call(`/api/auth/tokens/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        headers: { authorization },
        passErrors: true,
        requestId,
      });
      if (!r) return false;
      if (r.status >= 300) rethrow(r.status, r.body);
      return true;
    },
    async me(authorization, requestId) {
      const r = await api.call<Record<string, unknown>>('/api/auth/me', { headers: { authorization }, passErrors: true, requestId });
      if (!r) throw new AppError(502, 'PEER_FAILED', 'the accounts service does not offer profiles');
      if (r.status >= 300) rethrow(r.status, r.body);
      return r.body;
    },
  };
}
