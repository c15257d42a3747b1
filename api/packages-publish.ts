// POST /api/packages (seed body): get the tarball (fetched from a URL under the SSRF rules, or inline base64),
// read its package.json, check the body says the same, and publish it through the registry's own npm publish
// (PUT /npm/<name> with the caller's credentials), so scan, score and events are exactly those of npm publish.
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import semver from 'semver';
import { request } from 'undici';
import { AppError, badRequest } from '../lib/errors.ts';
import type { PeerClient } from '../lib/http.ts';
import { checkTarget, pinnedAgent, type Resolver, SsrfError } from '../lib/ssrf.ts';

export interface PublishInput {
  name: string;
  version: string;
  description?: string;
  tarball?: string;
  tarballBase64?: string;
  dependencies?: Record<string, string>;
  license?: string;
  tag?: string;
  access?: 'public' | 'restricted';
}

export interface PublishDeps {
  registry: PeerClient;
  maxTarballBytes: number;
  allowPrivateNetworks: boolean;
  resolve?: Resolver;
}

const FETCH_TIMEOUTS = { connectMs: 5000, headersMs: 10_000, bodyMs: 30_000 };
const fetchFailed = (message: string, reason: string) => new AppError(422, 'TARBALL_FETCH_FAILED', message, { reason });

/** Fetch a tarball URL: checked and pinned like a webhook, no redirects, bounded in time and size. */
export async function fetchTarball(url: string, d: PublishDeps): Promise<Buffer> {
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    target = await checkTarget(url, { allowPrivateNetworks: d.allowPrivateNetworks, resolve: d.resolve });
  } catch (err) {
    if (!(err instanceof SsrfError)) throw err;
    throw new AppError(422, 'TARBALL_URL_NOT_ALLOWED', `tarball URL not allowed: ${err.message}`, { reason: err.reason });
  }
  const agent = pinnedAgent(target, FETCH_TIMEOUTS);
  try {
    const res = await request(target.url, { method: 'GET', dispatcher: agent, signal: AbortSignal.timeout(60_000) }).catch((err) => {
      throw fetchFailed(`could not download the tarball: ${(err as Error).message}`, 'unreachable');
    });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw fetchFailed(
        `the tarball URL answered ${res.statusCode}${res.statusCode < 400 ? ' (redirects are not followed)' : ''}`,
        'status',
      );
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > d.maxTarballBytes) throw fetchFailed(`the tarball is larger than ${d.maxTarballBytes} bytes`, 'too_large');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > d.maxTarballBytes) throw fetchFailed(`the tarball is larger than ${d.maxTarballBytes} bytes`, 'too_large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  } finally {
    agent.destroy().catch(() => {});
  }
}

// Inflated bytes per compressed byte, past a floor: the registry's own archive limits
// (registry/security/archive-reader.ts), which refuse anything beyond them at publish anyway.
const MAX_INFLATE_RATIO = 100;
const INFLATE_FLOOR_BYTES = 4 * 1024 * 1024;
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;
const noPackageJson = () => badRequest('the tarball has no readable package/package.json', undefined, 'INVALID_TARBALL');

/**
 * package/package.json of a .tgz, with a minimal ustar walk (the registry re-reads the archive in full). Streamed:
 * the bodies of other entries are counted and dropped, it stops at package.json, and it refuses to inflate more
 * than the ratio allows. Inflating the whole archive into one buffer first let a 700 kB gzip of zeros grow the main
 * API by 1.5 GB (a few at once exhaust its memory) before anything was checked.
 */
export async function readPackageJson(tgz: Buffer, maxUnpacked: number): Promise<Record<string, unknown>> {
  const budget = Math.min(maxUnpacked, Math.max(INFLATE_FLOOR_BYTES, tgz.length * MAX_INFLATE_RATIO));
  const gunzip = createGunzip();
  gunzip.end(tgz);
  let inflated = 0;
  let pending: Buffer = Buffer.alloc(0);
  let skip = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > budget)
        throw badRequest(
          `the tarball inflates past ${budget} bytes before its package/package.json (a decompression bomb)`,
          undefined,
          'INVALID_TARBALL',
        );
      pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          skip -= n;
          pending = pending.subarray(n);
          if (skip > 0) break;
        }
        if (pending.length < 512) break;
        const header = pending.subarray(0, 512);
        if (header.every((b) => b === 0)) throw noPackageJson();
        const field = (from: number, len: number) =>
          header
            .subarray(from, from + len)
            .toString('utf8')
            .replace(/\0.*$/s, '');
        const size = Number.parseInt(field(124, 12).trim() || '0', 8);
        if (Number.isNaN(size)) throw noPackageJson();
        const prefix = field(345, 155);
        const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
        if (name === 'package/package.json' && (header[156] === 0x30 || header[156] === 0)) {
          if (size > MAX_PACKAGE_JSON_BYTES)
            throw badRequest('package.json in the tarball is larger than 1 MB', undefined, 'INVALID_TARBALL');
          if (pending.length < 512 + size) break;
          try {
            const pj = JSON.parse(pending.subarray(512, 512 + size).toString('utf8'));
            if (pj && typeof pj === 'object' && !Array.isArray(pj)) return pj as Record<string, unknown>;
          } catch {
            // refused below
          }
          throw noPackageJson();
        }
        pending = pending.subarray(512);
        skip = Math.ceil(size / 512) * 512;
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest('the tarball is not a valid gzip archive', undefined, 'INVALID_TARBALL');
  } finally {
    gunzip.destroy();
  }
  throw noPackageJson();
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/** Publish through the registry's npm publish; its answer (and refusals) come back unchanged. */
export async function publishPackage(input: PublishInput, authorization: string, requestId: string, d: PublishDeps) {
  if (!input.tarball === !input.tarballBase64)
    throw badRequest('send exactly one of "tarball" (a URL) or "tarballBase64"', undefined, 'TARBALL_REQUIRED');
  const bytes = input.tarball ? await fetchTarball(input.tarball, d) : Buffer.from(input.tarballBase64!, 'base64');
  if (bytes.length === 0 || bytes.length > d.maxTarballBytes)
    throw badRequest(`the tarball must be 1 to ${d.maxTarballBytes} bytes`, undefined, 'INVALID_TARBALL');
  const pj = await readPackageJson(bytes, d.maxTarballBytes * 10);
  // The tarball's package.json is what npm installs; the body must agree with it (no manifest confusion).
  for (const [field, given, inner] of [
    ['name', input.name, pj.name],
    ['version', input.version, pj.version],
  ] as const) {
    if (given !== inner)
      throw badRequest(`"${field}" is "${given}" but package.json in the tarball says "${String(inner)}"`, undefined, 'MANIFEST_MISMATCH');
  }
  if (input.dependencies && !same(input.dependencies, pj.dependencies)) {
    throw badRequest('"dependencies" differ from package.json in the tarball', undefined, 'MANIFEST_MISMATCH');
  }
  if (input.license && pj.license !== undefined && input.license !== pj.license) {
    throw badRequest(
      `"license" is "${input.license}" but package.json in the tarball says "${String(pj.license)}"`,
      undefined,
      'MANIFEST_MISMATCH',
    );
  }
  const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  const shasum = createHash('sha1').update(bytes).digest('hex');
  const filename = `${input.name.split('/').pop()}-${input.version}.tgz`;
  const tag = input.tag ?? 'latest';
  const manifest = { ...pj, description: pj.description ?? input.description, dist: { integrity, shasum, tarball: '' } };
  const doc = {
    _id: input.name,
    name: input.name,
    description: manifest.description,
    'dist-tags': { [tag]: input.version },
    versions: { [input.version]: manifest },
    access: input.access ?? null,
    _attachments: { [filename]: { content_type: 'application/octet-stream', data: bytes.toString('base64'), length: bytes.length } },
  };
  const res = await d.registry.call<Record<string, unknown>>(`/npm/${input.name.replace('/', '%2f')}`, {
    method: 'PUT',
    body: doc,
    headers: { authorization },
    requestId,
    timeoutMs: 60_000,
  });
  if (!res) throw new AppError(404, 'PACKAGE_NOT_FOUND', `the registry has no place for ${input.name}: check the scope`);
  return { created: res.status === 201, name: input.name, version: input.version, tag, integrity, shasum, size: bytes.length };
}

/**
 * Deprecate (message) or undeprecate ("") the versions matching a range, through the registry's own npm
 * deprecate (a PUT of versions[v].deprecated with the caller's credentials: maintainers only).
 */
export async function deprecateVersions(
  registry: PeerClient,
  name: string,
  versions: string[],
  range: string,
  message: string,
  authorization: string,
  requestId: string,
) {
  if (!semver.validRange(range)) throw badRequest(`"${range}" is not a version or range`, undefined, 'INVALID_RANGE');
  const matching = versions.filter((v) => semver.satisfies(v, range, { includePrerelease: true }));
  if (matching.length === 0) throw new AppError(404, 'VERSION_NOT_FOUND', `no version of ${name} matches "${range}"`);
  await registry.call(`/npm/${name.replace('/', '%2f')}`, {
    method: 'PUT',
    body: { _id: name, name, versions: Object.fromEntries(matching.map((v) => [v, { deprecated: message }])) },
    headers: { authorization },
    requestId,
    timeoutMs: 10_000,
  });
  return { name, versions: matching, message };
}
