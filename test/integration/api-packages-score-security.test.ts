// Against a real registry: package details carry the scorer's figures and breakdown, the security route passes
// the scanner's report through (scoped and unscoped), restricted packages stay hidden from outsiders, and the
// publisher's /api/auth/me counts the private package and its bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { createUser } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

describe('package score and security through the main API', () => {
  let suite: Suite;
  const tokens: Record<string, string> = {};
  const api = (p: string, user?: string) =>
    fetch(`${suite.urls.api}${p}`, { headers: user ? { authorization: `Bearer ${tokens[user]}` } : {} });

  beforeAll(async () => {
    suite = await startSuite({ only: ['api', 'registry'] });
    for (const username of ['pub-sec', 'outsider'])
      tokens[username] = (await createUser(suite, username, { role: 'publisher', plan: 'team' })).token;
    for (const [name, access] of [
      ['sec-pkg', 'public'],
      ['@pub-sec/scoped', 'public'],
      ['@pub-sec/hidden', 'restricted'],
    ] as const) {
      const res = await fetch(`${suite.urls.registry}${docPath(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens['pub-sec']}`, 'content-type': 'application/json' },
        body: JSON.stringify(publishBody(name, '1.0.0', { access, pkg: { license: 'MIT' } })),
      });
      expect(res.status, name).toBe(201);
    }
  }, 120_000);
  afterAll(async () => suite?.stopAll());

  it.each(['sec-pkg', '@pub-sec/scoped', '@pub-sec%2Fscoped'])('%s: details carry the score and its breakdown', async (p) => {
    const res = await api(`/api/packages/${p}`);
    expect(res.status).toBe(200);
    const { score } = (await res.json()) as { score: Record<string, unknown> | null };
    expect(score).toMatchObject({
      quality: expect.any(Number),
      popularity: expect.any(Number),
      maintenance: expect.any(Number),
      overall: expect.any(Number),
      breakdown: { quality: expect.any(Object), popularity: expect.any(Object), maintenance: expect.any(Object) },
      scoringVersion: expect.any(String),
    });
  });

  it.each([
    ['sec-pkg', 'sec-pkg'],
    ['@pub-sec/scoped', '@pub-sec/scoped'],
    ['@pub-sec%2Fscoped', '@pub-sec/scoped'],
  ])('%s: the security report of 1.0.0', async (p, name) => {
    const res = await api(`/api/packages/${p}/1.0.0/security`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name,
      version: '1.0.0',
      vulnerabilities: { direct: [], transitive: [] },
      malware: expect.any(Array),
      typosquat: expect.any(Array),
      licenses: expect.any(Object),
      dependencies: expect.any(Object),
    });
  });

  it('a restricted package: 404 for anonymous and an outsider, the report for its publisher', async () => {
    for (const who of [undefined, 'outsider']) {
      const res = await api('/api/packages/@pub-sec/hidden/1.0.0/security', who);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'package @pub-sec/hidden was not found', code: 'PACKAGE_NOT_FOUND' });
    }
    const own = await api('/api/packages/@pub-sec/hidden/1.0.0/security', 'pub-sec');
    expect(own.status).toBe(200);
    const v = await api('/api/packages/sec-pkg/9.9.9/security');
    expect(v.status).toBe(404);
    expect(await v.json()).toEqual({ error: 'version 9.9.9 of sec-pkg was not found', code: 'VERSION_NOT_FOUND' });
  });

  it("the publisher's /api/auth/me counts the private package and the stored bytes", async () => {
    const res = await api('/api/auth/me', 'pub-sec');
    expect(res.status).toBe(200);
    const { usage } = (await res.json()) as { usage: { privatePackages: number | null; storageBytes: number | null } };
    expect(usage.privatePackages).toBe(1);
    expect(usage.storageBytes).toBeGreaterThan(0);
  });
});
