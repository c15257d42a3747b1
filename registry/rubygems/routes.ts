// RubyGems at /rubygems/ (gem push --host http://host:4873/rubygems; source "http://host:4873/rubygems"): push and
// yank with the API key, the source root (gem 3.3 probes HEAD /rubygems/ to choose the compact index), the
// compact index, the legacy Marshal index and quick gemspecs, the .gem files (not those of yanked versions:
// rubygems.org deletes them), gem owner (owners.ts), and rubygems.org's JSON API for tools (json-api.ts). gem prints the body text of
// any answer, so refusals are sent as plain sentences (multiformat-protocols.md 3.1, 3.3).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, notFound } from '../../lib/errors.ts';
import { immutableCacheControl } from '../../lib/etag.ts';
import type { AccountsClient } from '../accounts-client.ts';
import { readablePackage, readablePackages, registerAccessRoute } from '../multiformat/access.ts';
import type { FormatContext } from '../multiformat/context.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import { assertNotQuarantined, challenge, countDownload, installFormatErrors, sendBlob } from '../multiformat/http.ts';
import type { PackageRow } from '../packages-repo.ts';
import { registerApiKeyRoute } from './api-key.ts';
import { createVersionsLog, infoBody, md5, sendIndexFile } from './compact-index.ts';
import { isPrerelease, isValidGemName, liveGems, specOf } from './gem-spec.ts';
import { GEM_NOT_FOUND, gemJson, latestJson, mostRecent, versionsJson } from './json-api.ts';
import { quickSpec, type SpecTuple, specsGz } from './marshal-index.ts';
import { changeOwner, listOwners, ownersYaml } from './owners.ts';
import { compareGemVersions, pushGem, RUBYGEMS, yankGem } from './push.ts';

const REALM = 'rubygems';
const NEED_KEY = 'Access Denied. Please sign up for an account and use your API token as the key (GEM_HOST_API_KEY or ~/.gem/credentials).';

/** originOf: the registry's public origin for a request (public-url.ts), for the JSON API's absolute links. */
export async function registerRubygemsRoutes(
  app: FastifyInstance,
  ctx: FormatContext,
  originOf: (req: FastifyRequest) => string,
  accounts: AccountsClient,
) {
  // gem push sends application/octet-stream, gem yank a form: both are read as raw bytes here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.maxUploadBytes }, (_req, body, done) => done(null, body));
  installFormatErrors(app, 'text', ctx.maxUploadBytes);
  const log = createVersionsLog(ctx.db);
  // A quarantine takes the version out of /info like a yank, a release puts it back: /versions gets the line that
  // tells Bundler its cached info is stale (compact index rule: the info checksum changes with every such line).
  ctx.onReview((r) => {
    if (r.ecosystem !== RUBYGEMS) return;
    const info = md5(infoBody(ctx.files.served(r.packageId)));
    for (const f of ctx.files.ofVersion(r.packageId, r.version)) {
      if (f.yanked !== null) continue;
      const { platform } = specOf(f);
      const v = platform === 'ruby' ? r.version : `${r.version}-${platform}`;
      log.append(`${r.name} ${r.state === 'quarantined' ? '-' : ''}${v} ${info}`, r.at);
    }
  });

  const writer = (req: FastifyRequest) => {
    const who = ctx.guards.optional(req);
    if (!who) throw challenge(NEED_KEY, REALM);
    return who;
  };

  registerAccessRoute(app, ctx, RUBYGEMS, (n) => n, REALM);
  app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('RubyGems repository\n'));

  // gem push/yank/owner build their URL as "#{host}/api/v1/...": with the host written as the source URL, with
  // its trailing slash (http://host/rubygems/, what `gem sources` lists), that is //api/v1/... . rubygems.org and
  // Gemfury (Rails) squeeze the double slash; here each command's route is also registered under it.
  const api = (path: string) => [`/api/v1${path}`, `//api/v1${path}`];
  registerApiKeyRoute(app, ctx, accounts, api('/api_key'));

  const push = async (req: FastifyRequest, reply: FastifyReply) => {
    const who = writer(req);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return reply.type('text/plain; charset=utf-8').send(await pushGem(ctx, body, who));
  };
  for (const url of api('/gems')) app.post(url, push);

  const yank = async (req: FastifyRequest, reply: FastifyReply) => {
    const who = writer(req);
    const form = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    const query = req.query as Record<string, string | undefined>;
    const field = (k: string) => form.get(k) ?? query[k] ?? '';
    const name = field('gem_name');
    const version = field('version');
    const platform = field('platform') || 'ruby';
    if (!isValidGemName(name) || !version)
      throw badRequest('send gem_name and version (and platform for a platform gem)', undefined, 'VALIDATION_FAILED');
    return reply.type('text/plain; charset=utf-8').send(yankGem(ctx, who, name, version, platform));
  };
  for (const url of api('/gems/yank')) app.delete(url, yank);

  // gem owner: the list (gem asks for owners.yaml, tools for owners.json), and an owner added or removed by e-mail
  // address or handle (owners.ts).
  const OWNER_LISTS: Record<string, 'json' | 'yaml'> = { owners: 'json', 'owners.json': 'json', 'owners.yaml': 'yaml' };
  const ownerList = async (req: FastifyRequest, reply: FastifyReply) => {
    const { name, file } = req.params as { name: string; file: string };
    const format = OWNER_LISTS[file];
    if (!format || !isValidGemName(name)) throw notFound(GEM_NOT_FOUND, 'PACKAGE_NOT_FOUND');
    const { pkg, who } = readablePackage(ctx, req, RUBYGEMS, name, REALM);
    const owners = listOwners(ctx, pkg, who);
    if (format === 'yaml') return perCaller(reply).type('text/yaml; charset=utf-8').send(ownersYaml(owners));
    return sendJson(reply, owners);
  };
  for (const url of api('/gems/:name/:file')) app.get(url, ownerList);
  const changeOwners = (add: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const who = writer(req);
    const { name } = req.params as { name: string };
    const form = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    const owner = form.get('email') ?? (req.query as Record<string, string | undefined>).email ?? '';
    if (!isValidGemName(name) || !owner)
      throw badRequest('send email=<the e-mail address or handle of the owner>', undefined, 'VALIDATION_FAILED');
    return reply.type('text/plain; charset=utf-8').send(changeOwner(ctx, who, name, owner, add));
  };
  for (const url of api('/gems/:name/owners')) {
    app.post(url, changeOwners(true));
    app.delete(url, changeOwners(false));
  }

  /** Gems the caller may see (private gems only for their readers: maintainers, org members, admins). */
  const visibleGems = (req: FastifyRequest) => readablePackages(ctx, req, RUBYGEMS);
  const liveFiles = (req: FastifyRequest) => [...visibleGems(req).values()].flatMap((id) => liveGems(ctx.files.served(id)));

  app.get('/versions', async (req, reply) => {
    const visible = visibleGems(req);
    return sendIndexFile(
      req,
      reply,
      log.body((n) => visible.has(n)),
    );
  });
  app.get('/names', async (req, reply) => sendIndexFile(req, reply, `---\n${[...visibleGems(req).keys()].map((n) => `${n}\n`).join('')}`));
  app.get('/info/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    if (!isValidGemName(name)) throw notFound(`gem ${name} was not found`);
    const { pkg } = readablePackage(ctx, req, RUBYGEMS, name, REALM);
    return sendIndexFile(req, reply, infoBody(ctx.files.served(pkg.id)));
  });

  const specs = (req: FastifyRequest, pick: (all: SpecTuple[]) => SpecTuple[]) => {
    const all = liveFiles(req).map(({ spec }) => ({ name: spec.name, version: spec.version, platform: spec.platform }));
    return specsGz(pick(all));
  };
  const latest = (all: SpecTuple[]) => {
    const best = new Map<string, SpecTuple>();
    for (const t of all) {
      const k = `${t.name}\0${t.platform}`;
      const cur = best.get(k);
      if (!cur || compareGemVersions(t.version, cur.version) > 0) best.set(k, t);
    }
    return [...best.values()];
  };
  // The legacy indexes list the caller's private gems too: per caller, as /versions.
  app.get('/specs.4.8.gz', async (req, reply) =>
    perCaller(reply)
      .type('application/octet-stream')
      .send(specs(req, (a) => a.filter((t) => !isPrerelease(t.version)))),
  );
  app.get('/latest_specs.4.8.gz', async (req, reply) =>
    perCaller(reply)
      .type('application/octet-stream')
      .send(specs(req, (a) => latest(a.filter((t) => !isPrerelease(t.version))))),
  );
  app.get('/prerelease_specs.4.8.gz', async (req, reply) =>
    perCaller(reply)
      .type('application/octet-stream')
      .send(specs(req, (a) => a.filter((t) => isPrerelease(t.version)))),
  );

  // quick/Marshal.4.8/<name>-<version>[-<platform>].gemspec.rz names the same file as gems/<...>.gem: looked up
  // by that exact stored filename, never split back into a tuple.
  app.get('/quick/Marshal.4.8/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    if (!file.endsWith('.gemspec.rz')) throw notFound(`${file} was not found`);
    const { row, pkg } = gemFile(ctx, req, `${file.slice(0, -'.gemspec.rz'.length)}.gem`);
    reply.header('cache-control', immutableCacheControl(pkg.access));
    return reply.type('application/octet-stream').send(quickSpec(specOf(row)));
  });
  app.get('/gems/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const { row, pkg } = gemFile(ctx, req, file);
    countDownload(ctx, req, row.package_id, row.version);
    reply.header('cache-control', immutableCacheControl(pkg.access)).header('etag', `"${row.sha256}"`);
    return sendBlob(ctx, req, reply, row.blob_sha512, file);
  });

  // rubygems.org's JSON API (json-api.ts): unknown gems, gems hidden from the caller and gems with no live version
  // answer the same 404, so it tells no one that a private gem exists (anonymous callers of a private gem get the
  // 401 challenge, as /info).
  app.get('/api/v1/gems/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const { pkg, gems, versionDownloads } = liveGemsOf(ctx, req, file.endsWith('.json') ? file.slice(0, -'.json'.length) : '');
    const latest = mostRecent(gems);
    if (!latest) throw notFound(GEM_NOT_FOUND, 'PACKAGE_NOT_FOUND');
    return sendJson(reply, gemJson(pkg, latest, `${originOf(req)}/rubygems`, versionDownloads()));
  });
  app.get('/api/v1/versions/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const { gems, versionDownloads } = liveGemsOf(ctx, req, file.endsWith('.json') ? file.slice(0, -'.json'.length) : '');
    if (gems.length === 0) throw notFound(GEM_NOT_FOUND, 'PACKAGE_NOT_FOUND');
    return sendJson(reply, versionsJson(gems, versionDownloads()));
  });
  app.get('/api/v1/versions/:name/latest.json', async (req, reply) => {
    const { name } = req.params as { name: string };
    return sendJson(reply, latestJson(liveGemsOf(ctx, req, name).gems));
  });
}

/**
 * The live (served, not yanked) files of a gem the caller may read, and a reader of its download totals by version
 * (read only by the answers that show them); none for an unknown or hidden gem.
 */
function liveGemsOf(ctx: FormatContext, req: FastifyRequest, name: string) {
  const none = { pkg: { name, downloads: 0 }, gems: [], versionDownloads: () => new Map<string, number>() };
  if (!isValidGemName(name)) return none;
  try {
    const { pkg } = readablePackage(ctx, req, RUBYGEMS, name, REALM);
    return { pkg, gems: liveGems(ctx.files.served(pkg.id)), versionDownloads: () => ctx.repo.versionDownloads(pkg.id) };
  } catch (err) {
    if (err instanceof AppError && err.statusCode === 404) return none;
    throw err;
  }
}

/**
 * Answers that differ by caller (private gems: the JSON API, the legacy specs indexes): never public, and varying by
 * credentials, as /info, so no shared cache hands one caller's answer to another (RFC 9111 section 4.1).
 */
const perCaller = (reply: FastifyReply) => reply.header('cache-control', 'max-age=60').header('vary', 'Authorization');

const sendJson = (reply: FastifyReply, body: unknown) => perCaller(reply).type('application/json; charset=utf-8').send(body);

function gemFile(ctx: FormatContext, req: FastifyRequest, file: string): { row: FileRow; pkg: PackageRow } {
  if (!/^[A-Za-z0-9._-]+\.gem$/.test(file) || file.length > 300) throw notFound(`${file} was not found`);
  const row = ctx.files.file(RUBYGEMS, file);
  if (!row) throw notFound(`${file} was not found`);
  const spec = specOf(row);
  const { pkg } = readablePackage(ctx, req, RUBYGEMS, spec.name, REALM);
  // rubygems.org deletes a yanked version's files: 404, with the reason as the body (after the access check, so a
  // private gem's yanks stay its readers' business).
  if (row.yanked !== null) {
    const version = spec.platform === 'ruby' ? spec.version : `${spec.version}-${spec.platform}`;
    throw notFound(`Version ${version} of ${spec.name} was yanked: it can no longer be downloaded.`, 'VERSION_YANKED');
  }
  assertNotQuarantined(ctx, row);
  return { row, pkg };
}
