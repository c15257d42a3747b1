// Package search through the processes a user talks to (issues #7 and #11): the main API's
// GET /api/packages/search (filters, sorts, paging, exact total, bad input) over the registry's FTS index, and
// npm's /-/v1/search on the registry, both after real publishes; package details keep their score.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { createUser } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

interface SearchBody {
  results: { id: string; name: string; description: string | null; version: string | null; downloads: number; score: number | null }[];
  total: number;
  limit: number;
  offset: number;
}

describe('package search over the API and npm', () => {
  let suite: Suite;
  const tokens: Record<string, string> = {};
  const api = (p: string) => fetch(`${suite.urls.api}${p}`);
  const search = async (qs: string) => {
    const res = await api(`/api/packages/search?${qs}`);
    expect(res.status, qs).toBe(200);
    return (await res.json()) as SearchBody;
  };
  const names = async (qs: string) => (await search(qs)).results.map((r) => r.name);

  beforeAll(async () => {
    suite = await startSuite({ only: ['api', 'registry'] });
    for (const username of ['finder', 'other-finder'])
      tokens[username] = (await createUser(suite, username, { role: 'publisher', plan: 'team' })).token;
    const publish = async (name: string, user: string, pkg: Record<string, unknown>, access: 'public' | 'restricted' = 'public') => {
      const res = await fetch(`${suite.urls.registry}${docPath(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        body: JSON.stringify(publishBody(name, '1.0.0', { access, pkg: { license: 'MIT', ...pkg } })),
      });
      expect(res.status, name).toBe(201);
    };
    // Published one after the other: updated_at follows this order.
    await publish('zebra-parse', 'finder', { description: 'parse zebra stripes', keywords: ['parser', 'zebra'] });
    await publish('zebra', 'finder', { description: 'the zebra itself', keywords: ['zebra'] });
    await publish('@finder/zebra-tools', 'finder', { description: 'tools for a zebra', keywords: ['tools'] });
    await publish('stripes', 'other-finder', { description: 'a zebra has stripes', keywords: ['parser'] });
    await publish('@finder/zebra-secret', 'finder', { description: 'zebra secrets' }, 'restricted');
  });
  afterAll(async () => suite?.stopAll());

  it('ranks the exact name first, then names starting with the words; the last word is a prefix; total is exact', async () => {
    const body = await search('q=zebra');
    // The exact name, then the two names starting with it (in bm25 order), then the description-only match.
    const ranked = body.results.map((r) => r.name);
    expect([ranked[0], ranked.slice(1, 3).sort(), ranked[3]]).toEqual(['zebra', ['@finder/zebra-tools', 'zebra-parse'], 'stripes']);
    expect(body).toMatchObject({ total: 4, limit: 20, offset: 0 });
    expect(Object.keys(body.results[0]).sort()).toEqual(['description', 'downloads', 'id', 'name', 'score', 'updatedAt', 'version']);
    expect(await names('q=zeb')).toEqual(ranked);
    const page = await search('q=zebra&limit=2&offset=3');
    expect([page.total, page.results.map((r) => r.name)]).toEqual([4, ['stripes']]);
  });

  it('filters by keywords, maintainer, scope and ecosystem, and sorts by score, downloads and updated', async () => {
    expect(await names('q=zebra&keywords=parser')).toEqual(['zebra-parse', 'stripes']);
    expect(await names('keywords=parser,zebra')).toEqual(['zebra-parse']);
    expect(await names('q=keywords:tools')).toEqual(['@finder/zebra-tools']);
    expect(await names('q=zebra&maintainer=other-finder')).toEqual(['stripes']);
    expect(await names('q=maintainer:finder%20scope:finder')).toEqual(['@finder/zebra-tools']);
    expect(await names('q=zebra&ecosystem=pypi')).toEqual([]);
    expect(await names('sort=updated')).toEqual(['stripes', '@finder/zebra-tools', 'zebra', 'zebra-parse']);
    const byScore = await search('q=zebra&sort=score');
    const scores = byScore.results.map((r) => r.score ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect((await search('sort=downloads')).total).toBe(4);
  });

  it('answers bad parameters with a clear 400, and FTS syntax, unicode and long text with results, never a 500', async () => {
    for (const [qs, field] of [
      ['sort=stars', 'sort'],
      ['ecosystem=cargo', 'ecosystem'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      [`q=${'a'.repeat(401)}`, 'q'],
      ['maintainer=', 'maintainer'],
    ]) {
      const res = await api(`/api/packages/search?${qs}`);
      expect(res.status, qs).toBe(400);
      const body = (await res.json()) as { error: string; code: string };
      expect(body.code, qs).toBe('VALIDATION_FAILED');
      expect(body.error, qs).toContain(field);
    }
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const tooMany = await api(`/api/packages/search?q=${encodeURIComponent(words)}`);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: 'search text has more than 32 words', code: 'INVALID_QUERY' });
    for (const q of [
      '"zebra',
      'zebra*',
      '(zebra',
      'zebra NEAR stripes',
      'zebra AND',
      '-zebra',
      'name:zebra',
      '^zebra',
      '\u00e9\u{1F680}',
      'z'.repeat(400),
    ]) {
      const res = await api(`/api/packages/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      const body = (await res.json()) as SearchBody;
      expect(body.total, q).toBe(body.results.length);
    }
    expect(await names(`q=${encodeURIComponent('(zebra')}`)).toContain('zebra');
  });

  it('npm search on the registry: same index, qualifiers, 400 on a bad sort; restricted packages never listed', async () => {
    const res = await fetch(`${suite.urls.registry}/npm/-/v1/search?text=zebra%20keywords:parser&size=5`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { objects: { package: { name: string; maintainers: { username: string }[] } }[]; total: number };
    expect(body.total).toBe(2);
    expect(body.objects.map((o) => o.package.name)).toEqual(['zebra-parse', 'stripes']);
    expect(body.objects[1].package.maintainers).toEqual([{ username: 'other-finder', email: 'other-finder@example.test' }]);
    const secret = (await (await fetch(`${suite.urls.registry}/npm/-/v1/search?text=secrets`)).json()) as { total: number };
    expect(secret.total).toBe(0);
    expect((await search('q=secrets')).total).toBe(0);
    const bad = await fetch(`${suite.urls.registry}/npm/-/v1/search?text=zebra&sort=stars`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_QUERY');
  });

  it('documents the search parameters in /openapi.json, with the sort values', async () => {
    const doc = (await (await api('/openapi.json')).json()) as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }>;
    };
    const params = doc.paths['/api/packages/search'].get.parameters;
    expect(params.map((p) => p.name).sort()).toEqual(['ecosystem', 'keywords', 'limit', 'maintainer', 'offset', 'q', 'sort']);
    expect(params.find((p) => p.name === 'sort')?.schema.enum).toEqual(['relevance', 'score', 'downloads', 'updated']);
  });

  it('package details carry the score (asked together with the package); a hidden package stays 404', async () => {
    const res = await api('/api/packages/zebra');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; score: { overall: number } | null };
    expect(body.name).toBe('zebra');
    expect(body.score?.overall).toBeGreaterThan(0);
    const hidden = await api('/api/packages/@finder/zebra-secret');
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toEqual({ error: 'package @finder/zebra-secret was not found', code: 'PACKAGE_NOT_FOUND' });
  });
});
