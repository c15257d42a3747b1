// Reads published artifacts (.tgz, .tar, zip wheels/jars, .gem) entirely in memory with hard bounds, so a
// hostile upload can neither exhaust memory nor write outside a folder: nothing is ever extracted to disk.
// Bounds follow the reference section 4.4 and GuardDog's extraction limits (100:1 ratio, entry caps); path
// rules follow the node-tar CVE-2021-32803/37701 class of bugs (absolute paths, "..", links leaving the root).
// Only the entries a caller reads by content are held (`hold`); the others (a wheel's 40 MB native library) are
// walked for the same path, size and ratio checks, but their bytes are neither copied nor kept.
import path from 'node:path';
import zlib from 'node:zlib';
import { Gunzip, Inflate } from 'fflate';
import { AppError, badRequest } from '../../lib/errors.ts';

export interface ArchiveLimits {
  maxEntries: number;
  /** Inflated size of any one entry; larger ones are refused. */
  maxEntryBytes: number;
  /**
   * The largest entry whose bytes are held in memory (when the caller's `hold` wants them); larger entries are walked
   * and counted like the others, never refused for it. Defaults to maxEntryBytes (every entry in bounds is held).
   */
  maxHeldEntryBytes?: number;
  maxTotalBytes: number;
  /** Inflated bytes per compressed byte, checked once more than ratioFloorBytes have been inflated. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxPathDepth: number;
  maxPathLength: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 20_000,
  // Only the total bounds one entry: a native library (.so, .pyd, .dylib) may be most of a wheel or gem. What is held
  // in memory is bounded by maxHeldEntryBytes.
  maxEntryBytes: 256 * 1024 * 1024,
  maxHeldEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 4 * 1024 * 1024,
  maxPathDepth: 32,
  maxPathLength: 1024,
};

/** The largest entry held in memory under these limits. */
export const heldBound = (limits: ArchiveLimits) => Math.min(limits.maxEntryBytes, limits.maxHeldEntryBytes ?? limits.maxEntryBytes);

/** How many leading bytes of an entry that is not held are kept: enough for the magic numbers of binaryKind. */
export const HEAD_BYTES = 256;

export interface ArchiveEntry {
  path: string;
  /** Inflated size in bytes. */
  size: number;
  /** Whether `data` holds the whole content; false for entries walked but not kept (see ArchiveLimits, `hold`). */
  held: boolean;
  /** The whole content when held; empty otherwise. */
  data: Buffer;
  /** The first HEAD_BYTES bytes (fewer for smaller entries), held or not: file magic numbers. */
  head: Buffer;
}

/** Decides, from an entry's path and inflated size (a zip's declared size), whether its bytes are held. */
export type HoldEntry = (path: string, size: number) => boolean;
const holdAll: HoldEntry = () => true;

export interface Archive {
  format: 'tgz' | 'tar' | 'zip' | 'gem';
  entries: ArchiveEntry[];
  totalBytes: number;
  /** For gems: the YAML text of metadata.gz (the gemspec). */
  gemMetadata?: string;
}

/** The one error every refusal uses: 400 ARCHIVE_UNSAFE with the reason a publisher can act on. */
export const archiveRefused = (reason: string) => badRequest(`archive refused: ${reason}`, { reason }, 'ARCHIVE_UNSAFE');

export const mb = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} kB` : `${Math.round((n / 1024 / 1024) * 10) / 10} MB`);

/** The output cap of one compressed stream: its budget, and at most maxRatio times its size once past the floor. */
function inflateCap(compressedBytes: number, limits: ArchiveLimits, budget: number) {
  const byRatio = Math.max(limits.ratioFloorBytes, compressedBytes * limits.maxRatio);
  return { cap: Math.min(budget, byRatio), byRatio };
}

function overCap(compressedBytes: number, limits: ArchiveLimits, budget: number) {
  const { cap, byRatio } = inflateCap(compressedBytes, limits, budget);
  return archiveRefused(
    cap === byRatio
      ? `compressed data inflates past ${mb(cap)}, more than ${limits.maxRatio}x its ${mb(compressedBytes)} size (decompression bomb)`
      : `compressed data inflates past the ${mb(cap)} limit`,
  );
}

/** Gunzip with an output cap: zlib stops at maxOutputLength, so a bomb never materialises. */
export function boundedGunzip(buf: Buffer, limits: ArchiveLimits, raw = false, budget = limits.maxTotalBytes): Buffer {
  const { cap } = inflateCap(buf.length, limits, budget);
  try {
    return raw ? zlib.inflateRawSync(buf, { maxOutputLength: cap }) : zlib.gunzipSync(buf, { maxOutputLength: cap });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/.test(e.message ?? ''))
      throw overCap(buf.length, limits, budget);
    throw archiveRefused(`compressed data is corrupt (${e.code ?? 'inflate error'})`);
  }
}

// Raw deflate is fed to the counting inflater in 16 kB pieces: one piece inflates to at most ~16 MB (deflate's
// 1032:1 maximum), so even a bomb is stopped after one piece past the cap, and the output is never gathered.
const COUNT_PIECE_BYTES = 16 * 1024;

/**
 * Inflates raw deflate data only to measure it, within the same cap and with the same refusals as boundedGunzip:
 * returns the inflated size and the first HEAD_BYTES bytes; the rest of the output is dropped as it comes.
 */
export function countInflated(body: Buffer, limits: ArchiveLimits, budget: number): { size: number; head: Buffer } {
  const { cap } = inflateCap(body.length, limits, budget);
  const head = Buffer.alloc(HEAD_BYTES);
  let size = 0;
  const inflater = new Inflate((piece) => {
    if (size < HEAD_BYTES) head.set(piece.subarray(0, HEAD_BYTES - size), size);
    size += piece.length;
    if (size > cap) throw overCap(body.length, limits, budget);
  });
  try {
    if (body.length === 0) inflater.push(new Uint8Array(0), true);
    for (let at = 0; at < body.length; at += COUNT_PIECE_BYTES)
      inflater.push(body.subarray(at, at + COUNT_PIECE_BYTES), at + COUNT_PIECE_BYTES >= body.length);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw archiveRefused(`compressed data is corrupt (${(err as Error).message || 'inflate error'})`);
  }
  return { size, head: Buffer.from(head.subarray(0, Math.min(size, HEAD_BYTES))) };
}

/** An entry from its bytes (a view into the archive or a fresh inflation): copied when held, else only its head. */
function entryOf(path: string, bytes: Buffer, held: boolean, copy: boolean): ArchiveEntry {
  if (!held) return { path, size: bytes.length, held, data: EMPTY, head: Buffer.from(bytes.subarray(0, HEAD_BYTES)) };
  const data = copy ? Buffer.from(bytes) : bytes;
  return { path, size: data.length, held, data, head: data.subarray(0, HEAD_BYTES) };
}
const EMPTY = Buffer.alloc(0);

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

/** A tar file entry as the walk leaves it: its bytes only when `collect` wanted them. */
interface TarFile {
  path: string;
  size: number;
  /** The whole content when collected: a view into the piece it arrived in, when it came in one. */
  bytes?: Buffer;
  head: Buffer;
}

// pax "x" and GNU "L" records are gathered to read the path they carry; real ones are well under a kilobyte.
const MAX_TAR_RECORD_BYTES = 1024 * 1024;

/**
 * Parses an uncompressed tar (ustar, pax "x" path records, GNU "L" long names) fed piece by piece: a whole buffer, or
 * a gunzip's output as it comes, so a .tgz is never inflated whole. Every check is made on each header as it is
 * read; only the entries `collect` wants are gathered, the others are counted and their head kept.
 */
class TarWalker {
  private readonly files: TarFile[] = [];
  private readonly seen = new Set<string>();
  private readonly header = Buffer.alloc(512);
  private headerFill = 0;
  /** Bytes consumed so far: where the next header starts, for the checksum message. */
  private offset = 0;
  private total = 0;
  private headers = 0;
  private nextPath: string | undefined;
  private ended = false;
  /** Padding after the current entry's data. */
  private skip = 0;
  private entry:
    | { kind: 'file'; file: TarFile; left: number; pieces?: Buffer[]; headFill: number }
    | { kind: 'record'; type: string; left: number; pieces: Buffer[] }
    | { kind: 'skip'; left: number }
    | undefined;

  constructor(
    private readonly limits: ArchiveLimits,
    private readonly collect: (path: string, size: number) => boolean,
  ) {}

  write(piece: Buffer): void {
    let at = 0;
    while (at < piece.length && !this.ended) {
      const room = piece.length - at;
      if (this.entry) {
        const n = Math.min(this.entry.left, room);
        this.take(piece.subarray(at, at + n));
        at += n;
      } else if (this.skip > 0) {
        const n = Math.min(this.skip, room);
        this.skip -= n;
        at += n;
        this.offset += n;
      } else {
        const n = Math.min(512 - this.headerFill, room);
        piece.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === 512) {
          this.headerFill = 0;
          this.readHeader(this.header);
          this.offset += 512;
        }
      }
    }
  }

  /** The file entries; a partial last header is ignored, as tar does, but data cut short is refused. */
  end(): TarFile[] {
    if (this.entry && this.entry.left > 0) throw archiveRefused('tar entry is truncated');
    return this.files;
  }

  private take(bytes: Buffer) {
    const e = this.entry!;
    e.left -= bytes.length;
    this.offset += bytes.length;
    if (e.kind === 'file') {
      if (e.pieces) e.pieces.push(bytes);
      else if (e.headFill < e.file.head.length) e.headFill += bytes.copy(e.file.head, e.headFill);
    } else if (e.kind === 'record') e.pieces.push(bytes);
    if (e.left === 0) this.finish();
  }

  private finish() {
    const e = this.entry!;
    this.entry = undefined;
    if (e.kind === 'file' && e.pieces) {
      e.file.bytes = e.pieces.length === 1 ? e.pieces[0] : Buffer.concat(e.pieces, e.file.size);
      e.file.head = e.file.bytes.subarray(0, HEAD_BYTES);
    } else if (e.kind === 'record') {
      const data = Buffer.concat(e.pieces);
      if (e.type === 'x') {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
        if (m) this.nextPath = m[1];
      } else this.nextPath = cstr(data, 0, data.length);
    }
  }

  private readHeader(h: Buffer) {
    const { limits } = this;
    if (h.every((x) => x === 0)) {
      this.ended = true;
      return;
    }
    if (++this.headers > limits.maxEntries * 2) throw archiveRefused(`more than ${limits.maxEntries} entries`);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== tarNumber(h, 148, 8)) throw archiveRefused(`tar header checksum mismatch at byte ${this.offset}`);
    const size = tarNumber(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    if (!Number.isSafeInteger(size) || size < 0) throw archiveRefused('tar entry is truncated');
    this.skip = Math.ceil(size / 512) * 512 - size;
    const skipData = () => {
      if (size > 0) this.entry = { kind: 'skip', left: size };
    };
    if (type === 'x' || type === 'L') {
      if (size > MAX_TAR_RECORD_BYTES) throw archiveRefused(`tar ${type === 'x' ? 'pax' : 'long-name'} record of ${mb(size)}`);
      this.entry = { kind: 'record', type, left: size, pieces: [] };
      if (size === 0) this.finish();
      return;
    }
    if (type === 'g') return skipData();
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? cstr(h, 345, 155) : '';
    const rawName = this.nextPath ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    this.nextPath = undefined;
    const name = checkEntryPath(rawName, limits);
    if (type === '5') return skipData();
    if (type === '1' || type === '2') {
      const target = cstr(h, 157, 100);
      if (linkLeavesRoot(name, target)) throw archiveRefused(`link "${rawName}" points outside the archive (${target})`);
      return skipData();
    }
    if (type !== '0' && type !== '7') throw archiveRefused(`entry "${rawName}" is a device, fifo or unknown type "${type}"`);
    if (this.seen.has(name)) throw archiveRefused(`duplicate entry "${name}"`);
    this.seen.add(name);
    if (this.files.length >= limits.maxEntries) throw archiveRefused(`more than ${limits.maxEntries} entries`);
    if (size > limits.maxEntryBytes) throw archiveRefused(`entry "${name}" is ${mb(size)}, over the ${mb(limits.maxEntryBytes)} limit`);
    this.total += size;
    if (this.total > limits.maxTotalBytes) throw archiveRefused(`contents exceed ${mb(limits.maxTotalBytes)}`);
    const file: TarFile = { path: name, size, head: Buffer.alloc(Math.min(size, HEAD_BYTES)) };
    this.files.push(file);
    const collected = this.collect(name, size);
    if (size === 0) file.bytes = collected ? EMPTY : undefined;
    else this.entry = { kind: 'file', file, left: size, pieces: collected ? [] : undefined, headFill: 0 };
  }
}

/** Walks a tar held whole: collected entries are views into it, nothing is copied. */
function tarFiles(tar: Buffer, limits: ArchiveLimits, collect: (path: string, size: number) => boolean = () => true): TarFile[] {
  const walker = new TarWalker(limits, collect);
  walker.write(tar);
  return walker.end();
}

/**
 * Parses an uncompressed tar. Entries `hold` wants (within maxHeldEntryBytes) are copied out; the others keep their
 * size and head only.
 */
export function readTar(tar: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS, hold: HoldEntry = holdAll): ArchiveEntry[] {
  return entriesOf(tarFiles(tar, limits, heldBy(limits, hold)));
}

const heldBy = (limits: ArchiveLimits, hold: HoldEntry) => {
  const bound = heldBound(limits);
  return (path: string, size: number) => size <= bound && hold(path, size);
};

/** Entries from walked tar files: collected views are copied out, so they do not keep the tar or a piece alive. */
function entriesOf(files: TarFile[]): ArchiveEntry[] {
  return files.map((f) =>
    f.bytes
      ? entryOf(f.path, f.bytes, true, f.bytes.length !== f.bytes.buffer.byteLength)
      : { path: f.path, size: f.size, held: false, data: EMPTY, head: Buffer.from(f.head) },
  );
}

// Streaming gunzip (fflate) does not check a member's CRC, and reads trailing bytes zlib would skip as one more
// member: the output is used only when every member's CRC-32 and length match its trailer, else zlib decides.
const canStreamGzip = typeof zlib.crc32 === 'function';

/**
 * Gunzips `gz` piece by piece into `onPiece`, within boundedGunzip's cap and refusals; true when every member
 * checked out, false when the data needs zlib's own reading (corrupt, padded or truncated: the caller falls back).
 */
function gunzipEach(gz: Buffer, limits: ArchiveLimits, onPiece: (piece: Buffer) => void): boolean {
  const { cap } = inflateCap(gz.length, limits, limits.maxTotalBytes);
  let total = 0;
  let crc = 0;
  let size = 0;
  let verified = true;
  const trailerMatches = (end: number) =>
    end >= 18 && gz.readUInt32LE(end - 8) === crc >>> 0 && gz.readUInt32LE(end - 4) === size % 2 ** 32;
  const gunzip = new Gunzip((piece) => {
    total += piece.length;
    if (total > cap) throw overCap(gz.length, limits, limits.maxTotalBytes);
    crc = zlib.crc32(piece, crc);
    size += piece.length;
    onPiece(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
  });
  gunzip.onmember = (start) => {
    verified &&= trailerMatches(start);
    crc = 0;
    size = 0;
  };
  try {
    for (let at = 0; at < gz.length; at += COUNT_PIECE_BYTES)
      gunzip.push(gz.subarray(at, at + COUNT_PIECE_BYTES), at + COUNT_PIECE_BYTES >= gz.length);
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'number') return false; // fflate's own errors: corrupt data
    throw err;
  }
  return verified && trailerMatches(gz.length);
}

/** A .tgz (or a gem's data.tar.gz) streamed through the tar walk, so only held entries take memory. */
function readTgz(gz: Buffer, limits: ArchiveLimits, hold: HoldEntry): ArchiveEntry[] {
  if (canStreamGzip) {
    const walker = new TarWalker(limits, heldBy(limits, hold));
    if (gunzipEach(gz, limits, (piece) => walker.write(piece))) return entriesOf(walker.end());
  }
  // zlib reads it as before (and refuses it as corrupt, or accepts the zero padding it allows), inflated whole.
  return readTar(boundedGunzip(gz, limits), limits, hold);
}

/**
 * Parses a zip (wheel, jar, OSV dump) from its central directory; zip64 and encryption are refused. Entries `hold`
 * does not want (or over maxHeldEntryBytes) are inflated only to be measured (countInflated): the same size and
 * ratio checks, the bytes dropped as they come.
 */
export function readZip(zip: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS, hold: HoldEntry = holdAll): ArchiveEntry[] {
  const bound = heldBound(limits);
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
    // Held by the declared size; one that inflates past the held bound all the same is refused (its header lies).
    const declared = method === 0 ? body.length : size;
    const held = declared <= bound && hold(name, declared);
    const limit = held ? bound : limits.maxEntryBytes;
    const budget = Math.min(limit, limits.maxTotalBytes - total) + 1;
    let entry: ArchiveEntry;
    if (method === 0) entry = entryOf(name, body, held, true);
    else if (method === 8 && held) entry = entryOf(name, boundedGunzip(body, limits, true, budget), true, false);
    else if (method === 8) entry = { path: name, held: false, data: EMPTY, ...countInflated(body, limits, budget) };
    else throw archiveRefused(`entry "${name}" uses unsupported compression method ${method}`);
    if (entry.size > limit) throw archiveRefused(`entry "${name}" inflates past ${mb(limit)}`);
    total += entry.size;
    if (total > limits.maxTotalBytes) throw archiveRefused(`contents exceed ${mb(limits.maxTotalBytes)}`);
    if (total > limits.ratioFloorBytes && total > zip.length * limits.maxRatio) {
      throw archiveRefused(`zip inflates more than ${limits.maxRatio}x its size (decompression bomb)`);
    }
    entries.push(entry);
  }
  return entries;
}

const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer) => b.length > 4 && b.readUInt32LE(0) === 0x04034b50;
const isTar = (b: Buffer) => b.length >= 512 && b.subarray(257, 262).toString('latin1') === 'ustar';

/**
 * Detects the format and reads every file entry within the limits, or throws ARCHIVE_UNSAFE. `hold` picks the entries
 * whose bytes the caller reads (the scanner: security/artifact-files.ts readsByContent); the others are walked and
 * checked alike but come back with their size and head only.
 */
export function readArchive(buf: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS, hold: HoldEntry = holdAll): Archive {
  const sum = (entries: ArchiveEntry[]) => entries.reduce((n, e) => n + e.size, 0);
  if (isGzip(buf)) {
    const entries = readTgz(buf, limits, hold);
    return { format: 'tgz', entries, totalBytes: sum(entries) };
  }
  if (isZip(buf)) {
    const entries = readZip(buf, limits, hold);
    return { format: 'zip', entries, totalBytes: sum(entries) };
  }
  if (isTar(buf)) {
    // Walked in place: every entry a view into the upload until it is known which are needed.
    const outer = tarFiles(buf, limits);
    const data = outer.find((e) => e.path === 'data.tar.gz')?.bytes;
    if (!data) {
      const bound = heldBound(limits);
      const entries = entriesOf(outer.map((f) => (f.size <= bound && hold(f.path, f.size) ? f : { ...f, bytes: undefined })));
      return { format: 'tar', entries, totalBytes: sum(entries) };
    }
    // A .gem is a plain tar of metadata.gz (the YAML gemspec) and data.tar.gz (the files).
    const meta = outer.find((e) => e.path === 'metadata.gz')?.bytes;
    const entries = readTgz(data, limits, hold);
    const gemMetadata = meta ? boundedGunzip(meta, limits).toString('utf8') : undefined;
    return { format: 'gem', entries, totalBytes: sum(entries), gemMetadata };
  }
  throw archiveRefused('unknown archive format: expected gzip tar, zip or gem');
}
