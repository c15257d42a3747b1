// HTTP glue for the seed's package REST API: publish (through the registry's npm publish), search, details,
// versions, dist-tags, deprecate and the download redirect (reads from the registry's internal API).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createAuthenticator } from '../../lib/auth.ts';
import { notFound } from '../../lib/errors.ts';
import { createPeerClient } from '../../lib/http.ts';
import { createIdentityReader } from '../../lib/identity.ts';
import { createAuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { ApiDeps } from '../app.ts';
import { createPackagesReader, splitPackagePath, toPackageDetails } from '../packages.ts';
import { deprecateVersions, publishPackage } from '../packages-publish.ts';
import { countingWrites, followRegistryChanges, noRegistryChanges } from '../registry-changes.ts';

const Ecosystem = z.enum(['npm', 'pypi', 'maven', 'rubygems']).default('npm');

const SearchQuery = z.object({
  q: z
    .string()
    .max(400)
    .default('')
    .describe('words (the last one also as a prefix) and qualifiers "keywords:a,b", "scope:@acme", "maintainer:alice" ("author:" too)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
  ecosystem: Ecosystem,
  keywords: z.string().max(400).optional().describe('comma list: every one must be an exact keyword of the package'),
  maintainer: z.string().min(1).max(214).optional().describe('username that must be among the maintainers'),
  sort: z
    .enum(['relevance', 'score', 'downloads', 'updated'])
    .default('relevance')
    .describe('relevance: exact name, then name prefix, then text match, score, downloads; updated: most recently changed first'),
});
const SearchReply = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      version: z.string().nullable(),
      downloads: z.number(),
      score: z.number().nullable(),
      updatedAt: z.string(),
    }),
  ),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
});
const DetailsReply = z.object({
  id: z.string(),
  name: z.string(),
  ecosystem: z.string(),
  description: z.string().nullable(),
  maintainers: z.array(z.string()),
  license: z.string().nullable(),
  keywords: z.array(z.string()),
  downloads: z.number(),
  stars: z.number(),
  score: z
    .object({
      quality: z.number(),
      popularity: z.number(),
      maintenance: z.number(),
      overall: z.number(),
      breakdown: z.record(z.string(), z.unknown()).optional().describe('every factor behind the three figures (docs/SCORING.md)'),
      flags: z.record(z.string(), z.boolean()).optional(),
      alerts: z.array(z.string()).optional(),
      missing: z.array(z.string()).optional(),
      confidence: z.number().optional(),
      scoringVersion: z.string().optional(),
      computedAt: z.string().optional(),
    })
    .nullable(),
  distTags: z.record(z.string(), z.string()),
  access: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  readme: z.string(),
  versions: z.array(
    z.object({ version: z.string(), publishedAt: z.string(), deprecated: z.string().nullable(), integrity: z.string(), size: z.number() }),
  ),
});

const PublishBody = z
  .object({
    name: z.string().min(1).max(214),
    version: z.string().min(1).max(256),
    description: z.string().max(10_000).optional(),
    tarball: z.string().max(2048).optional().describe('http(s) URL the server downloads (private addresses refused)'),
    tarballBase64: z.string().optional().describe('the .tgz itself, base64'),
    dependencies: z.record(z.string(), z.string()).optional(),
    license: z.string().max(200).optional(),
    tag: z.string().max(100).optional(),
    access: z.enum(['public', 'restricted']).optional(),
  })
  .describe('the seed body; name, version and dependencies must match package.json in the tarball');
const PublishReply = z.object({
  name: z.string(),
  version: z.string(),
  tag: z.string(),
  integrity: z.string(),
  shasum: z.string(),
  size: z.number(),
});
const VersionsReply = z.object({ name: z.string(), versions: DetailsReply.shape.versions });
// The registry's report (docs/SECURITY-SCANNING.md); the named parts are documented, the rest passes through.
const SecurityReply = z.looseObject({
  name: z.string(),
  version: z.string(),
  scanned: z.boolean(),
  verdict: z.string().nullable(),
  reviewState: z.string(),
  scannedAt: z.string().nullable(),
  vulnerabilities: z.looseObject({ direct: z.array(z.unknown()), transitive: z.array(z.unknown()) }),
  malware: z.array(z.unknown()),
  typosquat: z.array(z.unknown()),
  licenses: z.looseObject({ package: z.unknown(), tree: z.unknown() }),
  dependencies: z.record(z.string(), z.unknown()),
});
const Segment = z.string().min(1).max(214);
const DistTagsReply = z.object({ name: z.string(), distTags: z.record(z.string(), z.string()) });

/**
 * Sends a reply built field by field from the registry's answer (toPackageDetails, toSearchReply) as JSON text
 * (the details page: kept per registry ETag).
 * The route's response schema still documents it (OpenAPI), but its per-request parse would only copy what those
 * functions already shaped: on the hot read paths it cost more CPU than the rest of the handler.
 */
const sendJsonText = (reply: FastifyReply, text: string) => reply.type('application/json; charset=utf-8').send(text);
const sendShaped = (reply: FastifyReply, body: unknown) => sendJsonText(reply, JSON.stringify(body));

export function registerPackageRoutes(app: TypedApp, deps: ApiDeps) {
  const guards = createAuthGuards(
    createAuthenticator(
      () => deps.db,
      deps.secrets.jwtSecret,
      () => deps.clock.now(),
    ),
  );
  // The server follows the registry's change feed so details and search are answered from the registry's last
  // answer until it changes (api/registry-changes.ts); without it every read asks the registry.
  const changes = deps.followRegistryChanges
    ? followRegistryChanges({
        baseUrl: deps.config.urls.registry,
        internalToken: deps.secrets.internalToken,
        onError: (err) => app.log.debug({ err }, "the registry's change feed is not connected; package reads ask the registry"),
      })
    : noRegistryChanges;
  app.addHook('onClose', async () => changes.close());
  const registry = countingWrites(
    createPeerClient({
      name: 'registry',
      baseUrl: deps.config.urls.registry,
      timeoutMs: deps.config.PEER_TIMEOUT_MS,
      internalToken: deps.secrets.internalToken,
    }),
    changes,
  );
  const packages = createPackagesReader(
    registry,
    createIdentityReader(() => deps.db),
    undefined,
    changes,
  );
  const tags = ['packages'];
  // The tarball path starts with /npm/; REGISTRY_PUBLIC_URL may be given with or without it (as the registry reads it).
  const registryBase = (deps.config.REGISTRY_PUBLIC_URL ?? deps.config.urls.registry).replace(/\/+$/, '').replace(/\/npm$/, '');

  const maxTarballBytes = Math.floor(deps.config.BODY_LIMIT_MB * 1024 * 1024 * 0.75);
  app.post(
    '/api/packages',
    {
      // Inline base64 is 4/3 of the tarball.
      bodyLimit: Math.ceil(maxTarballBytes * 1.4) + 64 * 1024,
      schema: {
        tags,
        summary: 'Publish a version from a tarball URL (fetched by the server) or inline base64, through npm publish',
        body: PublishBody,
        response: { 200: PublishReply, 201: PublishReply },
      },
    },
    async (req, reply) => {
      guards.writer(req);
      // Publishing is for publishers and admins (docs/API-AUTH.md): refused here, before the server reads or
      // fetches a tarball for a caller the registry would refuse anyway.
      guards.role(req, 'publisher');
      const r = await publishPackage(req.body, req.headers.authorization ?? '', req.id, {
        registry,
        maxTarballBytes,
        allowPrivateNetworks: deps.config.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
      });
      const { created, ...body } = r;
      return reply.status(created ? 201 : 200).send(body);
    },
  );

  app.post(
    '/api/packages/*',
    {
      schema: {
        tags,
        summary: 'POST /api/packages/{name}/deprecate {version?, message}: deprecate matching versions ("" undeprecates); maintainers only',
        params: z.object({ '*': z.string().min(1).max(600) }),
        body: z.object({ version: z.string().max(256).default('*'), message: z.string().max(1024) }),
        response: { 200: z.object({ name: z.string(), versions: z.array(z.string()), message: z.string() }) },
      },
    },
    async (req) => {
      const p = guards.writer(req);
      const { name, rest } = splitPackagePath(req.url.split('?')[0].slice('/api/packages/'.length));
      if (rest.length !== 1 || rest[0] !== 'deprecate') throw notFound(`no route POST ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
      const pkg = await packages.details(name, 'npm', p, req.id);
      const versions = pkg.versions.map((v) => v.version);
      return deprecateVersions(registry, name, versions, req.body.version, req.body.message, req.headers.authorization ?? '', req.id);
    },
  );

  app.get(
    '/api/packages/search',
    { schema: { tags, summary: 'Search public packages', security: [], querystring: SearchQuery, response: { 200: SearchReply } } },
    async (req, reply) => sendJsonText(reply, await packages.searchJson(req.query, req.id)),
  );

  // Distinct routes so OpenAPI lists them; find-my-way prefers them to the wildcard below. The raw path is read
  // again (as there) so "@scope%2Fname/1.0.0/security" and "@scope/name/1.0.0/security" are the same package.
  const security = async (req: FastifyRequest, ecosystem: z.infer<typeof Ecosystem>) => {
    const { name, rest } = splitPackagePath(req.url.split('?')[0].slice('/api/packages/'.length));
    if (rest.length !== 2 || rest[1] !== 'security') throw notFound(`no route GET ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
    const pkg = await packages.details(name, ecosystem, guards.optional(req), req.id);
    // The reply schema checks the registry's shape on the way out.
    return (await packages.security(pkg, rest[0], req.id)) as z.infer<typeof SecurityReply>;
  };

  const securitySchema = (params: z.ZodObject) => ({
    tags,
    summary: 'Security report of a version: vulnerabilities (direct, transitive with paths), malware, typosquat, licenses',
    params,
    querystring: z.object({ ecosystem: Ecosystem }),
    response: { 200: SecurityReply },
  });
  app.get(
    '/api/packages/:name/:version/security',
    { schema: securitySchema(z.object({ name: Segment.describe('a name, or "@scope%2Fname"'), version: Segment })) },
    async (req) => security(req, req.query.ecosystem),
  );
  app.get(
    '/api/packages/:scope/:name/:version/security',
    { schema: securitySchema(z.object({ scope: Segment.describe('"@scope"'), name: Segment, version: Segment })) },
    async (req) => security(req, req.query.ecosystem),
  );

  app.get(
    '/api/packages/*',
    {
      schema: {
        tags,
        summary: 'GET /api/packages/{name}: details with score; …/versions, …/dist-tags; …/{version}/download: 302 to the tarball',
        params: z.object({ '*': z.string().min(1).max(600) }),
        querystring: z.object({ ecosystem: Ecosystem }),
        response: { 200: z.union([DetailsReply, VersionsReply, DistTagsReply]) },
      },
    },
    async (req, reply) => {
      // The raw path, not the decoded param: "%2F" in a name must not become a path separator.
      const { name, rest } = splitPackagePath(req.url.split('?')[0].slice('/api/packages/'.length));
      const who = guards.optional(req);
      if (rest.length === 0) return sendJsonText(reply, await packages.detailsJson(name, req.query.ecosystem, who, req.id));
      const pkg = await packages.details(name, req.query.ecosystem, who, req.id);
      if (rest.length === 1 && rest[0] === 'versions')
        return sendShaped(reply, { name: pkg.name, versions: toPackageDetails(pkg).versions });
      if (rest.length === 1 && rest[0] === 'dist-tags') return sendShaped(reply, { name: pkg.name, distTags: pkg.distTags });
      if (rest.length === 2 && rest[1] === 'download') {
        const v = pkg.versions.find((x) => x.version === rest[0]);
        if (!v) throw notFound(`version ${rest[0]} of ${name} was not found`, 'VERSION_NOT_FOUND');
        return reply.redirect(`${registryBase}${v.tarball}`, 302);
      }
      throw notFound(`no route GET /api/packages/${req.params['*']}`, 'ROUTE_NOT_FOUND');
    },
  );
}
