// Package score formulas (acceptance S2-S17) and the docs/SCORING.md worked example, from fixtures.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countDownloads, releaseDayCounts, type ScoreSignals, scorePackage } from '../../registry/package-scorer.ts';
import {
  ecdf,
  growth,
  pctFromTable,
  type QuantileTable,
  quantileTable,
  recency,
  releaseFrequency,
} from '../../registry/security/score-normalise.ts';

const DAY = 86_400_000;
const ex = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../fixtures/scoring/acme-utils.json', import.meta.url)), 'utf8'));
const now = new Date(ex.now);
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY).toISOString();

/** A table whose percentile of `x` is exactly p (q[i] = i elsewhere, strictly ascending). */
function tableAt(x: number, p: number): QuantileTable {
  const k = Math.round(p * 1000);
  return { n: 10_000, q: Array.from({ length: 1001 }, (_, i) => (i < k ? i * 1e-6 : i === k ? x : x + i)) };
}
function readme(bytes: number, blocks: number): string {
  const code = '```js\nconst x = acme.pick(o, "a");\n```\n'.repeat(blocks);
  return code + 'a'.repeat(bytes - Buffer.byteLength(code));
}
function workedExample(over: Partial<ScoreSignals> = {}): ScoreSignals {
  return {
    manifest: ex.manifest,
    files: ex.files,
    readme: readme(ex.readmeBytes, ex.readmeCodeBlocks),
    coverage: ex.coverage,
    downloads30: ex.downloads30,
    downloadsPrevMonthly: ex.downloadsPrevMonthly,
    stars: { registry: ex.registryStars },
    dependentsWeighted: ex.dependentsWeighted,
    population: { downloads: tableAt(5400, 0.82), stars: tableAt(640, 0.64), dependents: tableAt(910, 0.91) },
    publishes: [
      ...ex.releaseDaysAgo.map((d: number, i: number) => ({ version: `2.${i}.0`, time: daysAgo(d) })),
      { version: '2.12.0-beta.1', time: daysAgo(2) },
      { version: '2.0.1', time: daysAgo(700) },
    ],
    now,
    vcsIntegration: true,
    vcs: ex.vcs,
    ...over,
  };
}

describe('scorePackage', () => {
  it('S13: the worked example gives Q 0.900, P 0.803, M 0.942, S 0.874', () => {
    const s = scorePackage(workedExample());
    for (const k of ['quality', 'popularity', 'maintenance', 'overall'] as const) expect(s[k]).toBeCloseTo(ex.expect[k], 3);
    expect(s.breakdown.quality).toMatchObject({ tests: 0.8, types: 1, lint: 1, examples: 1, changelog: 1, metadata: 0.8571 });
    expect(s.breakdown.quality.coverage).toBeCloseTo(0.793, 3);
    expect(s.breakdown.quality.docs).toBeCloseTo(0.925, 3);
    expect(s.breakdown.popularity.growth).toBeCloseTo(0.609, 3);
    expect(s.breakdown.maintenance).toMatchObject({ release: 1, recency: 1 });
    expect(s.breakdown.maintenance.commits).toBeCloseTo(0.905, 3);
    expect(s.breakdown.maintenance.issues).toBeCloseTo(0.806, 3);
    expect([s.missing, s.confidence, s.flags.deprecated]).toEqual([[], 1, false]);
  });
  it('S5: the npm init placeholder test script is not a test', () => {
    const s = scorePackage(
      workedExample({ manifest: { ...ex.manifest, scripts: { test: 'echo "Error: no test specified" && exit 1' }, devDependencies: {} } }),
    );
    expect(s.breakdown.quality.tests).toBe(0);
  });
  it('S6: declared types missing from the tarball score 0 with brokenTypes; S7: @types with the same major is 0.7', () => {
    const files = ex.files.filter((f: { path: string }) => f.path !== 'dist/index.d.ts');
    const broken = scorePackage(workedExample({ files }));
    expect([broken.breakdown.quality.types, broken.alerts]).toEqual([0, ['brokenTypes']]);
    const viaTypes = scorePackage(workedExample({ files, manifest: { ...ex.manifest, types: undefined }, typesPackageSameMajor: true }));
    expect(viaTypes.breakdown.quality.types).toBe(0.7);
  });
  it('S8: no downloads scores 0 whatever the population', () => {
    expect(scorePackage(workedExample({ downloads30: 0 })).breakdown.popularity.downloads).toBe(0);
  });
  it('S10: a package younger than 120 days has neutral growth', () => {
    expect(growth(5000, 0, 60)).toBe(0.5);
    expect([growth(2000, 1000, 400), growth(500, 1000, 400)].map((g) => Math.round(g * 1000) / 1000)).toEqual([0.829, 0.176]);
  });
  it('S11: a deprecated latest zeroes quality and caps the score at 0.20', () => {
    const s = scorePackage(workedExample({ manifest: { ...ex.manifest, deprecated: 'use acme-kit' } }));
    expect([s.quality, s.overall <= 0.2, s.flags.deprecated]).toEqual([0, true, true]);
  });
  it('S12: a finished package keeps every maintenance subscore at 0.9 or more', () => {
    const s = scorePackage(
      workedExample({
        manifest: { ...ex.manifest, version: '1.2.0' },
        readme: 'x'.repeat(2048),
        publishes: [
          { version: '1.0.0', time: daysAgo(3 * 365) },
          { version: '1.2.0', time: daysAgo(2 * 365) },
        ],
        vcs: { commits: { c30: 0, c180: 0, c365: 0 }, issues: { open: 3, total: 40, medianOpenAgeDays: 200 } },
      }),
    );
    expect(Object.values(s.breakdown.maintenance).every((v) => v !== null && v >= 0.9)).toBe(true);
  });
  it('S16: with VCS off registry-wide, maintenance is release 0.5 + recency 0.5 and commits/issues are missing', () => {
    const s = scorePackage(workedExample({ vcsIntegration: false, vcs: undefined }));
    expect([s.maintenance, s.breakdown.maintenance.commits, s.missing]).toEqual([1, null, ['commits', 'issues']]);
    expect(s.confidence).toBe(1);
    const noData = scorePackage(workedExample({ vcs: undefined }));
    expect([noData.missing, noData.confidence]).toEqual([['commits', 'issues'], 0.88]);
  });
  it('S17: a MAL- advisory on latest zeroes and hides; a critical advisory caps at 0.5', () => {
    expect(scorePackage(workedExample({ advisoriesOnLatest: { critical: 1, high: 0, malware: true } }))).toMatchObject({
      overall: 0,
      flags: { malware: true, hidden: true },
    });
    expect(scorePackage(workedExample({ advisoriesOnLatest: { critical: 1, high: 0, malware: false } }))).toMatchObject({
      overall: 0.5,
      flags: { vulnerable: true },
    });
  });
  it('marks 0.x versions unstable and discounts quality by 0.9', () => {
    const s = scorePackage(workedExample({ manifest: { ...ex.manifest, version: '0.9.0' } }));
    expect([s.flags.unstable, s.quality]).toEqual([true, 0.8103]);
  });
});

describe('normalisation', () => {
  it('S2, S3: release frequency', () => {
    const a = releaseFrequency([1, 3, 6, 10]);
    expect([Math.round(a.quarterMean * 1000) / 1000, Math.round(a.score * 1000) / 1000]).toEqual([1.844, 0.961]);
    expect(Math.round(releaseFrequency([0, 1, 2, 4]).score * 1000) / 1000).toBe(0.373);
  });
  it('S4: recency 60 / 180 / 455 / 820 days', () => {
    expect([60, 180, 455, 820].map((d) => Math.round(recency(d) * 1000) / 1000)).toEqual([1, 0.843, 0.5, 0.25]);
  });
  it('S15: 20 patch releases within an hour count as one release day; prereleases never count', () => {
    const t = Date.parse('2026-05-20T10:00:00Z');
    const burst = Array.from({ length: 20 }, (_, i) => ({ version: `1.0.${i}`, time: new Date(t + i * 60_000).toISOString() }));
    expect(releaseDayCounts([...burst, { version: '1.1.0-rc.1', time: '2026-05-25T00:00:00Z' }], now)).toEqual([1, 1, 1, 1]);
  });
  it('S14: one token downloading 50 times in a UTC day counts once', () => {
    const events = Array.from({ length: 50 }, (_, i) => ({
      pkg: 'foo',
      clientKey: 'tok-1',
      at: `2026-05-20T${String(i % 24).padStart(2, '0')}:00:00Z`,
    }));
    expect(countDownloads([...events, { pkg: 'foo', clientKey: 'tok-2', at: '2026-05-20T01:00:00Z' }]).get('foo')).toBe(2);
  });
  it('S9: adding an outlier with 10^9 downloads moves every other percentile by at most 1/N', () => {
    const pop = Array.from({ length: 10_000 }, (_, i) => Math.floor(10 ** ((i % 997) / 166)) + (i % 13));
    const before = [...pop].sort((a, b) => a - b);
    const after = [...pop, 1e9].sort((a, b) => a - b);
    const worst = pop.slice(0, 500).reduce((m, x) => Math.max(m, Math.abs(ecdf(after, x) - ecdf(before, x))), 0);
    expect(worst).toBeLessThanOrEqual(1 / 10_000);
    const [t1, t2] = [quantileTable(pop), quantileTable([...pop, 1e9])];
    const worstTable = pop.slice(0, 500).reduce((m, x) => Math.max(m, Math.abs(pctFromTable(t1, x) - pctFromTable(t2, x))), 0);
    expect(worstTable).toBeLessThanOrEqual(0.001 + 1e-12);
  });
});
