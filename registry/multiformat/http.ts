// HTTP glue shared by the PyPI, Maven and RubyGems routes: the error handler each client can read (twine and
// Maven print the reason phrase, gem prints the body text), the Basic challenge, and
// serving an artifact as a download (reliability-security.md rule 13).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden, toErrorResponse } from '../../lib/errors.ts';
import { holdsEtag } from '../../lib/etag.ts';
import { type FormatContext, setReason } from './context.ts';
import type { FileRow } from './files-repo.ts';

/** 401 with the challenge Maven needs before it retries a GET with credentials (multiformat-protocols.md 2.2). */
export const challenge = (message: string, realm = 'registry') =>
  new AppError(401, 'UNAUTHORIZED', message, undefined, { 'www-authenticate': `Basic realm="${realm}"` });

const LARGE = new Set(['FST_REQ_FILE_TOO_LARGE', 'FST_ERR_CTP_BODY_TOO_LARGE']);
/** Too many files or parts in a multipart form: a malformed upload, not a large one (twine would say "File too large"). */
const CROWDED = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);

/**
 * Errors of this context: the sentence in the reason phrase and in the body. style "json" keeps the suite's error
 * body (twine --verbose and Maven show it); "text" sends the sentence alone (gem push prints the body verbatim).
 */
export function installFormatErrors(app: FastifyInstance, style: 'json' | 'text', maxUploadBytes: number) {
  app.setErrorHandler((err, req, reply) => {
    let { status, body, headers } = toErrorResponse(err);
    if (LARGE.has((err as { code?: string }).code ?? '')) {
      status = 413;
      body = { error: `File too large. Limit is ${Math.floor(maxUploadBytes / 1024 / 1024)} MB.`, code: 'FILE_TOO_LARGE' };
    } else if (CROWDED.has((err as { code?: string }).code ?? '')) {
      status = 400;
      body = { error: 'Too many parts in the upload form: send one distribution and its metadata fields.', code: 'TOO_MANY_PARTS' };
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, status }, 'request refused');
    if (headers) reply.headers(headers);
    setReason(reply, status >= 500 ? 'Internal Server Error' : body.error);
    if (style === 'text') reply.status(status).type('text/plain; charset=utf-8').send(`${body.error}\n`);
    else reply.status(status).type('application/json').send(body);
  });
}

/** 403 for a file of a quarantined version, as npm answers for its tarball (the name is already known to the caller). */
export function assertNotQuarantined(ctx: FormatContext, file: FileRow): void {
  if (ctx.files.isQuarantined(file))
    throw forbidden(`version ${file.version} is quarantined by the registry's security review`, 'VERSION_QUARANTINED');
}

/**
 * Counts a download (GET only, not HEAD) for the package and the version's total: added up in memory and written
 * with the others once a second.
 */
export function countDownload(ctx: FormatContext, req: FastifyRequest, packageId: number, version: string): void {
  if (req.method !== 'GET') return;
  ctx.downloads.count(packageId, version);
}

export async function sendBlob(
  ctx: FormatContext,
  req: FastifyRequest,
  reply: FastifyReply,
  blob: string,
  filename: string,
  contentType = 'application/octet-stream',
) {
  // A file's ETag (set by the route: its digest) names bytes that never change: a client or proxy revalidating
  // with it gets a 304 without a read, as for npm tarballs (RFC 9110 section 13.1.2).
  const etag = reply.getHeader('etag');
  if (typeof etag === 'string' && holdsEtag(req.headers['if-none-match'], etag)) return reply.status(304).send();
  const bytes = await ctx.blobs.get(blob);
  if (!bytes) {
    req.log.error({ blob, filename }, 'blob missing for a stored file');
    throw new AppError(500, 'BLOB_MISSING', 'the file is unavailable');
  }
  return reply
    .type(contentType)
    .header('content-length', bytes.length)
    .header('content-disposition', `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"`)
    .header('content-security-policy', 'sandbox')
    .send(bytes);
}
