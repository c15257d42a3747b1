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

  it('answers from the edges kept by triggers: a publish, a deprecation and a latest moved back show at once', async () => {
    const dependentsOf = createDependentsQuery(r.db);
    expect(dependentsOf('uses-core').total).toBe(0);
    await publish('uses-uses-core', '1.0.0', { pkg: { dependencies: { 'uses-core': '1' } } });
    expect(dependentsOf('uses-core').dependents).toEqual([{ name: 'uses-uses-core', version: '1.0.0', range: '1', kind: 'dependencies' }]);
    // A deprecated latest still depends on it (as npmjs.com lists it); the scorer's view leaves it out.
    r.db
      .prepare(
        "UPDATE package_versions SET deprecated = 'use x' WHERE version = '1.0.0' AND package_id = (SELECT id FROM packages WHERE name = 'uses-uses-core')",
      )
      .run();
    expect(dependentsOf('uses-core').total).toBe(1);
    expect(r.db.prepare("SELECT count(*) AS n FROM package_dependents WHERE dependency = 'uses-core'").get()).toEqual({ n: 0 });
    // latest moved back to a version without the dependency: gone at once.
    await publish('dropped-core', '1.2.0', { pkg: { dependencies: { '@acme/core': '2' } } });
    expect(dependentsOf('@acme/core').total).toBe(3);
    r.db
      .prepare(
        "UPDATE dist_tags SET version = '1.1.0' WHERE tag = 'latest' AND package_id = (SELECT id FROM packages WHERE name = 'dropped-core')",
      )
      .run();
    expect(dependentsOf('@acme/core').total).toBe(2);
  });

  it('lists the most downloaded first, at most 100, and counts them all', async () => {
    for (let i = 0; i < 103; i++) await publish(`fan-${i}`, '1.0.0', { pkg: { dependencies: { 'fan-target': '^1.0.0' } } });
    r.db.prepare("UPDATE packages SET downloads = 500 WHERE name = 'fan-102'").run();
    const body = (await dependents('fan-target')).json();
    expect(body.total).toBe(103);
    expect(body.dependents).toHaveLength(100);
    expect(body.dependents[0].name).toBe('fan-102');
    expect(body.dependents[1].name).toBe('fan-0');
  });
});
