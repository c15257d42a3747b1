// HTTP glue for package paths under /npm/: packuments (full, corgi, ?write=true), single versions, tarballs,
// and the PUT/DELETE forms that carry publish, deprecate, star, owners and unpublish (npm-protocol.md 2.4-2.7).
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, notFound } from '../../lib/errors.ts';
import { holdsEtag, immutableCacheControl } from '../../lib/etag.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import { createRowCache } from '../../lib/row-cache.ts';
import { addFastPath, frameHeaders, type TypedApp } from '../../lib/service-app.ts';
import { createBlobReadCache } from '../blob-store.ts';
import type { OriginSource } from '../public-url.ts';
import { assertReadable } from './access-rules.ts';
import { deprecate, findPackage, setOwners, star, unpublish, unpublishedVersionError } from './changes.ts';
import { NPM, type NpmContext } from './context.ts';
import { parseNpmName, parseNpmReadName, versionFromFilename } from './names.ts';
import { type BuiltDoc, type DocKind, servedVersion } from './packument.ts';
import { type NpmPath, parseNpmPath } from './paths.ts';
import { publishVersion } from './publish.ts';
import { isPublishBody } from './publish-validate.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const CORGI = 'application/vnd.npm.install-v1+json';
const GZIP = /\bgzip\b/;
/** In-memory tarball bytes: 16 MiB in all (the registry's budget is 200 MB RSS), 1 MiB at most each. */
const TARBALL_CACHE_BYTES = 16 * 1024 * 1024;
const TARBALL_CACHE_ITEM_BYTES = 1024 * 1024;
/** What a lockfile or script naming an unpublished version (npm ci fetches its tarball) is told to do. */
const UNINSTALLABLE = (name: string) =>
  `can no longer be installed: depend on another version (npm view ${name} versions) and update the lockfile`;
/** Parsed read paths kept (about 300 bytes each). */
const READ_PATHS_MAX = 10_000;

interface TarballRow {
  version: string;
  filename: string;
  blob_sha512: string;
  shasum: string;
  review_state: string | null;
}

/** A package and, when it has the version asked for, that version's columns (else they are null). */
type TarballLookup = { id: number; access: string } & (TarballRow | { [K in keyof TarballRow]: null });

export interface NpmRouteDeps {
  ctx: NpmContext;
  guards: AuthGuards;
  /** The public base of the npm API for this request, e.g. "http://127.0.0.1:4873/npm". */
  baseOf: (req: OriginSource) => string;
  /** Fallback for names not published here (uplink), undefined when none is configured. */
  uplink?: (req: FastifyRequest, reply: FastifyReply, path: NpmPath) => Promise<boolean>;
}

function pathOf(req: { method?: string; url?: string }): NpmPath {
  const path = (req.url ?? '').split('?')[0];
  const p = parseNpmPath(path.slice('/npm/'.length));
  if (!p) throw notFound(`no route ${req.method} ${path}`, 'ROUTE_NOT_FOUND');
  return p;
}

/** The headers of a packument answer (200 or 304), on Fastify's route and on the fast path alike. */
function documentHeaders(doc: BuiltDoc, kind: DocKind, access: string): string[] {
  return [
    'etag',
    doc.etag,
    'last-modified',
    doc.lastModified,
    'vary',
    'accept, accept-encoding, authorization',
    'cache-control',
    access === 'public' ? 'public, max-age=0, must-revalidate' : 'private, no-cache',
    'content-type',
    kind === 'corgi' ? CORGI : 'application/json',
  ];
}

export function registerPackageRoutes(app: TypedApp, d: NpmRouteDeps) {
  const { ctx, guards } = d;

  // The hot reads' lookups (a package's id, rev and access; a tarball's row), kept while registry.db is unchanged:
  // the registry's own writes (a publish, a tag, a download count) are seen at once, an offline tool's (the
  // advisory import) within a quarter second. They had been 13-16 % of the registry's CPU under packument and
  // tarball load (issue #11); about 200 bytes each.
  const refs = createRowCache<{ id: number; access: string }>(() => ctx.db, { max: 20_000, foreignCheckMs: 250 });

  // A read's path parsed (npm's name rules, the tarball version's semver) is a pure function of the path, and the
  // parsing was about 5 % of the registry's CPU under tarball load: recent paths that parse are kept, frozen.
  const readPaths = new Map<string, Readonly<{ p: NpmPath; tarballVersion?: string }>>();
  const parseRead = (req: { method?: string; url?: string }) => {
    const key = (req.url ?? '').split('?')[0];
    let parsed = readPaths.get(key);
    if (!parsed) {
      const p = pathOf(req);
      const npmName = parseNpmReadName(p.name);
      parsed = Object.freeze({
        p: Object.freeze(p),
        tarballVersion: p.kind === 'tarball' ? versionFromFilename(npmName, p.filename) : undefined,
      });
      if (readPaths.size >= READ_PATHS_MAX) readPaths.delete(readPaths.keys().next().value as string);
      readPaths.set(key, parsed);
    }
    return parsed;
  };

  app.get('/npm/*', async (req, reply) => {
    const { p, tarballVersion } = parseRead(req);
    // A tarball, the busiest read, finds its package and version in one statement; the other paths need the rev.
    const ref = p.kind === 'tarball' ? tarballLookup(p.name, tarballVersion) : refs.get(`r:${p.name}`, () => ctx.repo.findRev(NPM, p.name));
    if (!ref) {
      if (d.uplink && (await d.uplink(req, reply, p))) return reply;
      throw notFound(`package ${p.name} was not found`, 'PACKAGE_NOT_FOUND');
    }
    if (ref.access !== 'public') assertReadable(ctx, ctx.repo.find(NPM, p.name)!, guards.optional(req));
    if (p.kind === 'tarball') return sendTarball(req, reply, ref as TarballLookup, p.name, p.filename, tarballVersion);
    if (p.kind === 'doc') return sendDocument(req, reply, { ...(ref as { id: number; rev: number; access: string }), name: p.name });
    if (p.kind === 'version') {
      const pkg = ctx.repo.find(NPM, p.name)!;
      const version = ctx.repo.tags(pkg.id)[p.spec] ?? p.spec;
      const row = ctx.repo.version(pkg.id, version);
      if (!row)
        throw (
          unpublishedVersionError(ctx, p.name, version, UNINSTALLABLE(p.name)) ??
          notFound(`version ${p.spec} of ${p.name} was not found`, 'VERSION_NOT_FOUND')
        );
      const emails = new Map(ctx.repo.maintainers(pkg.id).map((m) => [m.username, m.email]));
      return servedVersion(row, d.baseOf(req), p.name, emails);
    }
    throw notFound(`no route GET ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
  });

  function sendDocument(req: FastifyRequest, reply: FastifyReply, ref: { id: number; rev: number; access: string; name: string }) {
    const q = req.query as Obj;
    const accept = String(req.headers.accept ?? '');
    // ?write=true always gets the full document, whatever the Accept (trap 24).
    const kind = q.write !== 'true' && accept.includes(CORGI) ? 'corgi' : 'full';
    const doc = ctx.packuments.get(ref, kind, d.baseOf(req));
    const headers = documentHeaders(doc, kind, ref.access);
    for (let i = 0; i < headers.length; i += 2) reply.header(headers[i], headers[i + 1]);
    if (holdsEtag(req.headers['if-none-match'], doc.etag)) return reply.status(304).send();
    if (GZIP.test(String(req.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(ctx.packuments.gzip(doc));
    }
    return reply.send(doc.body);
  }

  // The read an install makes most, answered before Fastify routes it (lib/service-app.ts addFastPath): a GET or
  // HEAD of a public package's packument, with no query and no If-None-Match, from the same cache and with the same
  // headers as the route above. The framework's routing, hooks and reply were most of its cost (docs/PERFORMANCE.md,
  // hot spot 21). Anything else, and any error, is left to the route, which answers it in full.
  addFastPath(app, (req, res) => {
    const url = req.url ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.startsWith('/npm/') || url.includes('?')) return false;
    if (req.headers['if-none-match'] !== undefined) return false;
    let body: Buffer;
    let headers: string[];
    try {
      const { p } = parseRead(req);
      if (p.kind !== 'doc') return false;
      const ref = refs.get(`r:${p.name}`, () => ctx.repo.findRev(NPM, p.name));
      if (ref?.access !== 'public') return false;
      const kind: DocKind = String(req.headers.accept ?? '').includes(CORGI) ? 'corgi' : 'full';
      const protocol = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
      const doc = ctx.packuments.get(
        { ...(ref as { id: number; rev: number; access: string }), name: p.name },
        kind,
        d.baseOf({ headers: req.headers, protocol }),
      );
      const gzip = GZIP.test(String(req.headers['accept-encoding'] ?? ''));
      body = gzip ? ctx.packuments.gzip(doc) : doc.body;
      headers = documentHeaders(doc, kind, ref.access);
      if (gzip) headers.push('content-encoding', 'gzip');
      headers.push('content-length', String(body.length), ...frameHeaders(req));
    } catch {
      return false;
    }
    res.writeHead(200, headers);
    res.end(body);
    return true;
  });

  // The tarball route's own lookup, one statement: the package's id and access, and the version's four served
  // columns (not the manifest and readme of `SELECT *`) with its review state; the version columns are null when
  // the package has no such version.
  const tarballStatement = ctx.db.prepare<[string | null, string], TarballLookup>(
    `SELECT p.id, p.access, v.version, v.filename, v.blob_sha512, v.shasum, s.review_state
       FROM packages p
       LEFT JOIN package_versions v ON v.package_id = p.id AND v.version = ?
       LEFT JOIN scan_results s ON s.ecosystem = 'npm' AND s.name = p.name AND s.version = v.version
      WHERE p.ecosystem = 'npm' AND p.name = ?`,
  );
  const tarballLookup = (name: string, version: string | undefined) =>
    refs.get(`t:${name}\n${version ?? ''}`, () => tarballStatement.get(version ?? null, name));
  // Recently served tarballs stay in memory (bounded; keyed by sha512, so never stale): a hot tarball is not
  // read from disk on every download.
  const tarballBytes = createBlobReadCache(ctx.blobs, { maxBytes: TARBALL_CACHE_BYTES, maxItemBytes: TARBALL_CACHE_ITEM_BYTES });

  async function sendTarball(
    req: FastifyRequest,
    reply: FastifyReply,
    found: TarballLookup,
    name: string,
    filename: string,
    fileVersion: string | undefined,
  ) {
    if (found.version === null)
      throw (
        unpublishedVersionError(ctx, name, fileVersion, UNINSTALLABLE(name)) ??
        notFound(`tarball ${filename} of ${name} was not found`, 'TARBALL_NOT_FOUND')
      );
    const row = found;
    const { id, version } = row;
    // The security module decides what quarantined means; its scan row is read (and parsed) only for a version
    // whose review state says quarantined, not on every download of a version that is not.
    if (row.review_state === 'quarantined' && ctx.security?.isQuarantined(name, row.version))
      throw forbidden(`${name}@${row.version} is quarantined by the registry's security review`, 'VERSION_QUARANTINED');
    const etag = `"${row.shasum}"`;
    reply
      .header('etag', etag)
      .header('cache-control', immutableCacheControl(row.access))
      .header('content-disposition', `attachment; filename="${row.filename}"`)
      // Uploaded bytes never run as a page on the registry's origin, even in a browser that opens them (as the
      // other ecosystems' downloads, registry/multiformat/http.ts): no script, no form, no same-origin access.
      .header('content-security-policy', 'sandbox');
    // The bytes of a version never change: a client holding them (its ETag) gets a 304 without a read.
    // A revalidated download is still a download (counted like one).
    if (holdsEtag(req.headers['if-none-match'], etag)) {
      if (req.method === 'GET') ctx.downloads.count(id, version, name);
      return reply.status(304).send();
    }
    const bytes = await tarballBytes.get(row.blob_sha512);
    if (!bytes) {
      req.log.error({ name, version, blob: row.blob_sha512 }, 'blob missing for a stored version');
      throw new AppError(500, 'BLOB_MISSING', 'the tarball is unavailable');
    }
    if (req.method === 'GET') ctx.downloads.count(id, version, name);
    return reply.type('application/octet-stream').header('content-length', bytes.length).send(bytes);
  }

  app.put('/npm/*', async (req, reply) => {
    const p = pathOf(req);
    const who = guards.required(req);
    const body = req.body;
    if (!isObj(body)) throw badRequest('the body must be a JSON object', undefined, 'INVALID_BODY');
    if (p.kind === 'doc') {
      if (isPublishBody(body)) {
        const r = await publishVersion(ctx, p.name, body, who);
        return reply.status(r.replay ? 200 : 201).send({ ok: true, success: true, id: r.name, version: r.version });
      }
      parseNpmName(p.name);
      // A star body is {_id,_rev,users}; deprecate sends the whole document with versions (trap 20).
      if (isObj(body.users) && body.versions === undefined) {
        star(ctx, p.name, body, who);
        return { ok: true, success: true };
      }
      if (isObj(body.versions)) {
        deprecate(ctx, p.name, body, who);
        return { ok: true, success: true };
      }
      throw badRequest(
        'this change is not understood: publish needs an attachment, star needs users, deprecate needs versions',
        undefined,
        'INVALID_CHANGE',
      );
    }
    if (p.kind === 'rev') {
      parseNpmName(p.name);
      if (isObj(body.versions)) {
        const pkg = findPackage(ctx, p.name, who);
        const keep = new Set(Object.keys(body.versions));
        const drop = ctx.repo
          .versions(pkg.id)
          .map((r) => r.version)
          .filter((v) => !keep.has(v));
        const removed = unpublish(ctx, p.name, drop, p.rev, who);
        return { ok: true, success: true, removed };
      }
      if (Array.isArray(body.maintainers)) {
        setOwners(ctx, p.name, body, p.rev, who);
        return { ok: true, success: true };
      }
      throw badRequest('this change is not understood: send versions (unpublish) or maintainers (owners)', undefined, 'INVALID_CHANGE');
    }
    throw notFound(`no route PUT ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
  });

  app.delete('/npm/*', async (req) => {
    const p = pathOf(req);
    parseNpmName(p.name);
    const who = guards.required(req);
    if (p.kind === 'rev') {
      const removed = unpublish(ctx, p.name, 'all', p.rev, who);
      return { ok: true, success: true, removed };
    }
    if (p.kind === 'tarball-rev' || p.kind === 'tarball') {
      const pkg = findPackage(ctx, p.name, who);
      const version = versionFromFilename(parseNpmName(p.name), p.filename);
      // After a version's unpublish PUT npm deletes its tarball: the bytes stay (content-addressed, burned).
      if (version && ctx.repo.version(pkg.id, version)) unpublish(ctx, p.name, [version], undefined, who);
      return { ok: true, success: true };
    }
    throw notFound(`no route DELETE ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
  });
}
