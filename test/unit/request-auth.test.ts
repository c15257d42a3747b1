// The request guards every process shares: one authentication per request, however many checks ask (the
// marketplace's hook before validation, then the handler), and a fresh one for a stream that outlives revocation.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Authenticator, Principal } from '../../lib/auth.ts';
import { createAuthGuards } from '../../lib/request-auth.ts';

const alice: Principal = {
  userId: 'u-alice',
  username: 'alice',
  email: 'a@example.test',
  role: 'publisher',
  planId: 'team',
  tokenId: 'tok-1',
  tokenKind: 'api',
  readonly: false,
};

function counting() {
  let valid = true;
  let calls = 0;
  const auth: Authenticator = {
    authenticate: () => {
      calls++;
      return valid ? alice : undefined;
    },
  };
  return { auth, calls: () => calls, revoke: () => (valid = false) };
}

const request = () =>
  ({ headers: { authorization: 'Bearer elk_x', 'user-agent': 'npm/11.19.1' }, ip: '127.0.0.1' }) as unknown as FastifyRequest;

describe('createAuthGuards', () => {
  it('authenticates a request once, whichever guards ask and how often', () => {
    const c = counting();
    const guards = createAuthGuards(c.auth);
    const req = request();
    const first = guards.optional(req);
    // The request's own copy, naming where it came from (audit entries read it); the authenticator's is untouched.
    expect(first).toEqual({ ...alice, ip: '127.0.0.1', userAgent: 'npm/11.19.1' });
    expect(alice).not.toHaveProperty('ip');
    expect(guards.required(req)).toBe(first);
    expect(guards.writer(req)).toBe(first);
    expect(guards.role(req, 'publisher')).toBe(first);
    expect(c.calls()).toBe(1);
    // Another request is authenticated on its own.
    guards.required(request());
    expect(c.calls()).toBe(2);
  });

  it('again() authenticates afresh: a token revoked while a stream is open is refused on its next check', () => {
    const c = counting();
    const guards = createAuthGuards(c.auth, 'run npm login');
    const req = request();
    expect(guards.required(req)).toMatchObject(alice);
    c.revoke();
    expect(() => guards.again(req)).toThrow('authentication required: run npm login (the token may be revoked or expired)');
    // And the request remembers the refusal from then on.
    expect(guards.optional(req)).toBeUndefined();
  });

  it('Basic credentials carrying an account password, as Verdaccio takes them, are told a token goes there', () => {
    const c = counting();
    c.revoke();
    const guards = createAuthGuards(c.auth, 'run npm login');
    const basic = (userPass: string) =>
      ({ headers: { authorization: `Basic ${Buffer.from(userPass).toString('base64')}` }, ip: '127.0.0.1' }) as unknown as FastifyRequest;
    expect(() => guards.required(basic('alice:hunter2-password'))).toThrow(
      'Basic authentication here takes an API token as the password, not an account password',
    );
    // A token in the password that is no longer valid gets the usual sentence.
    expect(() => guards.required(basic(`alice:elk_${'a'.repeat(43)}`))).toThrow('authentication required: run npm login');
  });
});
