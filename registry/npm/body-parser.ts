// The JSON body parser of the npm routes. Fastify's default rejects gzip bodies (npm audit sends one, trap 4)
// and empty JSON bodies (some clients send them on DELETE, trap 7); this one accepts both. Keys named
// __proto__ are still refused (trap 8), like Fastify's own protection against prototype poisoning.
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { badRequest, bodyTooLarge } from '../../lib/errors.ts';

// A gzip body inflates to at most this many times its size (past a floor). These routes parse before they check
// credentials (npm audit and adduser are anonymous), and without a ratio an anonymous 97 kB gzip of one long JSON
// string made the registry inflate and parse 95 MB (+450 MB of memory) to answer 401. JSON from npm compresses
// about 10 to 1; an npm publish body (base64 of a gzip) hardly at all.
const MAX_GZIP_RATIO = 100;
const GZIP_FLOOR_BYTES = 4 * 1024 * 1024;

export function parseNpmJson(raw: Buffer, encoding: string | undefined, maxBytes: number): unknown {
  let bytes = raw;
  if (encoding && /\bgzip\b/i.test(encoding)) {
    const cap = Math.min(maxBytes, Math.max(GZIP_FLOOR_BYTES, raw.length * MAX_GZIP_RATIO));
    try {
      bytes = gunzipSync(raw, { maxOutputLength: cap });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw bodyTooLarge(cap);
      throw badRequest('request body is not valid gzip', undefined, 'INVALID_GZIP');
    }
  }
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '') return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'), (key, value) => {
      if (key === '__proto__') throw new SyntaxError('__proto__ key');
      return value;
    });
  } catch {
    throw badRequest('request body is not valid JSON', undefined, 'INVALID_JSON');
  }
}

export function installNpmBodyParser(app: FastifyInstance, maxBytes: number) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parseNpmJson(body as Buffer, req.headers['content-encoding'] as string | undefined, maxBytes));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
