// Content-addressed blob store for every ecosystem's artifacts (tarballs, wheels, jars, gems). The bytes are
// written to a temp file, fsynced, renamed to their sha512 path and the directory fsynced BEFORE the caller
// commits its row (DESIGN.md section 3): a crash may leave an orphan blob, never a row without its bytes.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface BlobStore {
  /** Store the bytes durably; returns their sha512 (hex). Idempotent for identical bytes. */
  put(bytes: Buffer): Promise<string>;
  /** The bytes, or undefined when absent. */
  get(sha512: string): Promise<Buffer | undefined>;
  has(sha512: string): Promise<boolean>;
  /** Delete the bytes (cache eviction only: the caller checks that no row references them). */
  remove(sha512: string): Promise<void>;
}

const HEX512 = /^[0-9a-f]{128}$/;

export function sha512Hex(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('hex');
}

/** Filesystem store: <root>/sha512/<aa>/<bb>/<hex>. Paths come only from the hash, never from user input. */
export function createFsBlobStore(root: string): BlobStore {
  const tmpDir = path.join(root, 'tmp');
  const pathOf = (hex: string) => {
    if (!HEX512.test(hex)) throw new Error('invalid blob key');
    return path.join(root, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
  };
  return {
    async put(bytes) {
      const hex = sha512Hex(bytes);
      const target = pathOf(hex);
      if (fs.existsSync(target)) return hex;
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, `${hex.slice(0, 16)}.${process.pid}.${randomBytes(6).toString('hex')}`);
      const fh = await fs.promises.open(tmp, 'wx', 0o644);
      try {
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.promises.rename(tmp, target);
      } catch (err) {
        // A full disk (ENOSPC) or an I/O error: never leave a partial temp file taking the space.
        await fs.promises.rm(tmp, { force: true });
        throw err;
      }
      // fsync the directory so the rename itself survives power loss.
      const dir = await fs.promises.open(path.dirname(target), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return hex;
    },
    async get(hex) {
      try {
        return await fs.promises.readFile(pathOf(hex));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async has(hex) {
      return fs.existsSync(pathOf(hex));
    },
    async remove(hex) {
      await fs.promises.rm(pathOf(hex), { force: true });
    },
  };
}

/** In-memory store for unit tests and ephemeral instances. */
export function createMemoryBlobStore(): BlobStore & { size(): number } {
  const blobs = new Map<string, Buffer>();
  return {
    async put(bytes) {
      const hex = sha512Hex(bytes);
      blobs.set(hex, Buffer.from(bytes));
      return hex;
    },
    async get(hex) {
      return blobs.get(hex);
    },
    async has(hex) {
      return blobs.has(hex);
    },
    async remove(hex) {
      blobs.delete(hex);
    },
    size: () => blobs.size,
  };
}
