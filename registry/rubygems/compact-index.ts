// The compact index Bundler 2.3 and gem 3.3 read (multiformat-protocols.md 3.2): /versions is append-only (one
// line per push or yank, from gem_versions_log), /info/NAME lists the live versions with runtime dependencies
// and the sha256 of the exact .gem bytes served, /names is sorted. Served byte-exact with ETag "<md5 hex>"
// (any other ETag makes bundler silently fall back to the slow legacy index), Range bytes=N- and 304.

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../lib/db.ts';
import { holdsEtag } from '../../lib/etag.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import { type GemSpec, liveGems } from './gem-spec.ts';

export const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

const reqText = (pairs: [string, string][]) => pairs.map(([op, v]) => `${op} ${v}`).join('&');
const isDefault = (pairs: [string, string][]) => pairs.length === 0 || (pairs.length === 1 && pairs[0][0] === '>=' && pairs[0][1] === '0');

/** One /info line: VERSION[-PLATFORM] DEP:REQ&REQ,DEP2:REQ|checksum:SHA256,ruby:REQ,rubygems:REQ */
export function infoLine(spec: GemSpec, sha256: string): string {
  const v = spec.platform === 'ruby' ? spec.version : `${spec.version}-${spec.platform}`;
  const deps = spec.dependencies
    .filter((d) => d.type === 'runtime')
    .map((d) => `${d.name}:${reqText(d.requirements)}`)
    .join(',');
  const extra = [`checksum:${sha256}`];
  if (!isDefault(spec.requiredRubyVersion)) extra.push(`ruby:${reqText(spec.requiredRubyVersion)}`);
  if (!isDefault(spec.requiredRubygemsVersion)) extra.push(`rubygems:${reqText(spec.requiredRubygemsVersion)}`);
  return `${v} ${deps}|${extra.join(',')}`;
}

/** The /info/NAME body for the gem's live (not yanked) files, in push order. */
export function infoBody(files: FileRow[]): string {
  const lines = liveGems(files).map(({ row, spec }) => infoLine(spec, row.sha256));
  return `---\n${lines.map((l) => `${l}\n`).join('')}`;
}

export function createVersionsLog(db: Db) {
  const s = {
    append: db.prepare('INSERT INTO gem_versions_log (line, created_at) VALUES (?, ?)'),
    all: db.prepare('SELECT line, created_at FROM gem_versions_log ORDER BY seq'),
  };
  return {
    /** Call inside the push/yank transaction: "NAME VERSION[-PLATFORM] INFO_MD5" or "NAME -VERSION INFO_MD5". */
    append: (line: string, at: string) => s.append.run(line, at),
    /** The /versions body, keeping only the lines of gems the caller may see (append-only for a given caller). */
    body(visible: (name: string) => boolean): string {
      const rows = s.all.all() as { line: string; created_at: string }[];
      const created = rows[0]?.created_at.replace(/\.\d{3}Z$/, 'Z') ?? '1970-01-01T00:00:00Z';
      const lines = rows.filter((r) => visible(r.line.slice(0, r.line.indexOf(' ')))).map((r) => `${r.line}\n`);
      return `created_at: ${created}\n---\n${lines.join('')}`;
    },
  };
}

/** Sends a compact-index file with the exact ETag, Range and conditional rules bundler's updater relies on. */
export function sendIndexFile(req: FastifyRequest, reply: FastifyReply, text: string) {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${md5(body)}"`;
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    // Not `public`: /versions, /names and a private gem's /info differ by caller, so no shared cache may keep an
    // authenticated answer (RFC 9111 section 3.5), nor give one caller's answer to another.
    .header('cache-control', 'max-age=60')
    .header('vary', 'Authorization')
    .header('repr-digest', `sha-256=:${createHash('sha256').update(body).digest('base64')}:`)
    .type('text/plain; charset=utf-8');
  if (holdsEtag(req.headers['if-none-match'], etag)) return reply.code(304).send();
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  if (range) {
    const start = Number(range[1]);
    if (start >= body.length) return reply.code(416).header('content-range', `bytes */${body.length}`).send();
    return reply
      .code(206)
      .header('content-range', `bytes ${start}-${body.length - 1}/${body.length}`)
      .send(body.subarray(start));
  }
  return reply.send(body);
}
