// The content-addressed blob store every ecosystem shares, the in-memory tar reader, and the npm signing key:
// durable put (no temp leftovers, idempotent), paths only from hashes, bounded archive reading, key kept 0600.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore, sha512Hex } from '../../registry/blob-store.ts';
import { loadSigner, verifySignature } from '../../registry/npm/signing.ts';
import { ArchiveError, DEFAULT_TAR_LIMITS, readTarGz } from '../../registry/tar-reader.ts';
import { makeTar, makeTgz } from '../helpers/npm-fixtures.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-blobs-'));

describe('fs blob store', () => {
  it('stores bytes under their sha512, idempotently, with no temp file left behind', async () => {
    const root = tmp();
    const store = createFsBlobStore(root);
    const bytes = Buffer.from('hello tarball');
    const hex = await store.put(bytes);
    expect(hex).toBe(sha512Hex(bytes));
    expect(fs.existsSync(path.join(root, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex))).toBe(true);
    expect(await store.put(bytes)).toBe(hex);
    expect((await store.get(hex))?.equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
    await store.remove(hex);
    expect(await store.get(hex)).toBeUndefined();
    fs.rmSync(root, { recursive: true });
  });

  it('refuses keys that are not a sha512 hex (no path from user input)', async () => {
    const store = createFsBlobStore(tmp());
    await expect(store.get('../../etc/passwd')).rejects.toThrow('invalid blob key');
    await expect(store.has('A'.repeat(128))).rejects.toThrow('invalid blob key');
  });
});

describe('tar reader', () => {
  it('reads pax and GNU long names, keeps only the wanted bytes, counts sizes', () => {
    const long = `package/${'dir-name/'.repeat(10)}file.txt`;
    const record = ` path=${long}\n`;
    const pax = Buffer.from(`${record.length + 3}${record}`);
    const entries = readTarGz(
      makeTgz([
        { path: 'PaxHeader', type: 'x', content: pax },
        { path: 'ignored-short-name', content: 'abc' },
        { path: '././@LongLink', type: 'L', content: 'package/gnu-long-name.js' },
        { path: 'short', content: 'x' },
        { path: 'package/package.json', content: '{}' },
      ]),
      (p) => p === 'package/package.json',
    );
    expect(entries.map((e) => [e.path, e.size, e.data.length])).toEqual([
      [long, 3, 0],
      ['package/gnu-long-name.js', 1, 0],
      ['package/package.json', 2, 2],
    ]);
  });

  it('refuses bombs, too many entries, deep paths, corrupt headers and non-gzip input', () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(() => readTarGz(bomb, () => false, { ...DEFAULT_TAR_LIMITS, maxInflatedBytes: 1024 * 1024 })).toThrow(/inflates to more than/);
    const many = makeTgz(Array.from({ length: 30 }, (_, i) => ({ path: `package/f${i}`, content: '' })));
    expect(() => readTarGz(many, () => false, { ...DEFAULT_TAR_LIMITS, maxEntries: 10 })).toThrow(/more than 10 entries/);
    expect(() => readTarGz(makeTgz([{ path: `package/${'a/'.repeat(40)}x`, content: '' }]), () => false)).toThrow(/too deep/);
    const corrupt = makeTar([{ path: 'package/a', content: 'x' }]);
    corrupt[148] = 0x39;
    expect(() => readTarGz(gzipSync(corrupt), () => false)).toThrow(ArchiveError);
    expect(() => readTarGz(Buffer.from('PK\u0003\u0004 not gzip at all'), () => false)).toThrow(/not gzip/);
  });
});

describe('npm signing key', () => {
  it('is generated once into <DATA_DIR>/secrets with mode 0600 and reused; its signatures verify', () => {
    const dir = tmp();
    const a = loadSigner(dir);
    const b = loadSigner(dir);
    expect(b.keyid).toBe(a.keyid);
    const file = path.join(dir, 'secrets', 'npm-signing-key.pem');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { sig } = a.sign('@elide/http', '1.0.0', 'sha512-abc');
    expect(verifySignature(b.publicKeyBase64, '@elide/http', '1.0.0', 'sha512-abc', sig)).toBe(true);
    expect(verifySignature(b.publicKeyBase64, '@elide/http', '1.0.1', 'sha512-abc', sig)).toBe(false);
    fs.rmSync(dir, { recursive: true });
  });
});
