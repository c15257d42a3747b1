// Typosquatting (acceptance T1-T15 + false positives) and license policy (L1-L16) from fixtures.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LICENSE_POLICY,
  evaluateLicense,
  evaluateTreeLicenses,
  LICENSE_PROFILES,
  type LicenseInput,
  type LicensePolicy,
  MANIFEST_FILES,
} from '../../registry/security/licenses.ts';
import type { KnownName } from '../../registry/security/look-alike-index.ts';
import { damerauLevenshtein } from '../../registry/security/name-forms.ts';
import { type Candidate, checkTyposquat } from '../../registry/security/typosquat.ts';
import { analyzeArtifact } from '../../registry/security-scanner.ts';
import { gem, npmTarball } from '../fixtures/security/archives.ts';

const fixture = (f: string) => JSON.parse(fs.readFileSync(fileURLToPath(new URL(`../fixtures/security/${f}`, import.meta.url)), 'utf8'));
const squat = fixture('typosquat-cases.json') as {
  known: KnownName[];
  cases: { case: string; candidate: Candidate; expect: [string, string, string][] }[];
};

describe('typosquatting', () => {
  for (const c of squat.cases) {
    it(c.case, () => {
      const got = checkTyposquat({ createdAt: '2026-01-01T00:00:00Z', ...c.candidate }, squat.known).map((f) => [
        f.ruleId,
        f.severity,
        f.imitates,
      ]);
      expect(got).toEqual(c.expect);
    });
  }
  it('Damerau-Levenshtein counts a transposition as one edit', () => {
    expect([damerauLevenshtein('loadsh', 'lodash'), damerauLevenshtein('chalkjs', 'chalk'), damerauLevenshtein('', 'abc')]).toEqual([
      1, 2, 3,
    ]);
  });
  it("a Y1 publish is refused with npm's moniker message; a look-alike is flagged, not refused", () => {
    const archive = npmTarball({ 'package.json': '{"name":"reactnative","version":"1.0.0","license":"MIT"}', 'index.js': '1;' });
    const r = analyzeArtifact({ ecosystem: 'npm', name: 'reactnative', version: '1.0.0', archive, knownNames: squat.known });
    expect(r.verdict).toBe('block');
    expect(r.refusal).toMatchObject({
      statusCode: 403,
      code: 'PACKAGE_NAME_TOO_SIMILAR',
      message:
        "Package name too similar to existing package react-native; try renaming your package to '@<your-scope>/reactnative' and publishing with 'npm publish --access=public' instead",
    });
    const flagged = analyzeArtifact({ ecosystem: 'npm', name: 'loadsh', version: '1.0.0', archive, knownNames: squat.known });
    expect([flagged.verdict, flagged.findings.filter((f) => f.category === 'typosquat').map((f) => f.imitates)]).toEqual([
      'warn',
      ['lodash'],
    ]);
  });
  it('T13: a copy of the README + install hook is refused as a typosquat', () => {
    const readme = '# lodash\nThe modern build of lodash.\n';
    const known = squat.known.map((k) => (k.name === 'lodash' ? { ...k, readmeHash: '9b1f0e5f2c1b6a0f' } : k));
    const archive = npmTarball({
      'package.json':
        '{"name":"lodahs","version":"1.0.0","license":"MIT","description":"Lodash modular utilities.","scripts":{"postinstall":"node x.js"}}',
      'README.md': readme,
      'x.js': 'console.log(1)',
    });
    const r = analyzeArtifact({ ecosystem: 'npm', name: 'lodahs', version: '1.0.0', archive, knownNames: known });
    expect(r.refusal).toMatchObject({ statusCode: 403, code: 'TYPOSQUAT' });
    expect(r.refusal?.message).toBe(
      'publish refused: lodahs imitates "lodash" (Y2: name looks like the popular package "lodash" (one typo away); copies lodash\'s description; has an install script)',
    );
  });
});

const licenseCases = fixture('license-cases.json') as {
  case: string;
  input: LicenseInput;
  policy?: Partial<LicensePolicy>;
  profile?: keyof typeof LICENSE_PROFILES;
  verdict: string;
  chosen?: string[];
  expression?: string;
  rules: [string, string][];
}[];

describe('licenses', () => {
  for (const c of licenseCases) {
    it(c.case, () => {
      const policy = c.profile ? LICENSE_PROFILES[c.profile] : { ...DEFAULT_LICENSE_POLICY, ...c.policy };
      const r = evaluateLicense(c.input, policy);
      expect(r.verdict).toBe(c.verdict);
      expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual(c.rules);
      if (c.chosen) expect(r.chosen).toEqual(c.chosen);
      if (c.expression) expect(r.expression).toBe(c.expression);
    });
  }
  it("names the file that declares the licence in the artifact's own ecosystem (a gem's gemspec, not package.json)", () => {
    const missing = (r: ReturnType<typeof analyzeArtifact>) => r.license.findings.find((f) => f.ruleId === 'noLicenseFound')?.file;
    const archive = gem('--- !ruby/object:Gem::Specification\nname: nolicense\n', { 'lib/nolicense.rb': 'puts 1' });
    const manifest = { name: 'nolicense', version: '1.0.0' };
    expect(missing(analyzeArtifact({ ecosystem: 'RubyGems', name: 'nolicense', version: '1.0.0', archive, manifest }))).toBe('gemspec');
    expect(evaluateLicense({}).findings[0].file).toBe('package.json');
    expect(evaluateLicense({ manifestFile: MANIFEST_FILES.Maven }).findings[0].file).toBe('pom.xml');
    expect(evaluateLicense({ manifestFile: MANIFEST_FILES.PyPI }).findings[0].file).toBe('METADATA');
  });
  it('L16: a GPL package three levels deep denies the tree and reports its path', () => {
    const policy = { ...DEFAULT_LICENSE_POLICY, denyClasses: ['copyleft-strong' as const] };
    const r = evaluateTreeLicenses(
      [
        { name: 'app', version: '1.0.0', license: 'MIT', path: ['app@1.0.0'] },
        { name: 'a', version: '1.0.0', license: 'ISC', path: ['app@1.0.0', 'a@1.0.0'] },
        { name: 'b', version: '2.0.0', license: 'MIT', path: ['app@1.0.0', 'a@1.0.0', 'b@2.0.0'] },
        { name: 'gpl-thing', version: '3.1.0', license: 'GPL-3.0-only', path: ['app@1.0.0', 'a@1.0.0', 'b@2.0.0', 'gpl-thing@3.1.0'] },
      ],
      policy,
    );
    expect(r.verdict).toBe('deny');
    expect(r.licenses.find((l) => l.verdict === 'deny')).toEqual({
      expression: 'GPL-3.0-only',
      verdict: 'deny',
      packages: ['gpl-thing@3.1.0'],
      paths: [['app@1.0.0', 'a@1.0.0', 'b@2.0.0', 'gpl-thing@3.1.0']],
    });
  });
});
