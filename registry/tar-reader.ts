// Reads a gzipped tar entirely in memory (never extracted to disk, reliability-security.md section 3): caps on
// inflated size, entry count, path depth and length; only files and directories; no absolute or ".." paths.
import { gunzipSync } from 'node:zlib';

export interface TarLimits {
  maxInflatedBytes: number;
  maxEntries: number;
  maxDepth: number;
  maxPathLength: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxInflatedBytes: 256 * 1024 * 1024, maxEntries: 10_000, maxDepth: 32, maxPathLength: 1024 };

export class ArchiveError extends Error {}

export interface TarEntry {
  path: string;
  type: 'file' | 'directory';
  size: number;
  /** The bytes, only for entries the caller asked for (others are validated and counted, not copied). */
  data: Buffer;
}

export function gunzipLimited(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new ArchiveError('the tarball is not gzip-compressed');
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new ArchiveError(`the tarball inflates to more than ${maxBytes} bytes`);
    throw new ArchiveError('the tarball is not valid gzip data');
  }
}

function cstring(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

function octal(buf: Buffer, start: number, len: number): number {
  // Base-256 encoding (high bit set) is only used for sizes over 8 GiB: refuse it.
  if (buf[start] & 0x80) throw new ArchiveError('the tarball has an entry too large to accept');
  const s = cstring(buf, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ArchiveError('the tarball has a corrupt header');
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === octal(h, 148, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(data.toString('utf8', i, sp));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) throw new ArchiveError('the tarball has a corrupt pax header');
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Reject absolute, drive-relative, "..", NUL and control-character paths; returns the normalized path. */
export function safeEntryPath(raw: string, limits: TarLimits): string {
  if (raw.length > limits.maxPathLength) throw new ArchiveError('the tarball has an entry path that is too long');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new ArchiveError('the tarball has an entry path with control characters');
  const p = raw.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw new ArchiveError(`the tarball has an absolute entry path: ${raw}`);
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new ArchiveError(`the tarball has an entry path with "..": ${raw}`);
  if (parts.length > limits.maxDepth) throw new ArchiveError('the tarball has an entry path that is too deep');
  return parts.join('/');
}

/** Parse a gzipped tar. `want` selects which files keep their bytes (others are only validated). */
export function readTarGz(gz: Buffer, want: (path: string) => boolean, limits: TarLimits = DEFAULT_TAR_LIMITS): TarEntry[] {
  const tar = gunzipLimited(gz, limits.maxInflatedBytes);
  const entries: TarEntry[] = [];
  let off = 0;
  let count = 0;
  let nextPath: string | undefined;
  let sawEnd = false;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) {
      sawEnd = true;
      break;
    }
    if (!checksumOk(h)) throw new ArchiveError('the tarball has a corrupt header (bad checksum)');
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataStart = off + 512;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new ArchiveError('the tarball is truncated');
    const data = tar.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (++count > limits.maxEntries * 2) throw new ArchiveError(`the tarball has more than ${limits.maxEntries} entries`);
    if (type === 'x') {
      const pax = parsePax(data);
      if (pax.path !== undefined) nextPath = pax.path;
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      nextPath = cstring(data, 0, data.length);
      continue;
    }
    const isUstar = h.toString('latin1', 257, 262) === 'ustar';
    const prefix = isUstar ? cstring(h, 345, 155) : '';
    const name = cstring(h, 0, 100);
    const raw = nextPath ?? (prefix ? `${prefix}/${name}` : name);
    nextPath = undefined;
    const path = safeEntryPath(raw, limits);
    if (type === '0' || type === '7') {
      entries.push({ path, type: 'file', size, data: want(path) ? Buffer.from(data) : Buffer.alloc(0) });
    } else if (type === '5') {
      entries.push({ path, type: 'directory', size: 0, data: Buffer.alloc(0) });
    } else if (type === '1' || type === '2') {
      throw new ArchiveError(`the tarball contains a link (${raw}): links are not accepted`);
    } else {
      throw new ArchiveError(`the tarball contains an unsupported entry type "${type}" (${raw})`);
    }
    if (entries.length > limits.maxEntries) throw new ArchiveError(`the tarball has more than ${limits.maxEntries} entries`);
  }
  if (!sawEnd && entries.length === 0) throw new ArchiveError('the tarball is empty or not a tar archive');
  return entries;
}
