// PyPI at /pypi/: the legacy upload API (twine), the simple index (pip), files with PEP 658 metadata, yank, and
// pypi.org's JSON API (json-api.ts).
// Upload answers are read by twine: 200 = success, the reason phrase is what the user sees (multiformat-protocols.md
// 1.3), and /legacy and /legacy/ are both accepted because twine aborts on any redirect.
import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import { compare } from '@renovatebot/pep440';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest, forbidden, notFound } from '../../lib/errors.ts';
import { holdsEtag, immutableCacheControl } from '../../lib/etag.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import { canManage, readablePackage, readablePackages, registerAccessRoute } from '../multiformat/access.ts';
import { type FormatContext, isoNow } from '../multiformat/context.ts';
import { assertNotQuarantined, challenge, countDownload, installFormatErrors, sendBlob } from '../multiformat/http.ts';
import { retagLatest } from '../multiformat/publish.ts';
import { pypiJson } from './json-api.ts';
import { normalizeName, sameVersion } from './names.ts';
import { indexFiles, JSON_TYPE, projectHtml, projectJson, rootHtml, rootJson, wantsJson } from './simple.ts';
import { isNewerRelease, PYPI, type UploadForm, uploadDistribution } from './upload.ts';

const REALM = 'pypi';

async function readForm(req: FastifyRequest): Promise<UploadForm> {
  if (!req.isMultipart()) throw badRequest('Upload must be multipart/form-data, as twine sends it.', undefined, 'BAD_CONTENT_TYPE');
  const form: UploadForm = { fields: new Map() };
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      // twine sends a detached signature (dist/*.asc, or --sign) as a second file part, gpg_signature: pypi.org has
      // ignored those since 2023 and so does this registry; only the distribution is kept.
      if (part.fieldname === 'content') {
        if (form.file) throw badRequest('Upload one distribution per request, as twine does.', undefined, 'TOO_MANY_FILES');
        form.file = { filename: part.filename, bytes };
      }
    } else {
      const values = form.fields.get(part.fieldname) ?? [];
      values.push(String(part.value));
      form.fields.set(part.fieldname, values);
    }
  }
  return form;
}

/**
 * Index pages and the JSON API answer by caller (private projects): never public, so no shared cache keeps an
 * authenticated answer, and varying by credentials (and by Accept where the format is negotiated).
 */
const perCaller = (reply: FastifyReply, vary: string) => reply.header('vary', vary).header('cache-control', 'max-age=60');

/**
 * Sends a per-caller page with a strong ETag of its bytes, and 304 to a client that holds them: pip revalidates index
 * pages on every resolve (it asks with max-age=0) and its HTTP cache sends If-None-Match, as pypi.org answers it.
 */
function sendPage(req: FastifyRequest, reply: FastifyReply, type: string, page: string | object) {
  const body = typeof page === 'string' ? page : JSON.stringify(page);
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  reply.header('etag', etag).type(type);
  if (holdsEtag(req.headers['if-none-match'], etag)) return reply.status(304).send();
  return reply.send(body);
}

/** originOf: the registry's public origin for a request (public-url.ts), for the JSON API's absolute file URLs. */
export async function registerPypiRoutes(app: FastifyInstance, ctx: FormatContext, originOf: (req: FastifyRequest) => string) {
  await app.register(multipart, {
    limits: { fileSize: ctx.maxUploadBytes, files: 2, fields: 1000, fieldSize: 8 * 1024 * 1024, parts: 1100 },
  });
  installFormatErrors(app, 'json', ctx.maxUploadBytes);

  const upload = async (req: FastifyRequest, reply: FastifyReply) => {
    const who = ctx.guards.optional(req);
    if (!who) throw challenge('Invalid or non-existent authentication information: use your username and an API token.', REALM);
    const outcome = await uploadDistribution(ctx, await readForm(req), who);
    // PyPI answers an identical re-upload with 200 too (reliability-security.md P3).
    return reply.type('text/plain; charset=utf-8').send(outcome.status === 'identical' ? 'OK (file already uploaded)\n' : 'OK\n');
  };
  app.post('/legacy/', upload);
  app.post('/legacy', upload);
  // The repository root is the upload URL of Nexus (.../repository/pypi-hosted/), devpi (.../user/index/) and
  // Artifactory (.../api/pypi/pypi-local): a team moving over keeps that shape in .pypirc, and got a bare 404.
  app.post('/', upload);

  // The JSON API at pypi.org's paths under this root. A non-normalised name answers 301 to the normalised URL, as
  // pypi.org does; a private project answers as its simple page does (readablePackage).
  const jsonApi = (req: FastifyRequest, reply: FastifyReply, project: string, version?: string) => {
    const canonical = normalizeName(project);
    if (canonical !== project) {
      const up = version === undefined ? '../' : '../../';
      const rest = version === undefined ? 'json' : `${encodeURIComponent(version)}/json`;
      return reply.redirect(`${up}${encodeURIComponent(canonical)}/${rest}`, 301);
    }
    const { pkg } = readablePackage(ctx, req, PYPI, canonical, REALM);
    const body = pypiJson(ctx, pkg, `${originOf(req)}/pypi`, version);
    perCaller(reply, 'Authorization').header('x-pypi-last-serial', String(pkg.rev));
    return sendPage(req, reply, 'application/json; charset=utf-8', body);
  };

  app.get('/simple/', async (req, reply) => {
    const projects = [...readablePackages(ctx, req, PYPI).keys()];
    const json = wantsJson(req.headers.accept, (req.query as { format?: string }).format);
    perCaller(reply, 'Accept, Authorization');
    if (json) return sendPage(req, reply, JSON_TYPE, rootJson(projects));
    return sendPage(req, reply, 'text/html; charset=utf-8', rootHtml(projects));
  });

  app.get('/simple/:project/', async (req, reply) => {
    const { project } = req.params as { project: string };
    const canonical = normalizeName(project);
    // PEP 503 lets a repository redirect to the normalised name (pip always asks for it already).
    if (canonical !== project) return reply.redirect(`../${encodeURIComponent(canonical)}/`, 301);
    const { pkg } = readablePackage(ctx, req, PYPI, canonical, REALM);
    const rows = ctx.files.served(pkg.id);
    const files = indexFiles(canonical, rows);
    const versions = [...new Set(rows.map((r) => r.version))].sort(compare);
    perCaller(reply, 'Accept, Authorization');
    if (wantsJson(req.headers.accept, (req.query as { format?: string }).format))
      return sendPage(req, reply, JSON_TYPE, projectJson(canonical, files, versions));
    return sendPage(req, reply, 'text/html; charset=utf-8', projectHtml(canonical, files));
  });
  app.get('/simple/:project', async (req, reply) => {
    const { project } = req.params as { project: string };
    // Also the JSON API's URL of a project named "simple", which wins when there is one: pip asks for the simple
    // page of a project "json" with the slash.
    if (project === 'json' && ctx.repo.find(PYPI, 'simple')) return jsonApi(req, reply, 'simple');
    return reply.redirect(`${encodeURIComponent(normalizeName(project))}/`, 301);
  });

  app.get('/:project/json', async (req, reply) => jsonApi(req, reply, (req.params as { project: string }).project));
  app.get('/:project/:version/json', async (req, reply) => {
    const { project, version } = req.params as { project: string; version: string };
    return jsonApi(req, reply, project, version);
  });
  // pypi.org also answers the JSON API's URLs with a trailing slash, by a 301 to the URL without it (Warehouse's
  // legacy.api.json.project_slash and release_slash); older tools and scripts still ask for them.
  app.get('/:project/json/', async (req, reply) => {
    const { project } = req.params as { project: string };
    return reply.redirect(`../../${encodeURIComponent(normalizeName(project))}/json`, 301);
  });
  app.get('/:project/:version/json/', async (req, reply) => {
    const { project, version } = req.params as { project: string; version: string };
    return reply.redirect(`../../../${encodeURIComponent(normalizeName(project))}/${encodeURIComponent(version)}/json`, 301);
  });

  app.get('/files/:project/:filename', async (req, reply) => {
    const { project, filename } = req.params as { project: string; filename: string };
    // Also the JSON API's URL of a release of a project named "files" (no distribution file is named "json").
    if (filename === 'json') return jsonApi(req, reply, 'files', project);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (project !== normalizeName(project) || /[/\\\x00-\x1f]/.test(filename)) throw notFound('no such file', 'FILE_NOT_FOUND');
    const { pkg } = readablePackage(ctx, req, PYPI, project, REALM);
    if (filename.endsWith('.metadata')) {
      const extra = ctx.files.extra(PYPI, `${project}/${filename}`);
      if (!extra) throw notFound(`${filename} was not found`, 'FILE_NOT_FOUND');
      const dist = ctx.files.file(PYPI, `${project}/${filename.slice(0, -'.metadata'.length)}`);
      if (dist) assertNotQuarantined(ctx, dist);
      reply.header('cache-control', immutableCacheControl(pkg.access));
      return sendBlob(ctx, req, reply, extra.blob_sha512, filename, 'text/plain; charset=utf-8');
    }
    const file = ctx.files.file(PYPI, `${project}/${filename}`);
    if (!file || file.package_id !== pkg.id) throw notFound(`${filename} was not found`, 'FILE_NOT_FOUND');
    assertNotQuarantined(ctx, file);
    countDownload(ctx, req, pkg.id, file.version);
    reply.header('cache-control', immutableCacheControl(pkg.access)).header('etag', `"${file.sha256}"`);
    return sendBlob(ctx, req, reply, file.blob_sha512, filename);
  });

  // PEP 592 yank (Warehouse does it in its web UI; here a maintainer calls it with the same credentials).
  const YankBody = z.object({
    project: z.string().min(1).max(200),
    version: z.string().min(1).max(100),
    reason: z.string().max(500).optional(),
  });
  const setYank = (req: FastifyRequest, body: z.infer<typeof YankBody>, yank: boolean) => {
    const who = ctx.guards.optional(req);
    if (!who) throw challenge('Invalid or non-existent authentication information: use your username and an API token.', REALM);
    const project = normalizeName(body.project);
    const { pkg } = readablePackage(ctx, req, PYPI, project, REALM);
    if (!canManage(ctx, pkg, who))
      throw forbidden(`The user '${who.username}' isn't allowed to yank releases of '${project}'.`, 'NOT_MAINTAINER');
    if (who.readonly) throw readOnlyRefusal('yank');
    // sameVersion, not pep440's eq: eq throws on a string that is no PEP 440 version (a 500 for a typo).
    const release = ctx.repo.versions(pkg.id).find((v) => sameVersion(v.version, body.version));
    if (!release) throw notFound(`${project} has no release ${body.version}`, 'VERSION_NOT_FOUND');
    ctx.db
      .transaction(() => {
        ctx.files.yank(pkg.id, release.version, yank ? (body.reason ?? '') : null);
        retagLatest(ctx, pkg.id, isNewerRelease);
        ctx.repo.touch(pkg.id, isoNow(ctx.clock));
      })
      .immediate();
    return { project, version: release.version, yanked: yank, reason: yank ? (body.reason ?? '') : null };
  };
  const yankBody = (raw: unknown) => {
    const parsed = YankBody.safeParse(raw);
    if (!parsed.success)
      throw badRequest('send {"project": "<name>", "version": "<version>", "reason"?: "<why>"}', undefined, 'VALIDATION_FAILED');
    return parsed.data;
  };
  registerAccessRoute(app, ctx, PYPI, normalizeName, REALM);
  app.post('/-/yank', async (req) => setYank(req, yankBody(req.body), true));
  app.post('/-/unyank', async (req) => setYank(req, yankBody(req.body), false));
}
