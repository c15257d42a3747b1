// GET /api/packages/:name with the registry's score, and GET /api/packages/:name/:version/security proxied to
// the registry with the details route's visibility rules; a tiny local Fastify plays the registry.
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { testSecrets } from '../helpers/config.ts';
import { addUser, buildTestApi, type TestUser } from './api-events-fixtures.ts';

const pkg = (name: string, access: 'public' | 'restricted', maintainers: string[], ecosystem = 'npm') => ({
  id: `pkg-${name}`,
  name,
  ecosystem,
  description: `${name} description`,
  access,
  maintainers,
  license: 'MIT',
  keywords: [],
  downloads: 5,
  stars: 0,
  distTags: { latest: '1.0.0' },
  readme: '# readme',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  versions: [
    {
      version: '1.0.0',
      publishedAt: '2026-01-01T00:00:00.000Z',
      deprecated: null,
      integrity: 'sha512-x',
      size: 10,
      tarball: `/npm/${name}/-/x-1.0.0.tgz`,
    },
  ],
});
const PACKAGES: Record<string, ReturnType<typeof pkg> & { org?: string }> = {
  'npm:left-pad': pkg('left-pad', 'public', ['alice']),
  'npm:@acme/widget': pkg('@acme/widget', 'public', ['alice']),
  'npm:@acme/secret': pkg('@acme/secret', 'restricted', ['alice']),
  'npm:no-score': pkg('no-score', 'public', ['alice']),
  'npm:bad-score': pkg('bad-score', 'public', ['alice']),
  'pypi:requests': pkg('requests', 'public', ['alice'], 'pypi'),
  'maven:com.acme:lib': pkg('com.acme:lib', 'public', ['alice'], 'maven'),
  'rubygems:secret_gem': pkg('secret_gem', 'restricted', ['alice'], 'rubygems'),
  // A private gem of the org acme (the registry's details carry the owning org).
  'rubygems:acme_gem': { ...pkg('acme_gem', 'restricted', ['alice'], 'rubygems'), org: 'acme' },
};
const score = (name: string) => ({
  name,
  score: { quality: 0.9, popularity: 0.8, maintenance: 0.7, overall: 0.8 },
  breakdown: { quality: { tests: 1 }, popularity: { downloads: 0.5 }, maintenance: { recency: 1 } },
  flags: { deprecated: false, unstable: false, vulnerable: false, malware: false },
  alerts: [],
  missing: ['coverage'],
  confidence: 0.75,
  scoringVersion: 'score/1',
  computedAt: '2026-01-02T00:00:00.000Z',
});
const report = (name: string, version: string) => ({
  name,
  version,
  scanned: true,
  verdict: 'info',
  reviewState: 'none',
  scannedAt: '2026-01-01T00:00:00.000Z',
  vulnerabilities: { direct: [{ id: 'GHSA-x', severity: 'high' }], transitive: [] },
  malware: [],
  typosquat: [],
  licenses: { package: { expression: 'MIT' }, tree: [] },
  dependencies: { nodes: 1, cycles: [], truncated: false, partial: false, alerts: [] },
  extraFromTheScanner: 'kept',
});

/** Raw paths the fake registry was asked for, whether the score was asked along (?score=1), and the token. */
const asked: { path: string; score: boolean; token: unknown; ifNoneMatch?: unknown }[] = [];
/** Packages the fake registry answers with an ETag (as the real one does for npm), and 304 to a matching If-None-Match. */
const ETAGGED = new Map<string, { etag: string; body: ReturnType<typeof pkg> }>();
const registry = Fastify({ logger: false });
registry.get('/internal/packages/*', async (req, reply) => {
  const raw = req.url.split('?')[0];
  const query = req.query as { ecosystem?: string; score?: string };
  asked.push({ path: raw, score: query.score === '1', token: req.headers['x-internal-token'], ifNoneMatch: req.headers['if-none-match'] });
  const segs = raw.slice('/internal/packages/'.length).split('/');
  const name = decodeURIComponent(segs[0]);
  const tagged = segs.length === 1 ? ETAGGED.get(name) : undefined;
  if (tagged) {
    reply.header('etag', tagged.etag);
    if (req.headers['if-none-match'] === tagged.etag) return reply.status(304).send();
    return { ...tagged.body, score: query.score === '1' ? score(name) : undefined };
  }
  const ecosystem = String(query.ecosystem ?? 'npm');
  const found = PACKAGES[`${ecosystem}:${name}`];
  // As the registry embeds it: the score route's body, null without one, and (a broken scorer) junk.
  const embedded = () => (name === 'bad-score' ? { score: 'junk' } : name === 'no-score' ? null : score(name));
  if (segs.length === 1 && found) return query.score === '1' ? { ...found, score: embedded() } : found;
  if (segs.length === 2 && segs[1] === 'score') {
    if (name === 'bad-score') return reply.status(500).send({ error: 'boom' });
    if (PACKAGES[`npm:${name}`] && name !== 'no-score') return score(name);
  }
  if (segs.length === 3 && segs[2] === 'security' && PACKAGES[`npm:${name}`] && segs[1] === '1.0.0') return report(name, segs[1]);
  return reply.status(404).send({ error: `${raw} not found`, code: 'NOT_FOUND' });
});

// PyPI, Maven and RubyGems reports: /internal/artifacts/<ecosystem>/<name>/<version>/security.
registry.get('/internal/artifacts/*', async (req, reply) => {
  const raw = req.url.split('?')[0];
  asked.push({ path: raw, score: false, token: req.headers['x-internal-token'] });
  const [ecosystem, name, version, last] = raw.slice('/internal/artifacts/'.length).split('/').map(decodeURIComponent);
  if (last === 'security' && PACKAGES[`${ecosystem}:${name}`] && version === '1.0.0') return { ...report(name, version), ecosystem };
  return reply.status(404).send({ error: `${raw} not found`, code: 'NOT_FOUND' });
});

const clock = createManualClock();
let t: Awaited<ReturnType<typeof buildTestApi>>;
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;

beforeAll(async () => {
  const url = await registry.listen({ host: '127.0.0.1', port: 0 });
  t = await buildTestApi(clock, { ELIDE_REGISTRY_URL: url });
  alice = addUser(t.db, clock, 'alice');
  bob = addUser(t.db, clock, 'bob');
  admin = addUser(t.db, clock, 'root', 'team', 'admin');
});
afterAll(async () => {
  await t?.app.close();
  await registry.close();
});
beforeEach(() => {
  asked.length = 0;
});

const get = (url: string, user?: TestUser) => t.app.inject({ method: 'GET', url, headers: user ? user.auth : {} });
const NOT_FOUND = (name: string) => ({ error: `package ${name} was not found`, code: 'PACKAGE_NOT_FOUND' });

describe('GET /api/packages/:name score', () => {
  it.each([
    ['left-pad', 'left-pad', 'left-pad'],
    ['@acme/widget', '@acme/widget', '@acme%2Fwidget'],
    ['@acme%2Fwidget', '@acme/widget', '@acme%2Fwidget'],
  ])('%s: the four figures and the breakdown from the registry', async (path, name, sent) => {
    const res = await get(`/api/packages/${path}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name,
      score: {
        quality: 0.9,
        popularity: 0.8,
        maintenance: 0.7,
        overall: 0.8,
        breakdown: { quality: { tests: 1 }, popularity: { downloads: 0.5 }, maintenance: { recency: 1 } },
        missing: ['coverage'],
        confidence: 0.75,
        scoringVersion: 'score/1',
        computedAt: '2026-01-02T00:00:00.000Z',
      },
    });
    // One round trip: the score comes embedded in the package's answer, the score route is not asked.
    expect(asked.map((a) => [a.path, a.score])).toEqual([[`/internal/packages/${sent}`, true]]);
    expect(asked.every((a) => a.token === testSecrets.internalToken)).toBe(true);
  });

  it('no score yet (null) or a malformed one: score null, the details still answer', async () => {
    for (const name of ['no-score', 'bad-score']) {
      const res = await get(`/api/packages/${name}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name, score: null });
    }
  });

  it('every ecosystem is scored: a PyPI package shows its score and breakdown from the same single answer', async () => {
    const res = await get('/api/packages/requests?ecosystem=pypi');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'requests',
      ecosystem: 'pypi',
      score: { quality: 0.9, popularity: 0.8, maintenance: 0.7, overall: 0.8, breakdown: { popularity: { downloads: 0.5 } } },
    });
    expect(asked.map((a) => [a.path, a.score])).toEqual([['/internal/packages/requests', true]]);
  });

  it('versions and dist-tags do not ask for the score', async () => {
    expect((await get('/api/packages/left-pad/versions')).statusCode).toBe(200);
    expect((await get('/api/packages/@acme/widget/dist-tags')).statusCode).toBe(200);
    expect(asked.some((a) => a.path.endsWith('/score') || a.score)).toBe(false);
  });

  it('a restricted package stays 404 for outsiders (the score embedded in the registry answer is never shown) and shows its score to a maintainer', async () => {
    expect((await get('/api/packages/@acme/secret')).json()).toEqual(NOT_FOUND('@acme/secret'));
    expect((await get('/api/packages/@acme/secret', bob)).json()).toEqual(NOT_FOUND('@acme/secret'));
    const res = await get('/api/packages/@acme/secret', alice);
    expect(res.statusCode).toBe(200);
    expect(res.json().score).toMatchObject({ overall: 0.8 });
  });
});

describe('GET /api/packages/:name kept per registry ETag', () => {
  const tagged = (name: string, access: 'public' | 'restricted', etag: string, description = `${name} description`) =>
    ETAGGED.set(name, { etag, body: { ...pkg(name, access, ['alice']), description } });
  beforeEach(() => ETAGGED.clear());

  it('asks again with If-None-Match and answers the same body from a 304; a new ETag brings the new details', async () => {
    tagged('kept', 'public', '"r1"');
    const first = await get('/api/packages/kept');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ name: 'kept', description: 'kept description', score: { overall: 0.8 } });
    const second = await get('/api/packages/kept');
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(asked.map((a) => a.ifNoneMatch)).toEqual([undefined, '"r1"']);
    // A publish, deprecate, tag or access change moves the registry's ETag: the cached answer is not used.
    tagged('kept', 'public', '"r2"', 'changed');
    expect((await get('/api/packages/kept')).json()).toMatchObject({ name: 'kept', description: 'changed' });
    expect(asked.map((a) => a.ifNoneMatch)).toEqual([undefined, '"r1"', '"r1"']);
  });

  it('a restricted package kept for its maintainer is still 404 for anyone else, answered from the same 304', async () => {
    tagged('@acme/kept-secret', 'restricted', '"s1"');
    expect((await get('/api/packages/@acme/kept-secret', alice)).statusCode).toBe(200);
    for (const who of [undefined, bob]) {
      const res = await get('/api/packages/@acme/kept-secret', who);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND('@acme/kept-secret'));
    }
    expect(asked.map((a) => a.ifNoneMatch)).toEqual([undefined, '"s1"', '"s1"']);
    expect((await get('/api/packages/@acme/kept-secret', admin)).json()).toMatchObject({ name: '@acme/kept-secret' });
  });

  it('a package made restricted after it was kept is hidden at once (its ETag moved)', async () => {
    tagged('kept-then-private', 'public', '"p1"');
    expect((await get('/api/packages/kept-then-private')).statusCode).toBe(200);
    tagged('kept-then-private', 'restricted', '"p2"');
    expect((await get('/api/packages/kept-then-private', bob)).json()).toEqual(NOT_FOUND('kept-then-private'));
    expect((await get('/api/packages/kept-then-private')).statusCode).toBe(404);
  });

  it('a kept package the registry no longer has is 404, and is not kept any more', async () => {
    tagged('kept-gone', 'public', '"g1"');
    expect((await get('/api/packages/kept-gone')).statusCode).toBe(200);
    ETAGGED.delete('kept-gone');
    expect((await get('/api/packages/kept-gone')).json()).toEqual(NOT_FOUND('kept-gone'));
    tagged('kept-gone', 'public', '"g1"');
    await get('/api/packages/kept-gone');
    expect(asked.map((a) => a.ifNoneMatch)).toEqual([undefined, '"g1"', undefined]);
  });
});

describe('GET /api/packages/:name/:version/security', () => {
  it.each([
    ['left-pad', 'left-pad', 'left-pad'],
    ['@acme/widget', '@acme/widget', '@acme%2Fwidget'],
    ['@acme%2Fwidget', '@acme/widget', '@acme%2Fwidget'],
  ])('%s: the registry report, passed through', async (path, name, sent) => {
    const res = await get(`/api/packages/${path}/1.0.0/security`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(report(name, '1.0.0'));
    expect(asked.map((a) => a.path)).toContain(`/internal/packages/${sent}/1.0.0/security`);
  });

  it('a restricted package: 404 for anonymous and non-members (the registry is not asked), 200 for a maintainer and an admin', async () => {
    for (const who of [undefined, bob]) {
      const res = await get('/api/packages/@acme/secret/1.0.0/security', who);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND('@acme/secret'));
    }
    expect(asked.some((a) => a.path.endsWith('/security'))).toBe(false);
    for (const who of [alice, admin]) {
      const res = await get('/api/packages/@acme%2Fsecret/1.0.0/security', who);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: '@acme/secret', version: '1.0.0' });
    }
  });

  it.each([
    ['requests', 'pypi', '/internal/artifacts/pypi/requests/1.0.0/security'],
    ['com.acme:lib', 'maven', '/internal/artifacts/maven/com.acme%3Alib/1.0.0/security'],
  ])('%s (%s): the report of the registry artifact store, addressed with ?ecosystem=', async (name, ecosystem, path) => {
    const res = await get(`/api/packages/${name}/1.0.0/security?ecosystem=${ecosystem}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name, version: '1.0.0', ecosystem, vulnerabilities: { direct: [{ id: 'GHSA-x' }] } });
    expect(asked.map((a) => a.path)).toContain(path);
    // Without the ecosystem the npm package of that name is meant: none here.
    expect((await get(`/api/packages/${name}/1.0.0/security`)).json()).toEqual(NOT_FOUND(name));
  });

  it('a restricted gem: 404 for others (the registry report is not asked), 200 for its maintainer', async () => {
    const res = await get('/api/packages/secret_gem/1.0.0/security?ecosystem=rubygems', bob);
    expect(res.json()).toEqual(NOT_FOUND('secret_gem'));
    expect(asked.some((a) => a.path.endsWith('/security'))).toBe(false);
    expect((await get('/api/packages/secret_gem/1.0.0/security?ecosystem=rubygems', alice)).statusCode).toBe(200);
  });

  it('a private gem of an org: its members see the details and the report, other users get 404', async () => {
    const carol = addUser(t.db, clock, 'carol');
    t.db
      .prepare("INSERT INTO orgs (id, name, plan_id, created_by, created_at) VALUES ('org-acme', 'acme', 'team', ?, 'now')")
      .run(alice.id);
    t.db.prepare("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ('org-acme', ?, 'member', 'now')").run(carol.id);
    for (const url of ['/api/packages/acme_gem?ecosystem=rubygems', '/api/packages/acme_gem/1.0.0/security?ecosystem=rubygems']) {
      expect((await get(url, carol)).statusCode, url).toBe(200);
      expect((await get(url, bob)).json(), url).toEqual(NOT_FOUND('acme_gem'));
      expect((await get(url)).json(), url).toEqual(NOT_FOUND('acme_gem'));
    }
  });

  it('unknown package, unknown version, bad name: clear 404/400', async () => {
    expect((await get('/api/packages/nope/1.0.0/security')).json()).toEqual(NOT_FOUND('nope'));
    const v = await get('/api/packages/@acme/widget/9.9.9/security');
    expect(v.statusCode).toBe(404);
    expect(v.json()).toEqual({ error: 'version 9.9.9 of @acme/widget was not found', code: 'VERSION_NOT_FOUND' });
    const py = await get('/api/packages/requests/9.9.9/security?ecosystem=pypi');
    expect(py.statusCode).toBe(404);
    expect(py.json()).toEqual({ error: 'version 9.9.9 of requests was not found', code: 'VERSION_NOT_FOUND' });
    const bad = await get('/api/packages/..%2F..%2Fetc/1.0.0/security');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_PACKAGE_NAME');
    const extra = await get('/api/packages/a/b/1.0.0/security');
    expect(extra.statusCode).toBe(404);
    expect(extra.json().code).toBe('ROUTE_NOT_FOUND');
  });

  it('is in /openapi.json for unscoped and scoped names', async () => {
    const doc = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/packages/{name}/{version}/security', '/api/packages/{scope}/{name}/{version}/security']),
    );
  });
});
