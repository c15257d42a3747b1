// Pure helpers of the benchmark harness (scripts/bench/): the package plan, tarballs, percentiles, medians and
// the generated block of docs/PERFORMANCE.md.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sampleOf } from '../../scripts/bench/endpoints.ts';
import { docPath, planPackages, publishBody, tarballPath, versionAt } from '../../scripts/bench/fixtures.ts';
import { type LoadResult, median, medianOfRounds, percentile } from '../../scripts/bench/load.ts';
import { asciiTable, type BenchResults, loadRows, markdownTable, writeDoc } from '../../scripts/bench/report.ts';

describe('bench fixtures', () => {
  it('plans the same packages for the same seed, with 1..maxVersions versions and acyclic dependencies', () => {
    const a = planPackages(500, { maxVersions: 20, scope: 'benchuser' });
    expect(planPackages(500, { maxVersions: 20, scope: 'benchuser' })).toEqual(a);
    expect(a.packages).toHaveLength(500);
    expect(new Set(a.packages.map((p) => p.name)).size).toBe(500);
    const index = new Map(a.packages.map((p, i) => [p.name, i]));
    a.packages.forEach((p, i) => {
      expect(p.versions.length).toBeGreaterThanOrEqual(1);
      expect(p.versions.length).toBeLessThanOrEqual(20);
      for (const d of p.dependencies) expect(index.get(d)!).toBeLessThan(i);
    });
    expect(a.totalVersions).toBe(a.packages.reduce((n, p) => n + p.versions.length, 0));
    expect(a.packages.some((p) => p.name.startsWith('@benchuser/'))).toBe(true);
  });

  it('keeps the install tree closed: its 50 members depend only on each other and are unscoped', () => {
    const plan = planPackages(300);
    const tree = new Set(plan.installTree);
    expect(tree.size).toBe(50);
    for (const p of plan.packages.filter((x) => tree.has(x.name))) {
      expect(p.name.startsWith('@')).toBe(false);
      for (const d of p.dependencies) expect(tree.has(d)).toBe(true);
    }
  });

  it('numbers versions so ^1.0.0 always resolves to the latest', () => {
    expect([0, 1, 4, 5, 19].map(versionAt)).toEqual(['1.0.0', '1.0.1', '1.0.4', '1.1.0', '1.3.4']);
  });

  it('builds a real gzipped tar and an npm publish body whose integrity matches it', () => {
    const p = { name: '@s/pkg', versions: ['1.0.0'], description: 'd', keywords: ['k'], dependencies: ['dep'] };
    const body = publishBody(p, '1.0.0', 'http://127.0.0.1:1/npm/');
    const att = body._attachments['@s/pkg-1.0.0.tgz'];
    const tgz = Buffer.from(att.data, 'base64');
    expect(tgz.length).toBe(att.length);
    const tar = gunzipSync(tgz);
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(0, 100).toString('utf8')).toContain('package/');
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(tar.includes('package/package.json')).toBe(true);
    expect(body.versions['1.0.0'].dist.integrity).toBe(`sha512-${createHash('sha512').update(tgz).digest('base64')}`);
    expect(body.versions['1.0.0'].dist.tarball).toBe('http://127.0.0.1:1/npm/@s/pkg/-/pkg-1.0.0.tgz');
    expect(body.versions['1.0.0'].dependencies).toEqual({ dep: '^1.0.0' });
    expect(docPath('@s/pkg')).toBe('/@s%2fpkg');
    expect(tarballPath('@s/pkg', '1.2.3')).toBe('/@s/pkg/-/pkg-1.2.3.tgz');
  });
});

describe('bench statistics and report', () => {
  it('takes nearest-rank percentiles and medians', () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile(xs, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 95)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("folds rounds into their medians, summing the counts and keeping each round's req/s", () => {
    const round = (rps: number, p95: number, non2xx = 0): LoadResult => ({
      requests: rps * 10,
      rps,
      p50: p95 / 2,
      p95,
      p99: p95 * 2,
      non2xx,
      errors: 0,
      timeouts: 0,
      bytesPerRequest: 1000,
    });
    const r = medianOfRounds([round(40_000, 1.4), round(30_000, 2.0, 3), round(42_000, 1.2)]);
    // An even number of rounds averages the middle two, rounded as every figure is.
    expect(medianOfRounds([round(40_000, 1.111), round(30_000, 2.0)])).toMatchObject({ rps: 35_000, p95: 1.56 });
    expect(r).toEqual({
      requests: 1_120_000,
      rps: 40_000,
      p50: 0.7,
      p95: 1.4,
      p99: 2.8,
      non2xx: 3,
      errors: 0,
      timeouts: 0,
      bytesPerRequest: 1000,
      rounds: [40_000, 30_000, 42_000],
    });
  });

  it('samples evenly and keeps short lists whole', () => {
    expect(sampleOf([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(sampleOf([...Array(10).keys()], 5)).toEqual([0, 2, 4, 6, 8]);
  });

  it('renders aligned tables and replaces only the generated block of the doc', () => {
    const rows = [
      ['a', 'bb'],
      ['ccc', 'd|e'],
    ];
    expect(asciiTable(rows).split('\n')).toEqual(['a     bb', '---  ---', 'ccc  d|e']);
    expect(markdownTable(rows)).toBe('| a | bb |\n| --- | ---: |\n| ccc | d\\|e |');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-doc-')), 'PERF.md');
    fs.writeFileSync(file, 'intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\noutro\n');
    writeDoc(file, 'new figures');
    expect(fs.readFileSync(file, 'utf8')).toBe('intro\n<!-- bench:begin -->\nnew figures\n<!-- bench:end -->\noutro\n');
  });

  it('compares routes that ask a peer with the one-hop ceiling as well as the ceiling', () => {
    const load = (rps: number): LoadResult => ({
      requests: rps * 10,
      rps,
      p50: 1,
      p95: 2,
      p99: 3,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      bytesPerRequest: 100,
    });
    const results = {
      params: { seconds: 10 },
      ceiling: load(8000),
      hopCeiling: load(2000),
      loads: [
        { name: 'packument', targetP95: 10, ours: load(4000) },
        { name: 'details', targetP95: 10, viaPeer: true, ours: load(1000) },
      ],
    } as unknown as BenchResults;
    const rows = loadRows(results);
    const col = (name: string) => rows[0].indexOf(name);
    const row = (name: string) => rows.find((r) => r[0].startsWith(name))!;
    expect(row('packument')[col('ours/ceiling')]).toBe('0.50x');
    expect(row('packument')[col('ours/one-hop ceiling')]).toBe('-');
    expect(row('details')[col('ours/ceiling')]).toBe('0.13x');
    expect(row('details')[col('ours/one-hop ceiling')]).toBe('0.50x');
    expect(row('bare Fastify → undici')[col('ours/ceiling')]).toBe('0.25x');
  });
});
