// Archives with an entry over the in-memory bound (a wheel's or gem's 40 MB native library, a 40 MB .js): the reader
// walks and checks every entry but holds only what the scanner reads by content; bombs are refused as before.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ArchiveEntry, DEFAULT_ARCHIVE_LIMITS, readArchive, readTar, readZip } from '../../registry/security/archive-reader.ts';
import { readsByContent } from '../../registry/security/artifact-files.ts';
import { analyzeArtifact } from '../../registry/security-scanner.ts';
import { tar, tgz } from '../fixtures/security/archives.ts';
import { refusal } from '../helpers/bad-input.ts';

const MB = 1024 * 1024;
// Incompressible, so the archive stays within the 100:1 ratio; an ELF header so binaryKind has something to see.
const nativeLibrary = (bytes: number) => {
  const b = crypto.randomBytes(bytes);
  b.set([0x7f, 0x45, 0x4c, 0x46], 0);
  return b;
};
// 40 MB of JavaScript that deflate cannot shrink 100-fold: one string of random base64.
const hugeScript = () => Buffer.from(`module.exports = "${crypto.randomBytes(30 * MB).toString('base64')}";\n`);

const wheel = (files: Record<string, Buffer>) => Buffer.from(zipSync(files));
const metadata = Buffer.from('Metadata-Version: 2.1\nName: fastlib\nVersion: 1.0\n\n');

const heldBytes = (entries: ArchiveEntry[]) => entries.reduce((n, e) => n + e.data.length, 0);
/** The memory behind a Buffer: a view into a 40 MB inflation would report that inflation's size. */
const backing = (b: Buffer) => b.buffer.byteLength;

describe('an archive entry larger than the in-memory bound', () => {
  const so = nativeLibrary(40 * MB);

  it('a wheel with a 40 MB .so is read, the library walked and measured but not held', () => {
    const bytes = wheel({
      'fastlib/__init__.py': Buffer.from('from ._core import *\n'),
      'fastlib/_core.cpython-312-x86_64-linux-gnu.so': so,
      'fastlib-1.0.dist-info/METADATA': metadata,
    });
    const archive = readArchive(bytes, DEFAULT_ARCHIVE_LIMITS, readsByContent);
    const lib = archive.entries.find((e) => e.path.endsWith('.so'))!;
    expect(lib).toMatchObject({ size: 40 * MB, held: false });
    expect(lib.data.length).toBe(0);
    expect(lib.head.equals(so.subarray(0, lib.head.length))).toBe(true);
    expect(backing(lib.head)).toBeLessThan(64 * 1024);
    expect(archive.totalBytes).toBe(40 * MB + 21 + metadata.length);
    // What is held is the scanned code and the metadata, nothing of the library.
    expect(heldBytes(archive.entries)).toBe(21 + metadata.length);
    expect(archive.entries.find((e) => e.path === 'fastlib/__init__.py')?.data.toString()).toBe('from ._core import *\n');
  });

  it('a stored (uncompressed) zip entry is not copied either', () => {
    const bytes = Buffer.from(zipSync({ 'lib/big.so': [so, { level: 0 }], 'lib/a.py': Buffer.from('x = 1\n') }));
    const entries = readZip(bytes, DEFAULT_ARCHIVE_LIMITS, readsByContent);
    expect(entries.map((e) => [e.path, e.size, e.held, e.data.length])).toEqual([
      ['lib/big.so', 40 * MB, false, 0],
      ['lib/a.py', 6, true, 6],
    ]);
    expect(backing(entries[0].head)).toBeLessThan(64 * 1024);
  });

  it('a gem with a 40 MB native extension is read without holding it', () => {
    const bytes = tar([
      { name: 'metadata.gz', data: zlib.gzipSync('--- !ruby/object:Gem::Specification\nname: fastgem\n') },
      {
        name: 'data.tar.gz',
        data: tgz([
          { name: 'lib/fastgem.rb', data: "require 'fastgem/fastgem'\n" },
          { name: 'lib/fastgem/fastgem.so', data: so },
        ]),
      },
    ]);
    const archive = readArchive(bytes, DEFAULT_ARCHIVE_LIMITS, readsByContent);
    expect(archive.format).toBe('gem');
    const lib = archive.entries.find((e) => e.path === 'lib/fastgem/fastgem.so')!;
    expect(lib).toMatchObject({ size: 40 * MB, held: false });
    expect(lib.data.length).toBe(0);
    // The head is a copy: the 40 MB inflated data.tar is not kept alive by the entry.
    expect(backing(lib.head)).toBeLessThan(64 * 1024);
    expect(heldBytes(archive.entries)).toBe("require 'fastgem/fastgem'\n".length);
  });

  it('without a hold, entries over maxHeldEntryBytes are still walked, not held and not refused', () => {
    const entries = readArchive(tgz([{ name: 'package/blob.bin', data: so }])).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ path: 'package/blob.bin', size: 40 * MB, held: false });
  });

  it('the scan of a wheel with a 40 MB .so succeeds and lists the library with its size', () => {
    const result = analyzeArtifact({
      ecosystem: 'PyPI',
      name: 'fastlib',
      version: '1.0',
      archive: wheel({ 'fastlib/__init__.py': Buffer.from('x = 1\n'), 'fastlib/_core.so': so, 'fastlib-1.0.dist-info/METADATA': metadata }),
    });
    expect(result.refusal).toBeUndefined();
    expect(result.files).toContainEqual({ path: 'fastlib/_core.so', size: 40 * MB });
    // Its first bytes still reach the binary rule, as for a small library.
    expect(result.findings).toContainEqual(
      expect.objectContaining({ ruleId: 'M_BUNDLED_BINARY', file: 'fastlib/_core.so', message: 'ELF executable shipped in the package' }),
    );
    expect(result.findings.some((f) => f.ruleId === 'M_LARGE_UNSCANNED')).toBe(false);
  });

  it('a 40 MB .js is accepted with a medium "not scanned by content" finding naming it and its size', () => {
    const js = hugeScript();
    const result = analyzeArtifact({
      ecosystem: 'npm',
      name: 'huge-bundle',
      version: '1.0.0',
      archive: tgz([
        { name: 'package/package.json', data: '{"name":"huge-bundle","version":"1.0.0","main":"index.js"}' },
        { name: 'package/index.js', data: js },
      ]),
    });
    expect(result.refusal).toBeUndefined();
    expect(result.verdict).toBe('warn');
    const finding = result.findings.find((f) => f.ruleId === 'M_LARGE_UNSCANNED');
    expect(finding).toEqual({
      ruleId: 'M_LARGE_UNSCANNED',
      category: 'malware',
      severity: 'medium',
      message: `large file not scanned by content: ${Math.round((js.length / MB) * 10) / 10} MB, over the 32 MB the scanner reads`,
      file: 'index.js',
    });
    expect(result.files).toContainEqual({ path: 'index.js', size: js.length });
  });

  it('a .js between the 5 MB scan cap and the bound keeps its info largeFile, and is not held', () => {
    const js = Buffer.from(`x = "${crypto.randomBytes(5 * MB).toString('base64')}";\n`);
    const archive = tgz([{ name: 'package/index.js', data: js }]);
    expect(readArchive(archive, DEFAULT_ARCHIVE_LIMITS, readsByContent).entries[0]).toMatchObject({ held: false, size: js.length });
    const result = analyzeArtifact({ ecosystem: 'npm', name: 'mid-bundle', version: '1.0.0', archive });
    expect(result.findings.filter((f) => f.file === 'index.js').map((f) => [f.ruleId, f.severity])).toEqual([['largeFile', 'info']]);
  });
});

describe('a .tgz is gunzipped piece by piece through the tar walk', () => {
  afterEach(() => vi.restoreAllMocks());
  const pax = (path: string) => {
    const record = ` path=${path}\n`;
    let len = record.length + 2;
    if (`${len}${record}`.length !== len) len += 1;
    return `${len}${record}`;
  };
  // Sizes around the 512-byte blocks, empty files, pax and GNU long names, a folder and a link: pieces of the
  // inflated stream end anywhere in them.
  const items = [
    { name: 'package/package.json', data: '{"name":"x","version":"1.0.0"}' },
    { name: 'package/empty.js', data: '' },
    { name: 'package/lib/', type: '5' as const },
    { name: 'package/a.js', data: 'a'.repeat(511) },
    { name: 'package/b.js', data: crypto.randomBytes(512).toString('hex').slice(0, 512) },
    { name: 'package/c.js', data: crypto.randomBytes(400).toString('base64').slice(0, 513) },
    { name: 'package/link.js', type: '2' as const, linkname: 'a.js' },
    { name: 'PaxHeader', type: 'x' as '0', data: pax(`package/${'deep/'.repeat(30)}long-name.js`) },
    { name: 'package/short', data: 'module.exports = 1;\n' },
    { name: '././@LongLink', type: 'L' as '0', data: `package/${'n'.repeat(150)}.bin\0` },
    { name: 'package/nnn.bin', data: crypto.randomBytes(700_000) },
    { name: 'package/lib/native.so', data: nativeLibrary(3 * MB) },
    { name: 'package/README.md', data: '# x\n' },
  ];
  const view = (entries: ArchiveEntry[]) =>
    entries.map((e) => [e.path, e.size, e.held, e.data.toString('base64'), e.head.toString('base64')]);

  it('gives the entries the whole tar gives, without zlib inflating the archive', () => {
    const plain = tar(items);
    const whole = readTar(plain, DEFAULT_ARCHIVE_LIMITS, readsByContent);
    expect(whole.map((e) => e.path)).toEqual([
      'package/package.json',
      'package/empty.js',
      'package/a.js',
      'package/b.js',
      'package/c.js',
      `package/${'deep/'.repeat(30)}long-name.js`,
      `package/${'n'.repeat(150)}.bin`,
      'package/lib/native.so',
      'package/README.md',
    ]);
    const gunzip = vi.spyOn(zlib, 'gunzipSync');
    const streamed = readArchive(zlib.gzipSync(plain), DEFAULT_ARCHIVE_LIMITS, readsByContent);
    expect(gunzip).not.toHaveBeenCalled();
    expect(view(streamed.entries)).toEqual(view(whole));
    // Concatenated gzip members (gzip -c a b) are one stream, each member's CRC checked.
    const half = plain.length / 2;
    const members = Buffer.concat([zlib.gzipSync(plain.subarray(0, half)), zlib.gzipSync(plain.subarray(half))]);
    expect(view(readArchive(members, DEFAULT_ARCHIVE_LIMITS, readsByContent).entries)).toEqual(view(whole));
    expect(gunzip).not.toHaveBeenCalled();
  });

  it('leaves to zlib what the streaming reader cannot vouch for: zero padding is read, a bad CRC refused', () => {
    const plain = tar(items.slice(0, 4));
    const gz = zlib.gzipSync(plain);
    const gunzip = vi.spyOn(zlib, 'gunzipSync');
    const padded = readArchive(Buffer.concat([gz, Buffer.alloc(1024)]), DEFAULT_ARCHIVE_LIMITS, readsByContent);
    expect(view(padded.entries)).toEqual(view(readTar(plain, DEFAULT_ARCHIVE_LIMITS, readsByContent)));
    expect(gunzip).toHaveBeenCalledTimes(1);
    const badCrc = Buffer.from(gz);
    badCrc.writeUInt32LE(badCrc.readUInt32LE(gz.length - 8) ^ 1, gz.length - 8);
    expect(refusal(() => readArchive(badCrc)).error).toMatch(/^archive refused: compressed data is corrupt/);
  });

  it('refuses a tar whose last entry is cut short, and a bomb past the end-of-archive blocks', () => {
    const plain = tar([{ name: 'package/a.js', data: 'x'.repeat(4000) }]);
    expect(refusal(() => readArchive(zlib.gzipSync(plain.subarray(0, 2048)))).error).toBe('archive refused: tar entry is truncated');
    const trailingBomb = zlib.gzipSync(Buffer.concat([plain, Buffer.alloc(16 * MB)]));
    expect(refusal(() => readArchive(trailingBomb)).error).toMatch(/\(decompression bomb\)$/);
  });
});

describe('readsByContent: what the scanner holds', () => {
  it('code up to the scan cap, the manifest and README, small top-level files; not libraries or deep data', () => {
    const cases: [string, number, boolean][] = [
      ['package/index.js', 5 * MB, true],
      ['package/index.js', 5 * MB + 1, false],
      ['pkg/setup.py', 1000, true],
      ['package/package.json', 10 * MB, true],
      ['package/README.md', 2 * MB, true],
      ['package/LICENSE', 100_000, true],
      ['package/LICENSE', 300_000, false],
      ['fastlib/_core.so', 40 * MB, false],
      ['fastlib/_core.so', 1000, true],
      ['com/acme/Widget.class', 4000, false],
      ['lib/fastgem/fastgem.so', 40 * MB, false],
      ['docs/images/logo.png', 50_000, false],
    ];
    expect(cases.map(([p, size]) => [p, size, readsByContent(p, size)])).toEqual(cases);
  });
});

describe('the bounds stay as strict for entries that are not held', () => {
  it('a zip bomb inside a native library is refused before it is inflated', () => {
    const bomb = Buffer.from(zipSync({ 'fastlib/_core.so': new Uint8Array(64 * MB), 'fastlib/__init__.py': Buffer.from('x = 1\n') }));
    expect(bomb.length).toBeLessThan(MB);
    expect(refusal(() => readArchive(bomb, DEFAULT_ARCHIVE_LIMITS, readsByContent))).toEqual({
      status: 400,
      code: 'ARCHIVE_UNSAFE',
      error: expect.stringMatching(
        /^archive refused: compressed data inflates past [\d.]+ MB, more than 100x its \d+ kB size \(decompression bomb\)$/,
      ),
    });
    const scan = analyzeArtifact({ ecosystem: 'PyPI', name: 'fastlib', version: '1.0', archive: bomb });
    expect(scan.verdict).toBe('block');
    expect(scan.refusal?.code).toBe('ARCHIVE_UNSAFE');
  });

  it('a zip entry whose header under-states its size is refused at the held bound, held or not', () => {
    // 40 MB of random bytes behind a central directory that claims 1 kB: read as held, it may not grow past the bound.
    const honest = Buffer.from(zipSync({ 'pkg/data.py': nativeLibrary(40 * MB) }));
    const lying = Buffer.from(honest);
    const cd = lying.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    lying.writeUInt32LE(1024, cd + 24);
    expect(refusal(() => readArchive(lying, DEFAULT_ARCHIVE_LIMITS, readsByContent)).error).toMatch(
      /^archive refused: compressed data inflates past the 32 MB limit$/,
    );
    // Not held (a .so), the lie changes nothing: the entry is measured as it inflates.
    const so = Buffer.from(zipSync({ 'pkg/data.so': new Uint8Array(64 * MB) }));
    const lyingSo = Buffer.from(so);
    lyingSo.writeUInt32LE(1024 * 1024, lyingSo.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    expect(refusal(() => readArchive(lyingSo, DEFAULT_ARCHIVE_LIMITS, () => false)).error).toMatch(/\(decompression bomb\)$/);
  });

  it('a gzip bomb in a gem and the total size are refused as before', () => {
    const bombGem = tar([
      { name: 'metadata.gz', data: zlib.gzipSync('--- !ruby/object:Gem::Specification\nname: boom\n') },
      { name: 'data.tar.gz', data: zlib.gzipSync(tar([{ name: 'lib/boom.so', data: Buffer.alloc(64 * MB) }])) },
    ]);
    expect(refusal(() => readArchive(bombGem, DEFAULT_ARCHIVE_LIMITS, readsByContent)).error).toMatch(
      /^archive refused: compressed data inflates past [\d.]+ MB, more than 100x its \d+ kB size \(decompression bomb\)$/,
    );
    const total = { ...DEFAULT_ARCHIVE_LIMITS, maxTotalBytes: 30 * MB };
    const big = Buffer.from(zipSync({ 'a.so': nativeLibrary(20 * MB), 'b.so': nativeLibrary(20 * MB) }));
    expect(refusal(() => readArchive(big, total, readsByContent)).error).toBe(
      'archive refused: compressed data inflates past the 10 MB limit',
    );
    // The per-entry limit applies to an entry that is not held as to any other.
    const perEntry = { ...DEFAULT_ARCHIVE_LIMITS, maxEntryBytes: 16 * MB };
    expect(refusal(() => readArchive(tgz([{ name: 'x/a.so', data: nativeLibrary(20 * MB) }]), perEntry, readsByContent)).error).toBe(
      'archive refused: entry "x/a.so" is 20 MB, over the 16 MB limit',
    );
    expect(refusal(() => readArchive(big, perEntry, readsByContent)).error).toBe(
      'archive refused: entry "a.so" is 20 MB, over the 16 MB limit',
    );
  });

  it('a corrupt deflate stream in an entry that is not held is refused as corrupt', () => {
    const good = Buffer.from(zipSync({ 'lib/x.so': nativeLibrary(MB) }));
    const start = 30 + 'lib/x.so'.length;
    const bad = Buffer.from(good);
    bad.fill(0xff, start, start + 64);
    expect(refusal(() => readArchive(bad, DEFAULT_ARCHIVE_LIMITS, () => false)).error).toMatch(
      /^archive refused: compressed data is corrupt/,
    );
  });
});
