// npm audit bulk and quick endpoints answered from the OSV store (acceptance V13, V14, V19 and aliases V7).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { importOsv } from '../../registry/security/advisories.ts';
import { createAdvisoriesRepo } from '../../registry/security/advisories-repo.ts';
import { auditBulk, auditQuick, decodeAuditBody } from '../../registry/security/audit-bulk.ts';
import { refusal } from '../helpers/bad-input.ts';

const sample = fs.readFileSync(fileURLToPath(new URL('../fixtures/security/advisories-sample.json', import.meta.url)));
let db: Db;
beforeAll(() => {
  db = openRegistryDatabase(':memory:');
  importOsv(db, sample, () => new Date('2026-01-01T00:00:00Z'));
});
const store = () => createAdvisoriesRepo(db);

describe('auditBulk', () => {
  it('V13: answers only vulnerable names, with the exact fields npm reads; aliases are one group', () => {
    const body = decodeAuditBody(zlib.gzipSync(JSON.stringify({ lodash: ['4.17.20', '4.17.21'], 'left-pad': ['1.3.0'] })), 'gzip');
    const res = auditBulk(body, store());
    expect(Object.keys(res)).toEqual(['lodash']);
    expect(res.lodash).toEqual([
      {
        id: 1,
        url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
        title: 'Command Injection in lodash',
        severity: 'high',
        vulnerable_versions: '<4.17.21',
        cwe: ['CWE-77', 'CWE-94'],
        cvss: { score: 7.2, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      },
    ]);
  });

  it('works for scoped names and leaves fixed versions out', () => {
    expect(auditBulk({ '@acme/utils': ['1.1.0'] }, store())['@acme/utils'].map((a) => a.vulnerable_versions)).toEqual(['>=1.0.0 <1.2.0']);
    expect(auditBulk({ '@acme/utils': ['1.2.0'], qs: ['6.7.3'] }, store())).toEqual({});
  });

  it('V19: MAL- advisories are present and critical', () => {
    expect(auditBulk({ 'evil-pkg': ['0.0.1'] }, store())['evil-pkg']).toEqual([
      {
        id: 5,
        url: 'https://osv.dev/vulnerability/MAL-2025-1234',
        title: 'Malicious code in evil-pkg (npm)',
        severity: 'critical',
        vulnerable_versions: '*',
        cwe: [],
        cvss: { score: 0, vectorString: null },
      },
    ]);
  });

  it('V14: {} answers {}, bad JSON is 400, shapes are validated, oversize is 413', () => {
    expect(auditBulk({}, store())).toEqual({});
    expect(refusal(() => decodeAuditBody(Buffer.from('{nope')))).toEqual({
      status: 400,
      code: 'INVALID_JSON',
      error: 'audit request body is not valid JSON',
    });
    expect(refusal(() => auditBulk({ lodash: '4.17.20' }, store()))).toEqual({
      status: 400,
      code: 'INVALID_AUDIT_BODY',
      error: 'audit request: "lodash" must map to an array of version strings',
    });
    expect(refusal(() => auditBulk([], store())).status).toBe(400);
    const huge = zlib.gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x20));
    expect(refusal(() => decodeAuditBody(huge, 'gzip'))).toEqual({
      status: 413,
      code: 'AUDIT_BODY_TOO_LARGE',
      error: 'audit request is too large: more than 16 MB after gunzip',
    });
    const many = Object.fromEntries(Array.from({ length: 20_001 }, (_, i) => [`p${i}`, ['1.0.0']]));
    expect(refusal(() => auditBulk(many, store())).status).toBe(413);
  });
});

describe('auditQuick (npm fallback)', () => {
  it('V16: flattens the lockfile tree and keys advisories by id with module_name', () => {
    const res = auditQuick(
      {
        name: 'app',
        version: '1.0.0',
        dependencies: { express: { version: '4.0.0', dependencies: { qs: { version: '6.7.0' } } }, lodash: { version: '4.17.20' } },
      },
      store(),
    );
    expect(Object.keys(res.advisories)).toEqual(['1', '4']);
    expect(res.advisories['4']).toMatchObject({
      id: 4,
      module_name: 'qs',
      severity: 'moderate',
      vulnerable_versions: '>=6.7.0 <6.7.3',
      findings: [{ version: '6.7.0', paths: ['qs'] }],
    });
    expect(res.metadata.vulnerabilities).toEqual({ info: 0, low: 0, moderate: 1, high: 1, critical: 0 });
  });
});
