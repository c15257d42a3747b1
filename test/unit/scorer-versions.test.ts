// The scorer reads the versions of every ecosystem, not only npm semver: PyPI, Maven and RubyGems packages are
// scored by the same scorePackage with their own version strings (multiformat/score.ts), so "1.1", "31.1-jre" or
// "6.0.0.Final" released last week is a recent release, "2.0-SNAPSHOT" is not one, and "0.6" is below 1.0.
// Also: the finished-package floor asks for the same real test script as the quality signal.
import { describe, expect, it } from 'vitest';
import { type ScoreSignals, scorePackage } from '../../registry/package-scorer.ts';
import { releaseStage } from '../../registry/security/versions.ts';

const DAY = 86_400_000;
const now = new Date('2026-11-26T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY).toISOString();

function signals(versions: [string, number][], over: Partial<ScoreSignals> = {}): ScoreSignals {
  return {
    manifest: { version: versions.at(-1)![0] },
    files: [],
    downloads30: 0,
    downloadsPrevMonthly: 0,
    stars: { registry: 0 },
    dependentsWeighted: 0,
    publishes: versions.map(([version, d]) => ({ version, time: daysAgo(d) })),
    now,
    vcsIntegration: false,
    ...over,
  };
}

describe('versions of every ecosystem in the score', () => {
  it('a PyPI, Maven or RubyGems release semver cannot read scores like the same npm release', () => {
    const npm = scorePackage(
      signals([
        ['1.0.0', 60],
        ['1.1.0', 6],
      ]),
    );
    expect(npm.breakdown.maintenance).toMatchObject({ recency: 1 });
    expect(npm.maintenance).toBeGreaterThan(0.8);
    for (const [a, b] of [
      ['1.0', '1.1'], // PyPI
      ['2023.9', '2023.10'], // PyPI calendar versions
      ['31.0-jre', '31.1-jre'], // Maven (Guava)
      ['5.9.0.Final', '6.0.0.Final'], // Maven (Hibernate)
      ['1.0', '1.1'], // RubyGems two-part versions
    ]) {
      const s = scorePackage(
        signals([
          [a, 60],
          [b, 6],
        ]),
      );
      expect([a, b, s.maintenance, s.breakdown.maintenance]).toEqual([a, b, npm.maintenance, npm.breakdown.maintenance]);
    }
  });

  it('prereleases of every ecosystem are not releases; a version below 1.0 is unstable', () => {
    // Only prereleases in the last two years: no release days, recency of a package that never released.
    for (const pre of ['2.0-SNAPSHOT', '1.0-M1', '2.0rc1', '1.0.dev1', '2.0.0.beta1', '1.0.0-rc.1']) {
      const s = scorePackage(signals([[pre, 6]]));
      expect([pre, s.breakdown.maintenance.release]).toEqual([pre, 0]);
      expect(s.breakdown.maintenance.recency).toBeLessThan(0.01);
    }
    const zero = scorePackage(signals([['0.6', 6]]));
    expect([zero.flags.unstable, zero.breakdown.quality.cond]).toEqual([true, 0.9]);
    const post = scorePackage(signals([['2.0.post1', 6]]));
    expect([post.flags.unstable, post.breakdown.maintenance.recency]).toEqual([false, 1]);
  });

  it('releaseStage reads each ecosystem as its clients do', () => {
    expect(releaseStage('5.3.0.RELEASE')).toEqual({ prerelease: false, belowOne: false });
    expect(releaseStage('2.0-SNAPSHOT')).toEqual({ prerelease: true, belowOne: false });
    expect(releaseStage('1.0.0.pre')).toEqual({ prerelease: true, belowOne: true });
    expect(releaseStage('0.9.0')).toEqual({ prerelease: false, belowOne: true });
    expect(releaseStage('not a version')).toBeUndefined();
  });
});

describe('finished-package floor', () => {
  const finished = (test: string) =>
    scorePackage(
      signals(
        [
          ['1.0.0', 3 * 365],
          ['1.2.0', 2 * 365],
        ],
        { manifest: { version: '1.2.0', scripts: { test } }, readme: 'x'.repeat(2048) },
      ),
    );
  it('needs a real test script, as the quality signal does: `exit 0` and `echo` are not tests', () => {
    expect(finished('vitest run').breakdown.maintenance.recency).toBe(0.9);
    for (const fake of ['exit 0', 'echo "no tests yet"']) {
      const s = finished(fake);
      expect([fake, s.breakdown.quality.tests]).toEqual([fake, 0]);
      expect(s.breakdown.maintenance.recency).toBeLessThan(0.9);
    }
  });
});

describe("npm's conventions in the quality of other ecosystems", () => {
  const readme = `# requests\n\n${'HTTP for humans. '.repeat(120)}\n`;
  const base = (over: Partial<ScoreSignals>) => signals([['2.31.0', 30]], { readme, ...over });

  it('leaves the test script, linters and TypeScript out of a PyPI, Maven or gem score, and says so in missing', () => {
    const npm = scorePackage(base({}));
    for (const conventions of ['pypi', 'maven', 'rubygems'] as const) {
      const s = scorePackage(base({ conventions }));
      expect(s.breakdown.quality).toMatchObject({ tests: null, lint: null });
      expect(s.missing).toEqual(expect.arrayContaining(['tests', 'lint']));
      // The same README and metadata weigh more once npm's signals are out: the score is not dragged to zero.
      expect(s.quality).toBeGreaterThan(npm.quality);
    }
    expect(npm.missing).not.toContain('lint');
    expect(npm.breakdown.quality.tests).toBe(0);
  });

  it("reads PyPI's py.typed and a gem's RBS signatures as types; Maven has none to measure", () => {
    const typed = scorePackage(base({ conventions: 'pypi', files: [{ path: 'requests/py.typed', size: 0 }] }));
    const untyped = scorePackage(base({ conventions: 'pypi' }));
    expect([typed.breakdown.quality.types, untyped.breakdown.quality.types]).toEqual([1, 0]);
    expect(typed.quality).toBeGreaterThan(untyped.quality);
    const gem = scorePackage(base({ conventions: 'rubygems', files: [{ path: 'sig/rack.rbs', size: 10 }] }));
    expect(gem.breakdown.quality.types).toBe(1);
    expect(scorePackage(base({ conventions: 'rubygems' })).missing).toContain('types');
    expect(scorePackage(base({ conventions: 'maven' })).breakdown.quality.types).toBeNull();
  });
});
