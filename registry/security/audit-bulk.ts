// npm audit on the wire: POST /-/npm/v1/security/advisories/bulk (npm 7+, Arborist audit-report.js) and the
// /-/npm/v1/security/audits/quick fallback, answered from the OSV store. Response shape as
// @npmcli/metavuln-calculator lib/advisory.js reads it: integer id, severity label, vulnerable_versions.
import zlib from 'node:zlib';
import semver from 'semver';
import { AppError, badRequest } from '../../lib/errors.ts';
import { dedupeAliases, isAffected, npmRange } from './advisories.ts';
import type { StoredAdvisory } from './advisories-repo.ts';
import type { Severity } from './cvss.ts';

export interface AdvisoryStore {
  forPackage(ecosystem: 'npm', name: string): StoredAdvisory[];
}

export interface BulkAdvisory {
  id: number;
  url: string;
  title: string;
  severity: Severity;
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}
export type BulkResponse = Record<string, BulkAdvisory[]>;

export const BULK_LIMITS = { maxBodyBytes: 16 * 1024 * 1024, maxNames: 20_000 };

const tooLarge = (what: string) => new AppError(413, 'AUDIT_BODY_TOO_LARGE', `audit request is too large: ${what}`);

/** Gunzips (npm sends gzip) within the 16 MB bound and parses JSON; 400 on bad JSON, 413 on size. */
export function decodeAuditBody(raw: Buffer, contentEncoding?: string): unknown {
  let body = raw;
  if (contentEncoding === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) {
    try {
      body = zlib.gunzipSync(raw, { maxOutputLength: BULK_LIMITS.maxBodyBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('more than 16 MB after gunzip');
      throw badRequest('audit request body is not valid gzip', undefined, 'INVALID_AUDIT_BODY');
    }
  }
  if (body.length > BULK_LIMITS.maxBodyBytes) throw tooLarge('more than 16 MB');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('audit request body is not valid JSON', undefined, 'INVALID_JSON');
  }
}

/** Validates {name: [versions]} and answers with the advisories that hit at least one listed version. */
export function auditBulk(request: unknown, store: AdvisoryStore): BulkResponse {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw badRequest('audit request must be an object of package name -> array of versions', undefined, 'INVALID_AUDIT_BODY');
  }
  const entries = Object.entries(request as Record<string, unknown>);
  if (entries.length > BULK_LIMITS.maxNames) throw tooLarge(`more than ${BULK_LIMITS.maxNames} package names`);
  const out: BulkResponse = {};
  for (const [name, versions] of entries) {
    if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) {
      throw badRequest(`audit request: "${name}" must map to an array of version strings`, undefined, 'INVALID_AUDIT_BODY');
    }
    const hits = store
      .forPackage('npm', name)
      .filter((a) => (versions as string[]).some((v) => isAffected('npm', a.affected, v)))
      .map((a) => ({ a, range: npmRange(a.affected, 'npm') }))
      .filter((h) => h.range !== '');
    if (hits.length === 0) continue;
    const rangeOf = new Map(hits.map((h) => [h.a.num, h.range]));
    out[name] = dedupeAliases(hits.map((h) => h.a)).map((a) => ({
      id: a.num,
      url: a.url,
      title: a.title,
      severity: a.severity,
      vulnerable_versions: rangeOf.get(a.num)!,
      cwe: a.cwe,
      cvss: a.cvss,
    }));
  }
  return out;
}

interface QuickNode {
  version?: string;
  dependencies?: Record<string, QuickNode>;
}

/** npm's fallback: flatten the lockfile-v1-style tree to name -> versions and answer as audits/quick. */
export function auditQuick(request: unknown, store: AdvisoryStore) {
  const body = (request ?? {}) as { dependencies?: Record<string, QuickNode> };
  const wanted: Record<string, string[]> = {};
  const walk = (deps: Record<string, QuickNode> | undefined, depth: number) => {
    if (!deps || depth > 64) return;
    for (const [name, node] of Object.entries(deps)) {
      if (typeof node?.version === 'string' && semver.valid(node.version)) {
        wanted[name] ??= [];
        if (!wanted[name].includes(node.version)) wanted[name].push(node.version);
      }
      walk(node?.dependencies, depth + 1);
    }
  };
  walk(body.dependencies, 0);
  const bulk = auditBulk(wanted, store);
  const advisories: Record<string, BulkAdvisory & { module_name: string; findings: { version: string; paths: string[] }[] }> = {};
  for (const [name, list] of Object.entries(bulk)) {
    for (const a of list) {
      const hit = wanted[name].filter((v) => semver.satisfies(v, a.vulnerable_versions, { includePrerelease: true, loose: true }));
      advisories[String(a.id)] = { ...a, module_name: name, findings: hit.map((version) => ({ version, paths: [name] })) };
    }
  }
  const counts: Record<Severity, number> = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 };
  for (const a of Object.values(advisories)) counts[a.severity]++;
  return { actions: [], advisories, muted: [], metadata: { vulnerabilities: counts, dependencies: Object.keys(wanted).length } };
}
