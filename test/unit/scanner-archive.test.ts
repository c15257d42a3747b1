// In-memory archive reading with hard bounds (acceptance M16): traversal, links, bombs, entry counts.
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_LIMITS, readArchive } from '../../registry/security/archive-reader.ts';
import { gem, npmTarball, tar, tgz } from '../fixtures/security/archives.ts';
import { refusal } from '../helpers/bad-input.ts';

describe('readArchive', () => {
  it('reads an npm tarball (scoped and unscoped layouts are identical: package/...)', () => {
    const a = readArchive(npmTarball({ 'package.json': '{"name":"@acme/x","version":"1.0.0"}', 'lib/index.js': 'module.exports = 1;\n' }));
    expect(a.format).toBe('tgz');
    expect(a.entries.map((e) => [e.path, e.data.toString()])).toEqual([
      ['package/package.json', '{"name":"@acme/x","version":"1.0.0"}'],
      ['package/lib/index.js', 'module.exports = 1;\n'],
    ]);
  });

  it('reads a wheel/jar zip and a gem with its metadata', () => {
    const z = readArchive(
      Buffer.from(zipSync({ 'pkg/__init__.py': Buffer.from('x = 1\n'), 'pkg-1.0.dist-info/METADATA': Buffer.from('Name: pkg\n') })),
    );
    expect(z.entries.map((e) => e.path)).toEqual(['pkg/__init__.py', 'pkg-1.0.dist-info/METADATA']);
    const g = readArchive(gem('--- !ruby/object:Gem::Specification\nname: rack\n', { 'lib/rack.rb': 'module Rack; end\n' }));
    expect(g).toMatchObject({ format: 'gem', gemMetadata: '--- !ruby/object:Gem::Specification\nname: rack\n', totalBytes: 17 });
    expect(g.entries.map((e) => e.path)).toEqual(['lib/rack.rb']);
  });

  it('M16: refuses path traversal, absolute paths and links leaving the root', () => {
    expect(refusal(() => readArchive(tgz([{ name: '../../etc/passwd', data: 'x' }])))).toEqual({
      status: 400,
      code: 'ARCHIVE_UNSAFE',
      error: 'archive refused: entry path "../../etc/passwd" leaves the archive root',
    });
    expect(refusal(() => readArchive(tgz([{ name: '/etc/passwd', data: 'x' }]))).error).toBe(
      'archive refused: absolute entry path "/etc/passwd"',
    );
    expect(refusal(() => readArchive(tgz([{ name: 'package/root', type: '2', linkname: '/' }]))).error).toBe(
      'archive refused: link "package/root" points outside the archive (/)',
    );
    expect(refusal(() => readArchive(tgz([{ name: 'package/up', type: '1', linkname: '../../x' }]))).error).toContain('points outside');
    expect(refusal(() => readArchive(tgz([{ name: 'package/dev', type: '3' }]))).error).toContain('device, fifo or unknown type');
    expect(refusal(() => readArchive(Buffer.from(zipSync({ '../evil.py': Buffer.from('x') })))).error).toContain('leaves the archive root');
  });

  it('keeps a symlink that stays inside the package but never reads through it', () => {
    const a = readArchive(
      tgz([
        { name: 'package/a.js', data: '1' },
        { name: 'package/b.js', type: '2', linkname: 'a.js' },
      ]),
    );
    expect(a.entries.map((e) => e.path)).toEqual(['package/a.js']);
  });

  it('M16: refuses a gzip bomb with a clear reason, before inflating it', () => {
    // 16 MB of zeros gzip to ~16 kB: far beyond the 100:1 ratio once past the 4 MB floor.
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const r = refusal(() => readArchive(bomb));
    expect(r.code).toBe('ARCHIVE_UNSAFE');
    expect(r.error).toMatch(/^archive refused: compressed data inflates past 4 MB, more than 100x its 1\d kB size \(decompression bomb\)$/);
  });

  it('refuses zip bombs, too many entries, duplicates, oversized entries and over-deep paths', () => {
    const zipBomb = Buffer.from(zipSync({ 'a.bin': new Uint8Array(8 * 1024 * 1024) }, { level: 9 }));
    expect(refusal(() => readArchive(zipBomb)).error).toMatch(
      /^archive refused: compressed data inflates past 4 MB, more than 100x its \d+ kB size \(decompression bomb\)$/,
    );
    const lying = Buffer.from(zipSync({ 'a.bin': new Uint8Array(64 * 1024) }));
    expect(refusal(() => readArchive(lying, { ...DEFAULT_ARCHIVE_LIMITS, maxEntryBytes: 1000 })).error).toBe(
      'archive refused: entry "a.bin" is 64 kB, over the 1 kB limit',
    );
    const small = { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 3 };
    const many = tgz(Array.from({ length: 5 }, (_, i) => ({ name: `package/f${i}.js`, data: 'x' })));
    expect(refusal(() => readArchive(many, small)).error).toBe('archive refused: more than 3 entries');
    expect(
      refusal(() =>
        readArchive(
          tgz([
            { name: 'package/a', data: '1' },
            { name: 'package/./a', data: '2' },
          ]),
        ),
      ).error,
    ).toBe('archive refused: duplicate entry "package/a"');
    expect(
      refusal(() =>
        readArchive(tgz([{ name: 'package/big', data: Buffer.alloc(2048) }]), { ...DEFAULT_ARCHIVE_LIMITS, maxEntryBytes: 1024 }),
      ).error,
    ).toBe('archive refused: entry "package/big" is 2 kB, over the 1 kB limit');
    const deep = `${Array.from({ length: 40 }, () => 'd').join('/')}/f.js`;
    expect(
      refusal(() => readArchive(tgz([{ name: deep.slice(0, 99), data: 'x' }]), { ...DEFAULT_ARCHIVE_LIMITS, maxPathDepth: 10 })).error,
    ).toContain('deeper than 10 levels');
  });

  it('refuses corrupt headers, truncated data and unknown formats', () => {
    const t = tar([{ name: 'package/a.js', data: 'hello' }]);
    t[0] = 'X'.charCodeAt(0);
    expect(refusal(() => readArchive(t)).error).toBe('archive refused: tar header checksum mismatch at byte 0');
    expect(refusal(() => readArchive(Buffer.from('hello world'))).error).toBe(
      'archive refused: unknown archive format: expected gzip tar, zip or gem',
    );
    const gz = zlib.gzipSync(tar([{ name: 'package/a.js', data: 'x'.repeat(4000) }]));
    expect(refusal(() => readArchive(gz.subarray(0, gz.length - 30))).error).toMatch(/^archive refused: compressed data is corrupt/);
  });
});
