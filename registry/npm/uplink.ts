// Uplink proxy (UPLINK_URL), as Verdaccio's users expect: a name not published here is fetched from the upstream
// npm registry and cached. Packuments are revalidated after maxAge (ETag, a 304 is not an error, unlike
// Verdaccio #5571) and served stale while the upstream is down; tarballs are integrity-checked and kept in the
// blob store within a size bound (LRU). Local names always shadow upstream ones (this runs only on a local miss).

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { request } from 'undici';
import { AppError, notFound } from '../../lib/errors.ts';
import { holdsEtag } from '../../lib/etag.ts';
import type { UplinkRepo } from '../uplink-repo.ts';
import { NPM, type NpmContext } from './context.ts';
import { type NpmName, parseNpmReadName, tarballPath, versionFromFilename } from './names.ts';
import { CORGI_FIELDS } from './packument.ts';
import type { NpmPath } from './paths.ts';

export interface UplinkOptions {
  /** Base URL of the upstream npm API, e.g. "https://registry.npmjs.org/" or "http://host:4873/npm/". */
  url: string;
  /** Authorization header value for a private upstream (UPLINK_AUTH), sent to the upstream's origin only. */
  auth?: string;
  maxAgeMs: number;
  maxCacheBytes: number;
  timeoutMs: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const CORGI = 'application/vnd.npm.install-v1+json';
const FILE_RE = /^[A-Za-z0-9._-]+\.tgz$/;
const unavailable = (name: string) =>
  new AppError(503, 'UPLINK_UNAVAILABLE', `${name} is not published here and the upstream registry cannot be reached: try again later`);

export function createNpmUplink(
  ctx: NpmContext,
  cache: UplinkRepo,
  o: UplinkOptions,
  log: Logger,
  baseOf: (req: FastifyRequest) => string,
) {
  const upstream = o.url.replace(/\/+$/, '');
  const upstreamUrl = (name: string) => `${upstream}/${name.replace('/', '%2f')}`;
  const upstreamOrigin = new URL(upstream).origin;

  async function get(url: string, headers: Record<string, string>, maxBytes: number) {
    // The credentials go to the upstream's origin and nowhere else: every URL here is built on the upstream today,
    // and this keeps it so if one ever comes from a document. Redirects are not followed (undici's default), so
    // a redirect cannot carry them to another host either. Never logged: only the error message is.
    const auth = o.auth && new URL(url).origin === upstreamOrigin ? { authorization: o.auth } : {};
    const res = await request(url, {
      headers: { 'user-agent': 'elide-registry-uplink', ...headers, ...auth },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new Error('upstream answer too large');
      }
      chunks.push(c as Buffer);
    }
    return { status: res.statusCode, etag: res.headers.etag as string | undefined, body: Buffer.concat(chunks) };
  }

  /** The upstream document (fresh, revalidated, or stale when the upstream is down); undefined when it has none. */
  async function packument(name: string): Promise<Obj | undefined> {
    const cached = cache.doc(NPM, name);
    const now = ctx.clock.now();
    if (cached && now - cached.fetched_at < o.maxAgeMs) return JSON.parse(cached.body) as Obj;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (cached?.etag) headers['if-none-match'] = cached.etag;
      const res = await get(upstreamUrl(name), headers, 64 * 1024 * 1024);
      if (res.status === 304 && cached) {
        cache.touchDoc(NPM, name, now);
        return JSON.parse(cached.body) as Obj;
      }
      if (res.status === 404) {
        if (cached) cache.dropDoc(NPM, name);
        return undefined;
      }
      if (res.status !== 200) throw new Error(`upstream answered ${res.status}`);
      const doc = JSON.parse(res.body.toString('utf8')) as unknown;
      if (!isObj(doc) || doc.name !== name || !isObj(doc.versions)) throw new Error('upstream sent an unusable document');
      cache.saveDoc(NPM, name, JSON.stringify(doc), res.etag ?? null, now);
      return doc;
    } catch (err) {
      log.warn({ err: (err as Error).message, name }, 'uplink: upstream failed');
      if (cached) return JSON.parse(cached.body) as Obj;
      throw unavailable(name);
    }
  }

  /** The upstream document with tarball URLs on our host (npm only sends auth to the registry host). */
  function served(doc: Obj, n: NpmName, base: string, kind: 'full' | 'corgi'): Obj {
    const versions: Obj = {};
    for (const [v, m] of Object.entries(doc.versions as Obj)) {
      if (!isObj(m) || !isObj(m.dist)) continue;
      const mm: Obj = { ...m, dist: { ...m.dist, tarball: `${base}/${tarballPath(n, v)}` } };
      versions[v] = kind === 'full' ? mm : Object.fromEntries(CORGI_FIELDS.filter((f) => mm[f] !== undefined).map((f) => [f, mm[f]]));
    }
    if (kind === 'corgi')
      return { name: n.name, modified: (doc.time as Obj | undefined)?.modified, 'dist-tags': doc['dist-tags'], versions, time: doc.time };
    const { _attachments: _a, ...rest } = doc;
    return { ...rest, versions };
  }

  async function evict() {
    while (cache.totalBytes() > o.maxCacheBytes) {
      const victims = cache.oldest();
      if (victims.length === 0) return;
      for (const v of victims) {
        cache.dropTarball(v.ecosystem, v.name, v.filename);
        if (!cache.blobInUse(v.blob_sha512)) await ctx.blobs.remove(v.blob_sha512);
        if (cache.totalBytes() <= o.maxCacheBytes) return;
      }
    }
  }

  async function tarball(n: NpmName, filename: string): Promise<Buffer> {
    const hit = cache.tarball(NPM, n.name, filename);
    if (hit) {
      const bytes = await ctx.blobs.get(hit.blob_sha512);
      if (bytes) {
        cache.touchTarball(NPM, n.name, filename, ctx.clock.now());
        return bytes;
      }
    }
    const version = versionFromFilename(n, filename);
    const doc = version ? await packument(n.name) : undefined;
    const m = version && doc && isObj(doc.versions) ? (doc.versions as Obj)[version] : undefined;
    if (!isObj(m) || !isObj(m.dist)) throw notFound(`tarball ${filename} of ${n.name} was not found`, 'TARBALL_NOT_FOUND');
    // Fetched only from the uplink itself, never from a URL the document names (Verdaccio 6.10.3 fix).
    const upstreamFile = typeof m.dist.tarball === 'string' ? (m.dist.tarball.split('/').pop() ?? filename) : filename;
    const url = `${upstream}/${n.name}/-/${FILE_RE.test(upstreamFile) ? upstreamFile : filename}`;
    let bytes: Buffer;
    try {
      const res = await get(url, {}, ctx.maxTarballBytes);
      if (res.status === 404) throw notFound(`tarball ${filename} of ${n.name} was not found upstream`, 'TARBALL_NOT_FOUND');
      if (res.status !== 200) throw new Error(`upstream answered ${res.status}`);
      bytes = res.body;
    } catch (err) {
      if (err instanceof AppError) throw err;
      log.warn({ err: (err as Error).message, name: n.name, filename }, 'uplink: tarball fetch failed');
      throw unavailable(n.name);
    }
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const want = typeof m.dist.integrity === 'string' ? m.dist.integrity.split(/\s+/).find((h) => h.startsWith('sha512-')) : undefined;
    const shaOk = typeof m.dist.shasum === 'string' ? createHash('sha1').update(bytes).digest('hex') === m.dist.shasum : false;
    if (want ? want !== integrity : !shaOk)
      throw new AppError(502, 'UPLINK_INTEGRITY', `the upstream tarball of ${n.name}@${version} does not match its integrity`);
    const sha512 = await ctx.blobs.put(bytes);
    ctx.db
      .transaction(() => cache.saveTarball(NPM, n.name, filename, { blob_sha512: sha512, integrity, size: bytes.length }, ctx.clock.now()))
      .immediate();
    await evict();
    return bytes;
  }

  /** Serves the request from the uplink; false when the upstream has no such package either. */
  return async function handle(req: FastifyRequest, reply: FastifyReply, p: NpmPath): Promise<boolean> {
    const n = parseNpmReadName(p.name);
    if (p.kind === 'tarball') {
      const bytes = await tarball(n, p.filename);
      // A download, never a page on the registry's origin, as for the tarballs published here (routes-packages.ts).
      reply
        .type('application/octet-stream')
        .header('content-length', bytes.length)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('content-disposition', `attachment; filename="${p.filename}"`)
        .header('content-security-policy', 'sandbox');
      reply.send(bytes);
      return true;
    }
    const doc = await packument(n.name);
    if (!doc) return false;
    const base = baseOf(req);
    if (p.kind === 'version') {
      const tags = isObj(doc['dist-tags']) ? doc['dist-tags'] : {};
      const v = typeof tags[p.spec] === 'string' ? (tags[p.spec] as string) : p.spec;
      const one = (served(doc, n, base, 'full').versions as Obj)[v];
      if (!one) throw notFound(`version ${p.spec} of ${n.name} was not found`, 'VERSION_NOT_FOUND');
      reply.send(one);
      return true;
    }
    if (p.kind !== 'doc') return false;
    const q = req.query as Obj;
    const kind = q.write !== 'true' && String(req.headers.accept ?? '').includes(CORGI) ? 'corgi' : 'full';
    const body = Buffer.from(JSON.stringify(served(doc, n, base, kind)));
    const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
    reply.header('etag', etag).header('cache-control', 'public, max-age=0, must-revalidate').header('vary', 'accept, accept-encoding');
    reply.type(kind === 'corgi' ? CORGI : 'application/json');
    if (holdsEtag(req.headers['if-none-match'], etag)) reply.status(304).send();
    else reply.send(body);
    return true;
  };
}
