// Full and abbreviated ("corgi") packuments, serialized once per package revision and public base URL and kept
// as bytes (and gzip bytes) with an ETag: npm 11 install fetches FULL documents (npm-protocol.md fact 3, trap 25),
// so the hot path is a rev lookup, a Map hit and a write.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
import { notFound } from '../../lib/errors.ts';
import type { PackageRow, PackagesRepo, VersionRow } from '../packages-repo.ts';
import { parseNpmName, tarballPath } from './names.ts';

export type DocKind = 'full' | 'corgi';

export interface BuiltDoc {
  body: Buffer;
  etag: string;
  lastModified: string;
  gz?: Buffer;
}

// Per-version fields npm and pnpm read from a corgi (trap 26, npm-protocol.md section 2.5).
export const CORGI_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'acceptDependencies',
  'bin',
  'directories',
  'engines',
  'os',
  'cpu',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
  'dist',
];

export const revString = (id: number, rev: number) => `${rev}-${createHash('md5').update(`${id}:${rev}`).digest('hex')}`;

const sortVersions = (rows: VersionRow[]) => [...rows].sort((a, b) => semver.compare(a.version, b.version));

/** The version object as served: stored manifest + server-side fields, with the tarball URL on `base`. */
export function servedVersion(row: VersionRow, base: string, name: string, emails: Map<string, string>): Record<string, unknown> {
  const m = JSON.parse(row.manifest) as Record<string, unknown>;
  const dist = m.dist as Record<string, unknown>;
  m.dist = { ...dist, tarball: `${base}/${tarballPath(parseNpmName(name), row.version)}` };
  if (row.publisher_name) m._npmUser = { name: row.publisher_name, email: emails.get(row.publisher_name) ?? '' };
  if (row.deprecated) m.deprecated = row.deprecated;
  return m;
}

export function buildDocument(repo: PackagesRepo, pkg: PackageRow, kind: DocKind, base: string): Record<string, unknown> {
  const rows = sortVersions(repo.versions(pkg.id));
  const maintainers = repo.maintainers(pkg.id);
  const emails = new Map(maintainers.map((m) => [m.username, m.email]));
  const time: Record<string, string> = { created: pkg.created_at, modified: pkg.updated_at };
  // Unpublished versions keep their time entry (npm policy; trap 27).
  for (const b of repo.burnedAll('npm', pkg.name).sort((x, y) => semver.compare(x.version, y.version))) time[b.version] = b.published_at;
  const versions: Record<string, unknown> = {};
  for (const r of rows) {
    const v = servedVersion(r, base, pkg.name, emails);
    if (kind === 'full') versions[r.version] = v;
    else versions[r.version] = Object.fromEntries(CORGI_FIELDS.filter((f) => v[f] !== undefined).map((f) => [f, v[f]]));
  }
  const tags = repo.tags(pkg.id);
  if (kind === 'corgi') return { name: pkg.name, modified: pkg.updated_at, 'dist-tags': tags, versions, time };
  const latest = rows.find((r) => r.version === tags.latest) ?? rows[rows.length - 1];
  const latestManifest = latest ? (JSON.parse(latest.manifest) as Record<string, unknown>) : {};
  const doc: Record<string, unknown> = {
    _id: pkg.name,
    _rev: revString(pkg.id, pkg.rev),
    name: pkg.name,
    description: pkg.description,
    'dist-tags': tags,
    versions,
    time,
    maintainers: maintainers.map((m) => ({ name: m.username, email: m.email })),
    users: Object.fromEntries(repo.stars(pkg.id).map((u) => [u, true])),
    readme: latest?.readme ?? '',
    _attachments: {},
  };
  for (const f of ['keywords', 'license', 'homepage', 'repository', 'bugs', 'author', 'readmeFilename'])
    if (latestManifest[f] !== undefined) doc[f] = latestManifest[f];
  return doc;
}

export type PackumentCache = ReturnType<typeof createPackumentCache>;

/**
 * Bytes of serialized documents (plain + gzip) kept. The registry's whole budget is 200 MB RSS at 10,000 packages
 * under load (issue #11) and about 150 MB of it is the runtime, SQLite and the request path: 16 MiB still holds
 * the documents of about a thousand typical packages, and a miss costs one rebuild (~1 ms), not a failure.
 */
export const PACKUMENT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Cache of serialized documents keyed by package, kind and base URL; an entry is valid for one rev. Bounded by
 * entries and bytes (a large packument can be megabytes), least recently used first out.
 */
export function createPackumentCache(repo: PackagesRepo, maxEntries = 2000, maxBytes = PACKUMENT_CACHE_BYTES) {
  const entries = new Map<string, { id: number; rev: number; doc: BuiltDoc }>();
  let bytes = 0;
  const sizeOf = (d: BuiltDoc) => d.body.length + (d.gz?.length ?? 0);
  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    bytes -= sizeOf(e.doc);
    entries.delete(key);
  };
  const trim = () => {
    while (entries.size > maxEntries || (bytes > maxBytes && entries.size > 1)) drop(entries.keys().next().value as string);
  };
  return {
    get(pkg: { id: number; rev: number; name: string }, kind: DocKind, base: string): BuiltDoc {
      const key = `${kind}\u0000${base}\u0000${pkg.name}`;
      const hit = entries.get(key);
      if (hit && hit.rev === pkg.rev && hit.id === pkg.id) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.doc;
      }
      const row = repo.find('npm', pkg.name);
      // Unpublished between the rev lookup and here.
      if (!row) throw notFound(`package ${pkg.name} was not found`, 'PACKAGE_NOT_FOUND');
      const body = Buffer.from(JSON.stringify(buildDocument(repo, row, kind, base)));
      // Compressed once per change, not per request (npm always sends accept-encoding: gzip).
      const doc: BuiltDoc = {
        body,
        gz: gzipSync(body, { level: 6 }),
        etag: `W/"${createHash('sha1').update(body).digest('base64url')}"`,
        lastModified: new Date(row.updated_at).toUTCString(),
      };
      drop(key);
      entries.set(key, { id: row.id, rev: row.rev, doc });
      bytes += sizeOf(doc);
      trim();
      return doc;
    },
    gzip(doc: BuiltDoc): Buffer {
      doc.gz ??= gzipSync(doc.body, { level: 6 });
      return doc.gz;
    },
    clear: () => {
      entries.clear();
      bytes = 0;
    },
    stats: () => ({ entries: entries.size, bytes }),
  };
}
