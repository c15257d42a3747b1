// A minimal deterministic `npm pack`: files under package/ in a ustar archive, gzipped, with fixed mtimes, so the
// same files always give the same bytes and integrity (the seed relies on it to republish idempotently).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** One ustar header with npm's fixed mtime (also the seed's PyPI sdists and gems: multiformat/seed-pack.ts). */
export function ustarHeader(path: string, size: number, mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(path) > 100) throw new Error(`path too long for the seed packer: ${path}`);
  h.write(path, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  // 1985-10-26T08:15:00Z, npm's own fixed mtime for reproducible tarballs.
  h.write(`${(499162500).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Pack files (paths relative to the package root) into an npm tarball. */
export function packNpmTarball(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const path of Object.keys(files).sort()) {
    const data = Buffer.from(files[path]);
    parts.push(
      ustarHeader(`package/${path}`, data.length, path.startsWith('bin/') ? 0o755 : 0o644),
      data,
      Buffer.alloc((512 - (data.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  const gz = gzipSync(Buffer.concat(parts), { level: 9 });
  // Zero the gzip header's mtime and OS bytes so the output does not depend on the machine.
  gz.writeUInt32LE(0, 4);
  gz[9] = 255;
  return gz;
}

/** The PUT body npm 11 sends for a publish (npm-protocol.md section 2.4). */
export function npmPublishBody(
  manifest: Record<string, unknown> & { name: string; version: string },
  files: Record<string, string>,
  tag = 'latest',
) {
  const pkgJson = JSON.stringify(manifest, null, 2);
  const tarball = packNpmTarball({ ...files, 'package.json': pkgJson });
  const { name, version } = manifest;
  return {
    _id: name,
    name,
    description: manifest.description,
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        ...manifest,
        readme: files['README.md'] ?? 'ERROR: No README data found!',
        _id: `${name}@${version}`,
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
        },
      },
    },
    access: null,
    _attachments: {
      [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length },
    },
  };
}
