// OSV matching per ecosystem (acceptance V1-V12, V17, V18), severity precedence and the all-or-nothing import.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { openRegistryDatabase } from '../../registry/db.ts';
import { advisoriesFor, importOsv, isAffected, npmRange, type OsvAffected, summarise } from '../../registry/security/advisories.ts';
import { createAdvisoriesRepo } from '../../registry/security/advisories-repo.ts';
import { cvss3BaseScore } from '../../registry/security/cvss.ts';
import type { Ecosystem } from '../../registry/security/versions.ts';

const fixture = (f: string) => fs.readFileSync(fileURLToPath(new URL(`../fixtures/security/${f}`, import.meta.url)));
const cases = JSON.parse(fixture('osv-matching.json').toString()) as {
  case: string;
  ecosystem: Ecosystem;
  affected: OsvAffected;
  versions: Record<string, boolean>;
  range: string;
}[];
const fixedNow = () => new Date('2026-01-01T00:00:00Z');

describe('OSV interval matching', () => {
  for (const c of cases) {
    for (const [version, expected] of Object.entries(c.versions)) {
      it(`${c.case}: ${c.ecosystem} ${version} is ${expected ? '' : 'not '}affected`, () => {
        expect(isAffected(c.ecosystem, c.affected, version)).toBe(expected);
      });
    }
    it(`${c.case}: renders the range "${c.range}"`, () => {
      expect(npmRange(c.affected, c.ecosystem)).toBe(c.range);
    });
  }
});

describe('severity', () => {
  it('V17: computes CVSS v3.1 base scores', () => {
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N')).toBe(6.8);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(9.8);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N')).toBe(5.4);
    expect(cvss3BaseScore('CVSS:2.0/AV:N')).toBeUndefined();
  });
  it('V17: labels from the vector when there is no GHSA label', () => {
    const s = summarise({
      id: 'X-1',
      modified: '2024-01-01T00:00:00Z',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N' }],
    });
    expect(s).toMatchObject({
      severity: 'moderate',
      cvss: { score: 6.8 },
      severityUnknown: false,
      url: 'https://osv.dev/vulnerability/X-1',
    });
  });
  it('V18: the GHSA label wins over a CVSS 7.5 vector', () => {
    const s = summarise({
      id: 'GHSA-aaaa-bbbb-cccc',
      modified: '2024-01-01T00:00:00Z',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
      database_specific: { severity: 'MODERATE', cwe_ids: ['CWE-400'] },
    });
    expect(s).toEqual({
      severity: 'moderate',
      severityUnknown: false,
      cvss: { score: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      cwe: ['CWE-400'],
      isMalware: false,
      url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
      title: 'GHSA-aaaa-bbbb-cccc',
    });
  });
  it('V19: MAL- records are critical malware; no severity at all is moderate + severityUnknown', () => {
    expect(summarise({ id: 'MAL-2025-1', modified: '2025-01-01T00:00:00Z' })).toMatchObject({ severity: 'critical', isMalware: true });
    expect(summarise({ id: 'OSV-1', modified: '2025-01-01T00:00:00Z' })).toMatchObject({ severity: 'moderate', severityUnknown: true });
  });
});

describe('importOsv', () => {
  const open = () => openRegistryDatabase(':memory:');

  it('imports a JSON array, keeps unknown packages, and matches withdrawn records never (V6, V8)', () => {
    const db = open();
    const r = importOsv(db, fixture('advisories-sample.json'), fixedNow);
    expect(r).toMatchObject({ imported: 7, unchanged: 0, skipped: [] });
    expect(r.touched).toContainEqual({ ecosystem: 'PyPI', name: 'zope-interface' });
    // OSV-LODASH-DUP aliases the GHSA's CVE: one vulnerability, listed once under the GHSA (V7).
    expect(advisoriesFor(db, 'npm', 'lodash', '4.17.20').map((h) => h.advisory.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(advisoriesFor(db, 'npm', 'lodash', '4.17.21')).toEqual([]);
    expect(advisoriesFor(db, 'PyPI', 'zope.interface', '4.0').map((h) => [h.advisory.id, h.advisory.severity])).toEqual([
      ['PYSEC-2020-0001', 'low'],
    ]);
  });

  it('re-import of the same records is unchanged; a newer modified replaces the record', () => {
    const db = open();
    importOsv(db, fixture('advisories-sample.json'), fixedNow);
    expect(importOsv(db, fixture('advisories-sample.json'), fixedNow)).toMatchObject({ imported: 0, unchanged: 7 });
    const newer = {
      id: 'GHSA-scoped-0001',
      modified: '2025-06-01T00:00:00Z',
      summary: 'Now fixed later',
      affected: [
        {
          package: { ecosystem: 'npm', name: '@acme/utils' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.3.0' }] }],
        },
      ],
    };
    expect(importOsv(db, Buffer.from(JSON.stringify(newer)), fixedNow)).toMatchObject({ imported: 1, unchanged: 0 });
    expect(advisoriesFor(db, 'npm', '@acme/utils', '1.2.5').map((h) => [h.advisory.title, h.range])).toEqual([
      ['Now fixed later', '>=1.0.0 <1.3.0'],
    ]);
    expect(createAdvisoriesRepo(db).count()).toBe(7);
  });

  it('reports each malformed NDJSON entry with its reason and imports the rest', () => {
    const db = open();
    const r = importOsv(db, fixture('advisories-malformed.ndjson'), fixedNow);
    expect(r.imported).toBe(2);
    expect(r.skipped.map((s) => s.entry)).toEqual([
      'line 2 (GHSA-bad-0001)',
      'line 3 (GHSA-bad-0002)',
      'line 4 (GHSA-bad-0003)',
      'line 5 (GHSA-bad-0004)',
      'line 6',
    ]);
    expect(r.skipped[0].reason).toMatch(/^modified: /);
    expect(r.skipped[1].reason).toContain('every range needs an "introduced" event');
    expect(r.skipped[2].reason).toContain('a range uses fixed or last_affected, not both');
    expect(r.skipped[4].reason).toBe('not valid JSON');
    expect(advisoriesFor(db, 'npm', 'left-pad', '1.3.0').map((h) => h.range)).toEqual(['<1.3.1']);
  });

  it('reads an OSV zip dump without touching the disk', () => {
    const db = open();
    const records = JSON.parse(fixture('advisories-sample.json').toString()) as { id: string }[];
    const files = Object.fromEntries(records.map((r) => [`${r.id}.json`, Buffer.from(JSON.stringify(r))]));
    const zip = Buffer.from(zipSync({ ...files, 'README.txt': Buffer.from('not an advisory'), 'broken.json': Buffer.from('{') }));
    const r = importOsv(db, zip, fixedNow);
    expect(r).toMatchObject({ imported: 7, skipped: [{ entry: 'broken.json', reason: 'not valid JSON' }] });
  });

  it('writes nothing when the transaction fails midway', () => {
    const db = open();
    db.exec(`CREATE TRIGGER boom BEFORE INSERT ON advisory_affected WHEN NEW.name = 'qs' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => importOsv(db, fixture('advisories-sample.json'), fixedNow)).toThrow('disk full');
    expect(createAdvisoriesRepo(db).count()).toBe(0);
  });
});
