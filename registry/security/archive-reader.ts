// Reads published artifacts (.tgz, .tar, zip wheels/jars, .gem) entirely in memory with hard bounds, so a
// hostile upload can neither exhaust memory nor write outside a folder: nothing is ever extracted to disk.
// Bounds follow the reference section 4.4 and GuardDog's extraction limits (100:1 ratio, entry caps); path
// rules follow the node-tar CVE-2021-32803/37701 class of bugs (absolute paths, "..", links leaving the root).
import path from 'node:path';
import zlib from 'node:zlib';
import { badRequest } from '../../lib/errors.ts';

export interface ArchiveLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Inflated bytes per compressed byte, checked once more than ratioFloorBytes have been inflated. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxPathDepth: number;
  maxPathLength: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 20_000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 4 * 1024 * 1024,
  maxPathDepth: 32,
  maxPathLength: 1024,
};

export interface ArchiveEntry {
  path: string;
  data: Buffer;
}

export interface Archive {
  format: 'tgz' | 'tar' | 'zip' | 'gem';
  entries: ArchiveEntry[];
  totalBytes: number;
  /** For gems: the YAML text of metadata.gz (the gemspec). */
  gemMetadata?: string;
}

/** The one error every refusal uses: 400 ARCHIVE_UNSAFE with the reason a publisher can act on. */
export const archiveRefused = (reason: string) => badRequest(`archive refused: ${reason}`, { reason }, 'ARCHIVE_UNSAFE');

const mb = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} kB` : `${Math.round((n / 1024 / 1024) * 10) / 10} MB`);

/** Gunzip with an output cap: zlib stops at maxOutputLength, so a bomb never materialises. */
export function boundedGunzip(buf: Buffer, limits: ArchiveLimits, raw = false, budget = limits.maxTotalBytes): Buffer {
  const byRatio = Math.max(limits.ratioFloorBytes, buf.length * limits.maxRatio);
  const cap = Math.min(budget, byRatio);
  try {
    return raw ? zlib.inflateRawSync(buf, { maxOutputLength: cap }) : zlib.gunzipSync(buf, { maxOutputLength: cap });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/.test(e.message ?? '')) {
      throw archiveRefused(
        cap === byRatio
          ? `compressed data inflates past ${mb(cap)}, more than ${limits.maxRatio}x its ${mb(buf.length)} size (decompression bomb)`
          : `compressed data inflates past the ${mb(cap)} limit`,
      );
    }
    throw archiveRefused(`compressed data is corrupt (${e.code ?? 'inflate error'})`);
  }
}

/** Rejects absolute paths, "..", over-deep and over-long paths; returns the normalised relative path. */
export function checkEntryPath(raw: string, limits: ArchiveLimits): string {
  if (raw.length > limits.maxPathLength) throw archiveRefused(`entry path longer than ${limits.maxPathLength} characters`);
  if (raw.includes('\0')) throw archiveRefused('entry path contains a NUL byte');
  const p = raw.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw archiveRefused(`absolute entry path "${raw}"`);
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw archiveRefused(`entry path "${raw}" leaves the archive root`);
  if (segments.length > limits.maxPathDepth) throw archiveRefused(`entry path "${raw}" is deeper than ${limits.maxPathDepth} levels`);
  return segments.join('/');
}

function linkLeavesRoot(entryPath: string, target: string): boolean {
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entryPath), target.replace(/\\/g, '/')));
  return resolved === '..' || resolved.startsWith('../');
}

const cstr = (b: Buffer, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8');
};

function tarNumber(b: Buffer, start: number, len: number): number {
  if (b[start] & 0x80) {
    // GNU base-256: only accept values that fit in a safe integer.
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i];
    return n;
  }
  const s = cstr(b, start, len).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

/** Parses an uncompressed tar (ustar, pax "x" path records, GNU "L" long names). */
export function readTar(tar: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let total = 0;
  let headers = 0;
  let nextPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const h = tar.subarray(offset, offset + 512);
    if (h.every((x) => x === 0)) break;
    if (++headers > limits.maxEntries * 2) throw archiveRefused(`more than ${limits.maxEntries} entries`);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== tarNumber(h, 148, 8)) throw archiveRefused(`tar header checksum mismatch at byte ${offset}`);
    const size = tarNumber(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const dataStart = offset + 512;
    if (!Number.isSafeInteger(size) || size < 0 || dataStart + size > tar.length) throw archiveRefused('tar entry is truncated');
    offset = dataStart + Math.ceil(size / 512) * 512;
    const data = tar.subarray(dataStart, dataStart + size);
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) nextPath = m[1];
      continue;
    }
    if (type === 'L') {
      nextPath = cstr(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue;
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? cstr(h, 345, 155) : '';
    const rawName = nextPath ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    nextPath = undefined;
    const name = checkEntryPath(rawName, limits);
    if (type === '5') continue;
    if (type === '1' || type === '2') {
      const target = cstr(h, 157, 100);
      if (linkLeavesRoot(name, target)) throw archiveRefused(`link "${rawName}" points outside the archive (${target})`);
      continue;
    }
    if (type !== '0' && type !== '7') throw archiveRefused(`entry "${rawName}" is a device, fifo or unknown type "${type}"`);
    if (seen.has(name)) throw archiveRefused(`duplicate entry "${name}"`);
    seen.add(name);
    if (entries.length >= limits.maxEntries) throw archiveRefused(`more than ${limits.maxEntries} entries`);
    if (size > limits.maxEntryBytes) throw archiveRefused(`entry "${name}" is ${mb(size)}, over the ${mb(limits.maxEntryBytes)} limit`);
    total += size;
    if (total > limits.maxTotalBytes) throw archiveRefused(`contents exceed ${mb(limits.maxTotalBytes)}`);
    entries.push({ path: name, data: Buffer.from(data) });
  }
  return entries;
}

/** Parses a zip (wheel, jar, OSV dump) from its central directory; zip64 and encryption are refused. */
export function readZip(zip: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): ArchiveEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw archiveRefused('zip end-of-central-directory record not found');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw archiveRefused('zip64 archives are not supported');
  if (count > limits.maxEntries) throw archiveRefused(`more than ${limits.maxEntries} entries (${count})`);
  const entries: ArchiveEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw archiveRefused('zip central directory is corrupt');
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const mode = zip.readUInt32LE(p + 38) >>> 16;
    const local = zip.readUInt32LE(p + 42);
    const rawName = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    const name = checkEntryPath(rawName, limits);
    if (rawName.endsWith('/')) continue;
    if ((mode & 0o170000) === 0o120000) continue; // symlink: never followed, never read
    if (flags & 1) throw archiveRefused(`entry "${name}" is encrypted`);
    if (seen.has(name)) throw archiveRefused(`duplicate entry "${name}"`);
    seen.add(name);
    if (size > limits.maxEntryBytes) throw archiveRefused(`entry "${name}" is ${mb(size)}, over the ${mb(limits.maxEntryBytes)} limit`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw archiveRefused(`zip local header of "${name}" is corrupt`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + compSize);
    if (body.length !== compSize) throw archiveRefused(`zip entry "${name}" is truncated`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) data = boundedGunzip(body, limits, true, Math.min(limits.maxEntryBytes, limits.maxTotalBytes - total) + 1);
    else throw archiveRefused(`entry "${name}" uses unsupported compression method ${method}`);
    if (data.length > limits.maxEntryBytes) throw archiveRefused(`entry "${name}" inflates past ${mb(limits.maxEntryBytes)}`);
    total += data.length;
    if (total > limits.maxTotalBytes) throw archiveRefused(`contents exceed ${mb(limits.maxTotalBytes)}`);
    if (total > limits.ratioFloorBytes && total > zip.length * limits.maxRatio) {
      throw archiveRefused(`zip inflates more than ${limits.maxRatio}x its size (decompression bomb)`);
    }
    entries.push({ path: name, data });
  }
  return entries;
}

const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer) => b.length > 4 && b.readUInt32LE(0) === 0x04034b50;
const isTar = (b: Buffer) => b.length >= 512 && b.subarray(257, 262).toString('latin1') === 'ustar';

/** Detects the format and reads every file entry within the limits, or throws ARCHIVE_UNSAFE. */
export function readArchive(buf: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Archive {
  const sum = (entries: ArchiveEntry[]) => entries.reduce((n, e) => n + e.data.length, 0);
  if (isGzip(buf)) {
    const entries = readTar(boundedGunzip(buf, limits), limits);
    return { format: 'tgz', entries, totalBytes: sum(entries) };
  }
  if (isZip(buf)) {
    const entries = readZip(buf, limits);
    return { format: 'zip', entries, totalBytes: sum(entries) };
  }
  if (isTar(buf)) {
    const outer = readTar(buf, limits);
    const data = outer.find((e) => e.path === 'data.tar.gz');
    if (!data) return { format: 'tar', entries: outer, totalBytes: sum(outer) };
    // A .gem is a plain tar of metadata.gz (the YAML gemspec) and data.tar.gz (the files).
    const meta = outer.find((e) => e.path === 'metadata.gz');
    const entries = readTar(boundedGunzip(data.data, limits), limits);
    const gemMetadata = meta ? boundedGunzip(meta.data, limits).toString('utf8') : undefined;
    return { format: 'gem', entries, totalBytes: sum(entries), gemMetadata };
  }
  throw archiveRefused('unknown archive format: expected gzip tar, zip or gem');
}
