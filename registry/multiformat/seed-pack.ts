// Deterministic archives for the seed's demo packages (same input, same bytes, so a second seed run is an
// identical re-upload): ustar with a fixed mtime (npm/pack.ts's header), gzip without a timestamp, zip with a fixed date.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { ustarHeader } from '../npm/pack.ts';

export function tar(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    parts.push(ustarHeader(path, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const tgz = (files: Record<string, string | Buffer>) => gzipSync(tar(files));

export function zip(files: Record<string, string>): Buffer {
  const enc = new TextEncoder();
  return Buffer.from(
    zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])), { mtime: '1985-10-26T08:15:00Z' }),
  );
}

/** A wheel with its RECORD (pip verifies every installed file against it). */
export function wheel(dist: string, files: Record<string, string>): Buffer {
  const record = `${dist}.dist-info/RECORD`;
  const lines = Object.entries(files).map(([p, c]) => {
    const hash = createHash('sha256').update(c).digest('base64url');
    return `${p},sha256=${hash},${Buffer.byteLength(c)}`;
  });
  return zip({ ...files, [record]: `${[...lines, `${record},,`].join('\n')}\n` });
}
