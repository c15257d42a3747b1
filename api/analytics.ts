// Analytics rules: which resource an event counts for, the daily (UTC) rollup, who may read a resource's
// counts, and npm's download-count period grammar (reference: marketplace-billing-webhooks.md section 5).

import type { Principal } from '../lib/auth.ts';
import { badRequest, notFound } from '../lib/errors.ts';
import type { OutboxEvent } from '../lib/outbox.ts';
import type { AnalyticsRepo } from './analytics-repo.ts';

export const ENTITY_TYPES = ['package', 'deployment', 'service', 'user'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
/** npm keeps 18 months queryable; so do we. */
export const MAX_RANGE_DAYS = 548;
/** npm's bulk queries: at most 128 packages and 365 days (reference section 5.1). */
export const MAX_BULK_PACKAGES = 128;
export const MAX_BULK_DAYS = 365;
const NAMED_PERIODS = new Map([
  ['last-day', 1],
  ['last-week', 7],
  ['last-month', 30],
  ['last-year', 365],
]);

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The resource an event is about: its subject "package:<name>", or a package.* event's data.name. */
export function entityOf(e: Pick<OutboxEvent, 'type' | 'subject' | 'data'>): { type: EntityType; id: string } | undefined {
  if (e.subject) {
    const i = e.subject.indexOf(':');
    const kind = e.subject.slice(0, i);
    const id = e.subject.slice(i + 1);
    if (i > 0 && id && (ENTITY_TYPES as readonly string[]).includes(kind)) return { type: kind as EntityType, id };
  }
  if (e.type.startsWith('package.') && typeof e.data.name === 'string' && e.data.name) return { type: 'package', id: e.data.name };
  return undefined;
}

/** true or false when the event says whether its package is private (data.private, data.access), else null. */
function statedPrivacy(data: Record<string, unknown>): boolean | null {
  if (data.private === true || data.access === 'restricted') return true;
  if (data.private === false || data.access === 'public') return false;
  return null;
}

/**
 * Count one stored event into the daily rollups (call inside the ingest transaction). The seed reports
 * "downloaded" for a package's package.downloaded, so the resource's own prefix is dropped from the type.
 * package.downloaded may carry {count, day} so a producer can relay aggregated download counts.
 */
export function recordEvent(repo: AnalyticsRepo, e: OutboxEvent, receivedAt: string): void {
  const entity = entityOf(e);
  let day = utcDay(Date.parse(e.occurredAt));
  let count = 1;
  if (e.type === 'package.downloaded') {
    if (typeof e.data.day === 'string' && DAY_RE.test(e.data.day) && !Number.isNaN(Date.parse(e.data.day))) day = e.data.day;
    if (Number.isInteger(e.data.count) && (e.data.count as number) > 0) count = e.data.count as number;
  }
  if (entity) {
    const short = e.type.startsWith(`${entity.type}.`) ? e.type.slice(entity.type.length + 1) : e.type;
    repo.bump(day, entity.type, entity.id, short, count);
    if (typeof e.data.packageId === 'string' && e.data.packageId && e.data.packageId !== entity.id) {
      repo.upsertAlias(entity.type, e.data.packageId, entity.id);
    }
    // A download is not a statement about ownership; other events name the owner of the resource. Any event may
    // state the access (the registry's downloads do, from the package row), and only such a statement changes it.
    repo.upsertEntity(
      entity.type,
      entity.id,
      e.type === 'package.downloaded' ? null : (e.ownerId ?? null),
      statedPrivacy(e.data),
      receivedAt,
    );
  }
  if (e.ownerId && e.type !== 'package.downloaded') repo.bump(day, 'user', e.ownerId, e.type, 1);
}

const notFoundFor = (type: string, id: string) => notFound(`no ${type} "${id}" with analytics you can see`, 'RESOURCE_NOT_FOUND');

/** 404 (never 403) for a resource the caller may not see, so its existence does not leak. */
export function assertCanSee(repo: AnalyticsRepo, p: Principal, type: EntityType, id: string): void {
  if (type === 'user') {
    if (id !== p.userId && p.role !== 'admin') throw notFoundFor(type, id);
    return;
  }
  const e = repo.entity(type, id);
  if (!e || (e.owner_id !== p.userId && p.role !== 'admin')) throw notFoundFor(type, id);
}

export function queryAnalytics(repo: AnalyticsRepo, p: Principal, type: EntityType, asked: string, days: number, nowMs: number) {
  const id = repo.resolve(type, asked);
  assertCanSee(repo, p, type, id);
  const to = utcDay(nowMs);
  const from = utcDay(nowMs - (days - 1) * DAY_MS);
  const rows = repo.daily(type, id, from, to);
  return {
    period: `${days} day${days === 1 ? '' : 's'}`,
    start: from,
    end: to,
    analytics: rows.map((r) => ({ date: r.day, event_type: r.event_type, count: r.count })),
  };
}

/**
 * npm's period grammar: last-day, last-week, last-month, last-year, YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD,
 * inclusive. Our rollups are live, so the last available day is today (UTC), not yesterday as on npm.
 */
export function parsePeriod(period: string, nowMs: number): { start: string; end: string } {
  const today = utcDay(nowMs);
  const back = (n: number) => ({ start: utcDay(nowMs - (n - 1) * DAY_MS), end: today });
  // A Map, not an object literal: "constructor" or "__proto__" must be an invalid period, not an inherited value.
  const named = NAMED_PERIODS.get(period);
  if (named) return back(named);
  const [a, b = a, ...rest] = period.split(':');
  const valid = (d: string) => DAY_RE.test(d) && utcDay(Date.parse(`${d}T00:00:00Z`)) === d;
  if (rest.length || !valid(a) || !valid(b)) {
    throw badRequest(
      `invalid period "${period}": use last-day, last-week, last-month, last-year, YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD`,
      undefined,
      'INVALID_PERIOD',
    );
  }
  if (b < a) throw badRequest(`invalid period "${period}": the end is before the start`, undefined, 'INVALID_PERIOD');
  const span = (Date.parse(b) - Date.parse(a)) / DAY_MS + 1;
  if (span > MAX_RANGE_DAYS) throw badRequest(`period "${period}" is longer than ${MAX_RANGE_DAYS} days`, undefined, 'PERIOD_TOO_LONG');
  return { start: a, end: b };
}

/** The ecosystems whose downloads the registry relays (registry/npm/downloads.ts). */
export const DOWNLOAD_ECOSYSTEMS = ['npm', 'pypi', 'maven', 'rubygems'] as const;
export type DownloadEcosystem = (typeof DOWNLOAD_ECOSYSTEMS)[number];

/**
 * The analytics resource of a package: an npm package by its name, any other by "<ecosystem>:<name>", as the
 * registry's events name them (so PyPI "requests" never reads the counts of an npm "requests").
 */
export const packageEntityId = (ecosystem: DownloadEcosystem, name: string) => (ecosystem === 'npm' ? name : `${ecosystem}:${name}`);

/** Whether the caller may read a package's download counts: public like npm's, except a private package (its owner only). */
export function downloadsVisible(repo: AnalyticsRepo, p: Principal | undefined, entityId: string): boolean {
  const e = repo.entity('package', entityId);
  return !!e && (e.private !== 1 || e.owner_id === p?.userId || p?.role === 'admin');
}

export function assertDownloadsVisible(repo: AnalyticsRepo, p: Principal | undefined, entityId: string, name = entityId): void {
  if (!downloadsVisible(repo, p, entityId)) throw notFound(`package ${name} not found`, 'PACKAGE_NOT_FOUND');
}

export function downloadsRange(repo: AnalyticsRepo, entityId: string, start: string, end: string, name = entityId) {
  const byDay = new Map(repo.dailyOfType('package', entityId, 'downloaded', start, end).map((r) => [r.day, r.count]));
  const downloads: { day: string; downloads: number }[] = [];
  // Zero-filled, like npm, so a chart has a point for every day.
  for (let t = Date.parse(start); t <= Date.parse(end); t += DAY_MS) {
    const day = utcDay(t);
    downloads.push({ day, downloads: byDay.get(day) ?? 0 });
  }
  return { downloads, start, end, package: name };
}
