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
  /**
   * Delete the bytes unless they were written or re-put at or after `cutoff` (ms since the epoch): an upload that
   * has put these bytes but not yet committed its row keeps them. True when deleted. The caller checks references.
   */
  removeIfWrittenBefore(sha512: string, cutoff: number): Promise<boolean>;
  /** Every stored blob with the time its bytes were last put (for the orphan collector). */
  list(): AsyncGenerator<{ sha512: string; size: number; writtenAt: number }>;
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
      // Already stored: refresh its time so the collector sees an upload in flight (blob-gc.ts). When the file
      // vanished meanwhile (ENOENT), it is written again below.
      try {
        const now = new Date();
        await fs.promises.utimes(target, now, now);
        return hex;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
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
    async removeIfWrittenBefore(hex, cutoff) {
      // Moved aside first, then judged: a put() refreshing the time after the move gets ENOENT and writes the
      // bytes again, so a blob an upload relies on is never lost between the check and the delete.
      const target = pathOf(hex);
      await fs.promises.mkdir(tmpDir, { recursive: true });
      const aside = path.join(tmpDir, `gc.${hex.slice(0, 16)}.${process.pid}.${randomBytes(6).toString('hex')}`);
      try {
        await fs.promises.rename(target, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      const { mtimeMs } = await fs.promises.stat(aside);
      if (mtimeMs >= cutoff) {
        await fs.promises.link(aside, target).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        await fs.promises.rm(aside, { force: true });
        return false;
      }
      await fs.promises.rm(aside, { force: true });
      return true;
    },
    async *list() {
      const base = path.join(root, 'sha512');
      const dirs = async (dir: string) => (await fs.promises.readdir(dir).catch(() => [] as string[])).sort();
      for (const a of await dirs(base))
        for (const b of await dirs(path.join(base, a)))
          for (const hex of await dirs(path.join(base, a, b))) {
            if (!HEX512.test(hex)) continue;
            const st = await fs.promises.stat(path.join(base, a, b, hex)).catch(() => undefined);
            if (st) yield { sha512: hex, size: st.size, writtenAt: st.mtimeMs };
          }
    },
  };
}

/**
 * A bounded in-memory cache in front of a store's reads, for the hot downloads (npm tarballs): the most recently
 * read blobs up to `maxBytes` in total, each at most `maxItemBytes` (a large one would evict many small ones).
 * Keyed by the sha512 of the bytes, so an entry can never be stale: the same key always means the same bytes.
 * Callers still decide whether a blob may be served (its row, the reader's access) before asking for the bytes.
 */
export function createBlobReadCache(store: Pick<BlobStore, 'get'>, opts: { maxBytes: number; maxItemBytes: number }) {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, Buffer>();
  let bytes = 0;
  return {
    async get(sha512: string): Promise<Buffer | undefined> {
      const hit = entries.get(sha512);
      if (hit) {
        entries.delete(sha512);
        entries.set(sha512, hit);
        return hit;
      }
      const read = await store.get(sha512);
      if (!read || read.length > opts.maxItemBytes || entries.has(sha512)) return read;
      entries.set(sha512, read);
      bytes += read.length;
      for (const [key, old] of entries) {
        if (bytes <= opts.maxBytes) break;
        entries.delete(key);
        bytes -= old.length;
      }
      return read;
    },
    /** Entries and bytes held (for tests and memory reports). */
    stats: () => ({ entries: entries.size, bytes }),
  };
}

/** In-memory store for unit tests and ephemeral instances; `now` dates the writes (a test's manual clock). */
export function createMemoryBlobStore(now: () => number = Date.now): BlobStore & { size(): number } {
  const blobs = new Map<string, Buffer>();
  const written = new Map<string, number>();
  return {
    async put(bytes) {
      const hex = sha512Hex(bytes);
      blobs.set(hex, Buffer.from(bytes));
      written.set(hex, now());
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
      written.delete(hex);
    },
    async removeIfWrittenBefore(hex, cutoff) {
      if (!blobs.has(hex) || (written.get(hex) ?? 0) >= cutoff) return false;
      blobs.delete(hex);
      written.delete(hex);
      return true;
    },
    async *list() {
      for (const [hex, bytes] of [...blobs].sort(([a], [b]) => (a < b ? -1 : 1)))
        yield { sha512: hex, size: bytes.length, writtenAt: written.get(hex) ?? 0 };
    },
    size: () => blobs.size,
  };
}
