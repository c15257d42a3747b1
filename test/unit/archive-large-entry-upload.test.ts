// A wheel and a gem with a 40 MB native library (over the 32 MB the archive reader holds in memory) go through this
// registry's own upload routes, twine's multipart form and gem push: accepted, scanned, stored byte for byte. A 40 MB
// .py is accepted too, flagged with the finding a reviewer sees; a bomb is refused with nothing stored.
import crypto from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, metadataText, uploadForm, wheelName } from '../fixtures/pypi/pypi-fixtures.ts';
import { gemspecYaml } from '../fixtures/rubygems/gem-fixtures.ts';
import { buildTestRegistry, makeTar, makeTgz } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const MB = 1024 * 1024;

/** Incompressible bytes behind an ELF header: a native library as far as the scanner can tell. */
function nativeLibrary(bytes: number): Buffer {
  const b = crypto.randomBytes(bytes);
  b.set([0x7f, 0x45, 0x4c, 0x46], 0);
  return b;
}

/** A platform wheel as bdist_wheel lays it out, with extra files (a compiled extension, a big module). */
function wheelWith(name: string, version: string, files: Record<string, Buffer>) {
  const dist = `${wheelName(name)}-${version}`;
  const bytes = Buffer.from(
    zipSync({
      [`${name}/__init__.py`]: Buffer.from('from ._core import *\n'),
      ...files,
      [`${dist}.dist-info/METADATA`]: Buffer.from(metadataText(name, version, { license: 'MIT' })),
      [`${dist}.dist-info/WHEEL`]: Buffer.from('Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_x86_64\n'),
    }),
  );
  return { filename: `${dist}-cp312-cp312-manylinux_2_17_x86_64.whl`, bytes };
}

/** A platform gem as `gem build` writes it, with a compiled extension in data.tar.gz. */
function gemWith(name: string, version: string, files: Record<string, Buffer>): Buffer {
  return makeTar([
    { path: 'metadata.gz', content: gzipSync(gemspecYaml(name, version, { platform: 'x86_64-linux' })) },
    {
      path: 'data.tar.gz',
      content: makeTgz([
        { path: 'README.md', content: `# ${name}\n` },
        { path: `lib/${name}.rb`, content: `require "${name}/${name}"\n` },
        ...Object.entries(files).map(([path, content]) => ({ path, content })),
      ]),
    },
    { path: 'checksums.yaml.gz', content: gzipSync('---\n') },
  ]);
}

describe('uploads with an entry over the in-memory bound', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const twine = (dist: { filename: string; bytes: Buffer }, name: string, version: string) => {
    const f = uploadForm(dist, name, version);
    return r.app.inject({
      method: 'POST',
      url: '/pypi/legacy/',
      headers: { ...f.headers, ...basic('alice', r.alice.token) },
      payload: f.payload,
    });
  };
  const gemPush = (gem: Buffer) =>
    r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
      payload: gem,
    });
  const scanOf = (ecosystem: string, name: string, version: string) => {
    const row = r.db
      .prepare('SELECT verdict, findings, files FROM scan_results WHERE ecosystem = ? AND name = ? AND version = ?')
      .get(ecosystem, name, version) as { verdict: string; findings: string; files: string } | undefined;
    return row && { verdict: row.verdict, findings: JSON.parse(row.findings), files: JSON.parse(row.files) };
  };
  const stored = (ecosystem: string) =>
    r.db.prepare('SELECT path, size FROM artifact_files WHERE ecosystem = ?').all(ecosystem) as { path: string; size: number }[];

  it('twine upload of a wheel with a 40 MB .so: 200, scanned, the library listed with its size', async () => {
    const so = nativeLibrary(40 * MB);
    const wheel = wheelWith('fastlib', '1.0.0', { 'fastlib/_core.cpython-312-x86_64-linux-gnu.so': so });
    const res = await twine(wheel, 'fastlib', '1.0.0');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('OK\n');
    const scan = scanOf('pypi', 'fastlib', '1.0.0');
    expect(scan?.files).toContainEqual({ path: 'fastlib/_core.cpython-312-x86_64-linux-gnu.so', size: 40 * MB });
    expect(scan?.findings.some((f: { ruleId: string }) => f.ruleId === 'M_ARCHIVE_UNSAFE')).toBe(false);
    expect(stored('pypi')).toContainEqual({ path: `fastlib/${wheel.filename}`, size: wheel.bytes.length });
    const file = await r.app.inject({ method: 'GET', url: `/pypi/files/fastlib/${wheel.filename}` });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(wheel.bytes)).toBe(true);
  });

  it('gem push of a gem with a 40 MB .so: 200, scanned, the extension listed with its size', async () => {
    const gem = gemWith('fastgem', '1.0.0', { 'lib/fastgem/fastgem.so': nativeLibrary(40 * MB) });
    const res = await gemPush(gem);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('Successfully registered gem: fastgem (1.0.0-x86_64-linux)');
    const scan = scanOf('rubygems', 'fastgem', '1.0.0');
    expect(scan?.files).toContainEqual({ path: 'lib/fastgem/fastgem.so', size: 40 * MB });
    expect(stored('rubygems')).toEqual([{ path: 'fastgem-1.0.0-x86_64-linux.gem', size: gem.length }]);
  });

  it('a wheel with a 40 MB .py is accepted and flagged: "large file not scanned by content", medium', async () => {
    const big = Buffer.from(`BLOB = "${crypto.randomBytes(30 * MB).toString('base64')}"\n`);
    const res = await twine(wheelWith('bigpy', '1.0.0', { 'bigpy/_blob.py': big }), 'bigpy', '1.0.0');
    expect(res.statusCode).toBe(200);
    const scan = scanOf('pypi', 'bigpy', '1.0.0');
    expect(scan?.verdict).toBe('warn');
    expect(scan?.findings).toContainEqual({
      ruleId: 'M_LARGE_UNSCANNED',
      category: 'malware',
      severity: 'medium',
      message: 'large file not scanned by content: 40 MB, over the 32 MB the scanner reads',
      file: 'bigpy/_blob.py',
    });
    const review = r.db.prepare("SELECT review_state FROM scan_results WHERE ecosystem = 'pypi' AND name = 'bigpy'").get();
    expect(review).toEqual({ review_state: 'flagged' });
  });

  it('a bomb in a wheel (64 MB of zeros in a few kB) and in a gem is refused, nothing stored', async () => {
    const bomb = wheelWith('boom', '1.0.0', { 'boom/_core.so': Buffer.alloc(64 * MB) });
    const res = await twine(bomb, 'boom', '1.0.0');
    expect(res.statusCode).toBe(400);
    expect(res.raw.res.statusMessage).toMatch(/decompression bomb/);
    const gem = makeTar([
      { path: 'metadata.gz', content: gzipSync(gemspecYaml('boomgem', '1.0.0')) },
      { path: 'data.tar.gz', content: makeTgz([{ path: 'lib/boomgem.so', content: Buffer.alloc(64 * MB) }]) },
    ]);
    const pushed = await gemPush(gem);
    expect(pushed.statusCode).toBe(400);
    expect(pushed.body).toMatch(/decompression bomb/);
    expect(stored('pypi')).toEqual([]);
    expect(stored('rubygems')).toEqual([]);
  });
});
