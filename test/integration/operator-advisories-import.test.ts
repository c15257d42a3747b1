// `npm run advisories:import` given a file that is not what it claims: a .zip that is no zip archive (binary, or
// an HTML error page saved under the dump's name) and binary under another name. One sentence per file, not one
// "not valid JSON" line per line of it; nothing imported, exit 1, and the valid files beside it still imported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistryDatabase } from '../../registry/db.ts';
import { runEntry } from '../helpers/run-entry.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-advimport-'));

const record = {
  id: 'GHSA-test-0000-0001',
  modified: '2026-11-01T00:00:00Z',
  affected: [
    { package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.1' }] }] },
  ],
};

describe('advisories:import of a file that is not what it claims', () => {
  it('says once that a .zip is not a zip archive, and that binary is not JSON, and imports the valid file beside them', async () => {
    const dataDir = tmp();
    openRegistryDatabase(path.join(dataDir, 'registry.db')).close();
    const dir = tmp();
    // Binary (gzip-like, with NUL bytes) with many line breaks: before, each "line" was skipped with its own
    // "not valid JSON".
    const binary = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.from([0x1f, 0x8b, 0x08, 0x00, i, 0xff, 0x0a])));
    const badZip = path.join(dir, 'all.zip');
    fs.writeFileSync(badZip, binary);
    const html = path.join(dir, 'dump.ZIP');
    fs.writeFileSync(html, '<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>\n');
    const blob = path.join(dir, 'osv.bin');
    fs.writeFileSync(blob, binary);
    const good = path.join(dir, 'osv.json');
    fs.writeFileSync(good, JSON.stringify(record));

    const p = runEntry('scripts/advisories-import.ts', { DATA_DIR: dataDir }, [badZip, html, blob, good]);
    expect(await p.exited).toBe(1);
    const out = p.output();
    expect(out).toContain(`${badZip}: is not a zip archive (it does not start with a zip header): download the OSV dump again`);
    expect(out).toContain(`${html}: is not a zip archive`);
    expect(out).toContain(`${blob}: the upload is not OSV JSON, NDJSON or a zip archive: it holds binary data`);
    expect(out).not.toContain('not valid JSON');
    expect(out.trim().split('\n')).toHaveLength(4);
    expect(out).toContain(`${good}: 1 imported`);
  }, 60_000);
});
