// GET /internal/packages/:name/dependents: packages whose latest version depends on the name (dependencies,
// peer, optional), restricted packages never listed, the internal token required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDependentsQuery } from '../../registry/npm/routes-dependents.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };

describe('npm dependents', () => {
  let r: Reg;
  const publish = async (name: string, version: string, o: Parameters<typeof publishBody>[2] = {}) => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify(publishBody(name, version, o)),
    });
    expect(res.statusCode, `${name}@${version}: ${res.body}`).toBe(201);
  };
  const dependents = (name: string, headers: Record<string, string> = internal) =>
    r.app.inject({ method: 'GET', url: `/internal/packages/${name}/dependents`, headers });

  beforeAll(async () => {
    r = await buildTestRegistry();
    await publish('@acme/core', '1.0.0');
    await publish('uses-core', '1.0.0', { pkg: { dependencies: { '@acme/core': '^1.0.0' } } });
    await publish('peer-core', '2.0.0', {
      pkg: { peerDependencies: { '@acme/core': '1.x' }, optionalDependencies: { '@acme/core': '1.x' } },
    });
    // Depended on by an old version only: not a dependent any more.
    await publish('dropped-core', '1.0.0', { pkg: { dependencies: { '@acme/core': '1' } } });
    await publish('dropped-core', '1.1.0');
    await publish('dev-core', '1.0.0', { pkg: { devDependencies: { '@acme/core': '1' } } });
    await publish('@acme/secret-app', '1.0.0', { access: 'restricted', pkg: { dependencies: { '@acme/core': '1' } } });
  });
  afterAll(async () => r.app.close());

  it('lists the public packages whose latest version depends on it, each once, with the range and kind', async () => {
    const res = await dependents('@acme/core');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect([...body.dependents].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual([
      { name: 'peer-core', version: '2.0.0', range: '1.x', kind: 'peerDependencies' },
      { name: 'uses-core', version: '1.0.0', range: '^1.0.0', kind: 'dependencies' },
    ]);
    expect(JSON.stringify(body)).not.toContain('secret-app');
  });

  it('answers an empty list for a package nobody depends on, and refuses callers without the internal token', async () => {
    expect((await dependents('uses-core')).json()).toEqual({ name: 'uses-core', dependents: [], total: 0 });
    expect((await dependents('@acme/core', bearer(r.alice))).statusCode).toBe(403);
    expect((await dependents('@acme/core', {})).statusCode).toBeGreaterThanOrEqual(401);
  });

  it('keeps an answer 30 s, then sees packages published since', async () => {
    const dependentsOf = createDependentsQuery(r.db);
    const t0 = Date.parse('2026-11-26T10:00:00Z');
    expect(dependentsOf('uses-core', t0).total).toBe(0);
    await publish('uses-uses-core', '1.0.0', { pkg: { dependencies: { 'uses-core': '1' } } });
    expect(dependentsOf('uses-core', t0 + 29_000).total).toBe(0);
    expect(dependentsOf('uses-core', t0 + 30_000).dependents).toEqual([
      { name: 'uses-uses-core', version: '1.0.0', range: '1', kind: 'dependencies' },
    ]);
  });
});
