// Maven at /maven2/ (distributionManagement url http://host:4873/maven2): PUT stores, GET/HEAD serve files,
// checksums and regenerated metadata (artifact, SNAPSHOT and group level: the plugins behind `mvn <prefix>:<goal>`).
// Maven 3.8 sends PUTs with no Content-Type and preemptive Basic auth, and sends GETs anonymously first, retrying
// with credentials only after a 401 carrying WWW-Authenticate: Basic (multiformat-protocols.md 2.1-2.2). It prints
// the reason phrase of a refusal, so the sentence goes there.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../lib/errors.ts';
import { immutableCacheControl } from '../../lib/etag.ts';
import { readablePackage, registerAccessRoute } from '../multiformat/access.ts';
import type { FormatContext } from '../multiformat/context.ts';
import { assertNotQuarantined, challenge, countDownload, installFormatErrors, sendBlob } from '../multiformat/http.ts';
import { type ChecksumAlg, type Coords, packageName, parseMavenPath } from './coordinates.ts';
import { declaredChecksums, deployFile, MAVEN } from './deploy.ts';
import { groupPlugins } from './group-metadata.ts';
import { artifactMetadata, groupMetadata, snapshotMetadata } from './metadata.ts';

const REALM = 'maven';

const pathOf = (req: FastifyRequest) => {
  const raw = req.url.split('?')[0];
  return raw.slice(raw.indexOf('/maven2/') + '/maven2/'.length);
};

function parsePath(req: FastifyRequest): Coords {
  const raw = pathOf(req);
  // Decoding would let %2e%2e or %2f smuggle traversal in; Maven never percent-encodes a valid path.
  return parseMavenPath(raw);
}

export async function registerMavenRoutes(app: FastifyInstance, ctx: FormatContext) {
  // Maven's PUT has no Content-Type (Fastify would answer 415): every body is taken as raw bytes here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.maxUploadBytes }, (_req, body, done) => done(null, body));
  installFormatErrors(app, 'json', ctx.maxUploadBytes);

  registerAccessRoute(app, ctx, MAVEN, (n) => n, REALM);
  app.put('/*', async (req, reply) => {
    const c = parsePath(req);
    const who = ctx.guards.optional(req);
    if (!who) throw challenge('authentication required: configure a <server> with your username and an API token', REALM);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // A private artifact is created with the header X-Package-Access: restricted (settings.xml <httpHeaders>).
    const access = String(req.headers['x-package-access'] ?? '') === 'restricted' ? 'restricted' : undefined;
    const status = await deployFile(ctx, c, body, who, access, declaredChecksums(req.headers));
    return reply.code(status).send();
  });

  app.get('/*', async (req, reply) => serve(ctx, req, reply));
}

async function serve(ctx: FormatContext, req: FastifyRequest, reply: FastifyReply) {
  // A browser or a curious user asking for a folder: this repository serves files, not listings (Nexus would
  // list; a 400 about empty path segments only confused).
  if (pathOf(req).endsWith('/'))
    throw notFound(
      'this repository serves files only, not folder listings: ask for a file such as .../maven-metadata.xml',
      'FILE_NOT_FOUND',
    );
  const c = parsePath(req);
  const missing = () => notFound(`${c.path} was not found`, 'FILE_NOT_FOUND');
  if (c.kind === 'group-metadata') return serveGroupMetadata(ctx, req, reply, c.groupId, c.checksum, missing);
  const name = packageName(c);
  if (!ctx.repo.find(MAVEN, name)) {
    // com/acme/maven-metadata.xml: artifact com:acme's metadata when that artifact exists, else group com.acme's.
    if (c.kind === 'metadata' && c.group) return serveGroupMetadata(ctx, req, reply, c.group, c.checksum, missing);
    throw missing();
  }
  const { pkg } = readablePackage(ctx, req, MAVEN, name, REALM);
  if (c.kind === 'metadata') {
    const rows = c.version ? ctx.files.servedOfVersion(pkg.id, c.version) : ctx.files.served(pkg.id);
    if (rows.length === 0) throw missing();
    const xml = c.version ? snapshotMetadata(c.groupId, c.artifactId, c.version, rows) : artifactMetadata(c.groupId, c.artifactId, rows);
    return sendMetadata(reply, xml, c.checksum);
  }
  const file = ctx.files.file(MAVEN, c.path);
  if (!file || file.package_id !== pkg.id) throw missing();
  assertNotQuarantined(ctx, file);
  const cache = file.version.endsWith('-SNAPSHOT') ? 'no-cache' : immutableCacheControl(pkg.access);
  reply.header('cache-control', cache);
  if (c.checksum) {
    const value = c.checksum === 'sha512' ? file.blob_sha512 : file[c.checksum];
    return reply.type('text/plain; charset=utf-8').send(value);
  }
  if (c.extension !== 'pom') countDownload(ctx, req, pkg.id, file.version);
  reply.header('etag', `"${file.sha1}"`);
  return sendBlob(ctx, req, reply, file.blob_sha512, c.filename, c.extension === 'pom' ? 'application/xml' : 'application/octet-stream');
}

/** Regenerated metadata, or its checksum: never cached without asking again, as it changes with every deploy. */
function sendMetadata(reply: FastifyReply, xml: string, checksum: ChecksumAlg | null) {
  const bytes = Buffer.from(xml);
  reply.header('cache-control', 'no-cache');
  if (checksum) return reply.type('text/plain; charset=utf-8').send(createHash(checksum).update(bytes).digest('hex'));
  return reply.type('application/xml').send(bytes);
}

/**
 * The plugins of a group the caller may read. None: 404 as for any missing file, or, to an anonymous caller when
 * private plugins are there, the challenge Maven needs before it asks again with credentials.
 */
function serveGroupMetadata(
  ctx: FormatContext,
  req: FastifyRequest,
  reply: FastifyReply,
  group: string,
  checksum: ChecksumAlg | null,
  missing: () => Error,
) {
  const who = ctx.guards.optional(req);
  const { plugins, hidden } = groupPlugins(ctx, group, who);
  if (plugins.length === 0) {
    if (hidden && !who) throw challenge(`the plugins of ${group} are private: authenticate with your username and an API token`, REALM);
    throw missing();
  }
  return sendMetadata(reply, groupMetadata(plugins), checksum);
}
