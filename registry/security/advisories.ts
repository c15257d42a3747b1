// OSV advisories: validation, severity, the interval algorithm per ecosystem, npm range rendering, and the
// all-or-nothing import of OSV JSON / NDJSON / zip dumps. Schema: ossf/osv-schema docs/schema.md;
// evaluation: the schema's normative pseudocode, implemented as interval construction (reference 2.1, 2.4).
import { z } from 'zod';
import { type Db, perConnection } from '../../lib/db.ts';
import { badRequest } from '../../lib/errors.ts';
import { createAdvisoriesRepo, type StoredAdvisory } from './advisories-repo.ts';
import { readZip } from './archive-reader.ts';
import { cvss3BaseScore, type Severity, severityFromScore } from './cvss.ts';
import { type Comparator, coerceSemver, comparatorFor, type Ecosystem, normaliseEcosystem, normalisePackageName } from './versions.ts';

const Event = z.union([
  z.strictObject({ introduced: z.string().min(1) }),
  z.strictObject({ fixed: z.string().min(1) }),
  z.strictObject({ last_affected: z.string().min(1) }),
  z.strictObject({ limit: z.string().min(1) }),
]);
const Range = z
  .object({ type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']), events: z.array(Event).min(1) })
  .refine((r) => r.events.some((e) => 'introduced' in e), 'every range needs an "introduced" event')
  .refine(
    (r) => !(r.events.some((e) => 'fixed' in e) && r.events.some((e) => 'last_affected' in e)),
    'a range uses fixed or last_affected, not both',
  );
const Severities = z.array(z.object({ type: z.string(), score: z.string() })).optional();
const Affected = z.object({
  package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1) }),
  ranges: z.array(Range).optional(),
  versions: z.array(z.string()).optional(),
  severity: Severities,
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
});
export const OsvRecordSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'id must be an OSV identifier'),
  modified: z.iso.datetime({ offset: true }),
  published: z.iso.datetime({ offset: true }).optional(),
  withdrawn: z.iso.datetime({ offset: true }).optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: Severities,
  affected: z.array(Affected).optional(),
  references: z.array(z.object({ type: z.string(), url: z.string() })).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});
export type OsvRecord = z.infer<typeof OsvRecordSchema>;
export type OsvAffected = z.infer<typeof Affected>;
type OsvRange = z.infer<typeof Range>;

export interface AdvisorySummary {
  severity: Severity;
  severityUnknown: boolean;
  cvss: { score: number; vectorString: string | null };
  cwe: string[];
  isMalware: boolean;
  url: string;
  title: string;
}

/** Severity precedence of reference 2.4: GHSA label, CVSS v3 vector, ecosystem_specific, else moderate. */
export function summarise(rec: OsvRecord): AdvisorySummary {
  const ds = rec.database_specific ?? {};
  const cwe = Array.isArray(ds.cwe_ids) ? ds.cwe_ids.filter((c): c is string => typeof c === 'string') : [];
  const vectors = [...(rec.severity ?? []), ...(rec.affected ?? []).flatMap((a) => a.severity ?? [])];
  const v3 = vectors.find((s) => s.type === 'CVSS_V3' && cvss3BaseScore(s.score) !== undefined);
  const score = v3 ? cvss3BaseScore(v3.score)! : 0;
  const cvss = { score, vectorString: v3?.score ?? null };
  const isMalware = rec.id.startsWith('MAL-');
  const ref = rec.references?.find((r) => r.type === 'ADVISORY') ?? rec.references?.[0];
  const url = rec.id.startsWith('GHSA-')
    ? `https://github.com/advisories/${rec.id}`
    : (ref?.url ?? `https://osv.dev/vulnerability/${rec.id}`);
  const title = rec.summary ?? rec.details?.split('\n')[0]?.slice(0, 200) ?? rec.id;
  const base = { cvss, cwe, isMalware, url, title };
  if (isMalware) return { ...base, severity: 'critical', severityUnknown: false };
  const label = typeof ds.severity === 'string' ? ds.severity.toLowerCase() : undefined;
  if (label === 'low' || label === 'moderate' || label === 'high' || label === 'critical')
    return { ...base, severity: label, severityUnknown: false };
  if (label === 'medium') return { ...base, severity: 'moderate', severityUnknown: false };
  if (v3) return { ...base, severity: severityFromScore(score), severityUnknown: false };
  const eco = (rec.affected ?? []).map((a) => a.ecosystem_specific?.severity).find((s) => typeof s === 'string') as string | undefined;
  const ecoLabel = eco?.toLowerCase() === 'medium' ? 'moderate' : eco?.toLowerCase();
  if (ecoLabel === 'low' || ecoLabel === 'moderate' || ecoLabel === 'high' || ecoLabel === 'critical') {
    return { ...base, severity: ecoLabel, severityUnknown: false };
  }
  return { ...base, severity: 'moderate', severityUnknown: true };
}

/** An affected interval; lower undefined = "0" (before every version), upper undefined = unbounded. */
export interface Interval {
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
}

const semverComparator: Comparator = comparatorFor('npm');

/** Interval construction: sort events, open at introduced, close at fixed (excl.) / last_affected (incl.). */
export function rangeIntervals(range: OsvRange, ecosystem: Ecosystem): Interval[] {
  if (range.type === 'GIT') return [];
  const c = range.type === 'SEMVER' ? semverComparator : comparatorFor(ecosystem);
  const key = (e: z.infer<typeof Event>) => Object.values(e)[0] as string;
  const events = range.events.filter((e) => !('limit' in e) && (key(e) === '0' || c.valid(key(e))));
  const rank = (e: z.infer<typeof Event>) => ('introduced' in e ? 0 : 1);
  events.sort((a, b) => (key(a) === '0' ? -1 : key(b) === '0' ? 1 : c.cmp(key(a), key(b)) || rank(a) - rank(b)));
  const out: Interval[] = [];
  let open: Interval | undefined;
  for (const e of events) {
    if ('introduced' in e) {
      if (!open) open = e.introduced === '0' ? {} : { introduced: e.introduced };
    } else if (open && 'fixed' in e) {
      out.push({ ...open, fixed: e.fixed });
      open = undefined;
    } else if (open && 'last_affected' in e) {
      out.push({ ...open, lastAffected: e.last_affected });
      open = undefined;
    }
  }
  if (open) out.push(open);
  return out;
}

function inInterval(c: Comparator, v: string, i: Interval): boolean {
  if (i.introduced && c.cmp(v, i.introduced) < 0) return false;
  if (i.fixed && c.cmp(v, i.fixed) >= 0) return false;
  if (i.lastAffected && c.cmp(v, i.lastAffected) > 0) return false;
  return true;
}

/** OSV evaluation: in versions[] or inside some range interval (and before any "limit"). */
export function isAffected(ecosystem: Ecosystem, affected: OsvAffected, version: string): boolean {
  const eco = comparatorFor(ecosystem);
  if (affected.versions?.some((x) => x === version || (eco.valid(x) && eco.valid(version) && eco.cmp(x, version) === 0))) return true;
  for (const range of affected.ranges ?? []) {
    const c = range.type === 'SEMVER' ? semverComparator : eco;
    if (!c.valid(version)) continue;
    const limits = range.events.flatMap((e) => ('limit' in e && e.limit !== '*' && c.valid(e.limit) ? [e.limit] : []));
    if (limits.length > 0 && !limits.some((l) => c.cmp(version, l) < 0)) continue;
    if (rangeIntervals(range, ecosystem).some((i) => inInterval(c, version, i))) return true;
  }
  return false;
}

/** Renders the affected set as an npm range (reference 2.4 table); explicit versions are OR-ed in. */
export function npmRange(affected: OsvAffected, ecosystem: Ecosystem): string {
  const parts: string[] = [];
  const v = (s: string) => (ecosystem === 'npm' ? (coerceSemver(s) ?? s) : s);
  for (const range of affected.ranges ?? []) {
    for (const i of rangeIntervals(range, ecosystem)) {
      const lower = i.introduced ? `>=${v(i.introduced)}` : '';
      const upper = i.fixed ? `<${v(i.fixed)}` : i.lastAffected ? `<=${v(i.lastAffected)}` : '';
      parts.push([lower, upper].filter(Boolean).join(' ') || '*');
    }
  }
  if (parts.includes('*')) return '*';
  for (const x of affected.versions ?? []) if (!parts.includes(v(x))) parts.push(v(x));
  return parts.join(' || ');
}

export interface ImportResult {
  imported: number;
  unchanged: number;
  skipped: { entry: string; reason: string }[];
  /** Packages whose advisories changed: the caller re-evaluates their versions and notifies owners. */
  touched: { ecosystem: Ecosystem; name: string }[];
}

/** Whether `input` starts as a zip archive does (a local file header), as OSV's all.zip dumps. */
export const isZipArchive = (input: Buffer) => input.length > 4 && input.readUInt32LE(0) === 0x04034b50;

/** Splits an upload into named JSON candidates: a zip dump, a JSON object or array, or NDJSON. */
function candidates(input: Buffer): { entry: string; text: string }[] {
  if (isZipArchive(input)) {
    // OSV dumps hold one <ID>.json per advisory; 5 MB per entry and 200k entries (reference 2.4 step 2).
    const limits = { maxEntries: 200_000, maxEntryBytes: 5 * 1024 * 1024, maxTotalBytes: 2 * 1024 ** 3, maxRatio: 100 };
    return readZip(input, { ...limits, ratioFloorBytes: 4 * 1024 * 1024, maxPathDepth: 16, maxPathLength: 1024 })
      .filter((e) => e.path.endsWith('.json'))
      .map((e) => ({ entry: e.path, text: e.data.toString('utf8') }));
  }
  // JSON and NDJSON never hold a NUL byte: binary (a damaged archive, a gzip) would otherwise be split into
  // "lines" and skipped one by one, a screenful of "not valid JSON" that hides the one thing wrong.
  if (input.includes(0))
    throw badRequest('the upload is not OSV JSON, NDJSON or a zip archive: it holds binary data', undefined, 'ADVISORIES_NOT_JSON');
  const text = input.toString('utf8').trim();
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    // Not one JSON document: NDJSON (one OSV record per line, the delta format) when it has several lines.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1) return lines.map((l, i) => ({ entry: `line ${i + 1}`, text: l }));
    return [{ entry: '#0', text }];
  }
  if (Array.isArray(whole)) return whole.map((x, i) => ({ entry: `#${i}`, text: JSON.stringify(x) }));
  return [{ entry: '#0', text }];
}

function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
}

/** Validates every entry first, then writes all valid ones in one IMMEDIATE transaction (all or nothing). */
export function importOsv(
  db: Db,
  input: Buffer,
  now: () => Date = () => new Date(),
  /** Runs inside the import transaction (e.g. outbox events for owners of affected packages). */
  onTouched?: (touched: ImportResult['touched']) => void,
): ImportResult {
  const valid: { entry: string; rec: OsvRecord }[] = [];
  const skipped: ImportResult['skipped'] = [];
  for (const c of candidates(input)) {
    let json: unknown;
    try {
      json = JSON.parse(c.text);
    } catch {
      skipped.push({ entry: c.entry, reason: 'not valid JSON' });
      continue;
    }
    const id = typeof (json as { id?: unknown })?.id === 'string' ? (json as { id: string }).id : undefined;
    const parsed = OsvRecordSchema.safeParse(json);
    if (!parsed.success) skipped.push({ entry: id ? `${c.entry} (${id})` : c.entry, reason: describe(parsed.error) });
    else valid.push({ entry: c.entry, rec: parsed.data });
  }
  const repo = createAdvisoriesRepo(db);
  const touched = new Map<string, { ecosystem: Ecosystem; name: string }>();
  let imported = 0;
  let unchanged = 0;
  db.transaction(() => {
    for (const { rec } of valid) {
      const existing = repo.modifiedOf(rec.id);
      if (existing && existing >= rec.modified) {
        unchanged++;
        continue;
      }
      const affected = (rec.affected ?? []).flatMap((a) => {
        const ecosystem = normaliseEcosystem(a.package.ecosystem);
        return ecosystem ? [{ ecosystem, name: normalisePackageName(ecosystem, a.package.name), affected: a }] : [];
      });
      repo.upsert(rec, summarise(rec), affected, now().toISOString());
      for (const a of affected) touched.set(`${a.ecosystem}\0${a.name}`, { ecosystem: a.ecosystem, name: a.name });
      imported++;
    }
    onTouched?.([...touched.values()]);
  }).immediate();
  return { imported, unchanged, skipped, touched: [...touched.values()] };
}

export interface AdvisoryHit {
  advisory: StoredAdvisory;
  /** The npm-style range string for this package. */
  range: string;
}

// One repo (its prepared statements) per database: every publish's rescore asks, and preparing costs more than asking.
const advisoriesRepoOf = perConnection(createAdvisoriesRepo);

/**
 * One advisory per vulnerability: records of the same group (same id, or a shared alias such as the CVE that a
 * GHSA and a PYSEC record both name) count once, the reviewed GHSA record kept (reference 2.4 step 5), else the
 * first imported. Input order is kept. Every list a user sees goes through it: npm audit, reports, score caps.
 */
export function dedupeAliases<T extends { id: string; aliases: string[]; num: number }>(hits: T[]): T[] {
  const kept: T[] = [];
  for (const a of [...hits].sort((x, y) => Number(y.id.startsWith('GHSA-')) - Number(x.id.startsWith('GHSA-')) || x.num - y.num)) {
    const keys = new Set([a.id, ...a.aliases]);
    if (!kept.some((k) => keys.has(k.id) || k.aliases.some((al) => keys.has(al)))) kept.push(a);
  }
  return hits.filter((a) => kept.includes(a));
}

/** The advisories (withdrawn ones excluded, aliases merged) that affect one version of one package. */
export function advisoriesFor(db: Db, ecosystem: Ecosystem, name: string, version: string): AdvisoryHit[] {
  const hits = advisoriesRepoOf(db)
    .forPackage(ecosystem, normalisePackageName(ecosystem, name))
    .filter((a) => isAffected(ecosystem, a.affected, version));
  return dedupeAliases(hits).map((a) => ({ advisory: a, range: npmRange(a.affected, ecosystem) }));
}

/**
 * What the scorer's caps read of a version's advisories (docs/SCORING.md "Caps and flags"): the high and critical
 * ones on the latest version, and malware (an advisory saying so, or an admin's quarantine). One rule for npm and
 * for PyPI, Maven and RubyGems.
 */
export function advisoriesOnLatest(db: Db, ecosystem: Ecosystem, name: string, version: string, quarantined: boolean) {
  const hits = advisoriesFor(db, ecosystem, name, version).map((h) => h.advisory);
  return {
    critical: hits.filter((a) => a.severity === 'critical' && !a.isMalware).length,
    high: hits.filter((a) => a.severity === 'high').length,
    malware: hits.some((a) => a.isMalware) || quarantined,
  };
}
