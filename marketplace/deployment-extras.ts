// The rest of a deployment's verbs: scale and autoscaling, plan change with a cost preview, credentials and
// rotation, backups and point-in-time restore (in place or to a new deployment), logs and transition history.
import type { Principal } from '../lib/auth.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { requestsServed, trafficProfile } from '../services/metrics.ts';
import { findTemplate, findTier, tierRegions } from '../services/templates/index.ts';
import { cycleOf, dollars } from './billing.ts';
import { costOf } from './deployment-usage.ts';
import { deploymentView } from './deployment-view.ts';
import type { DeploymentDeps, SimulationOptions } from './deployments.ts';
import type { DeploymentRow, OperationParams } from './deployments-repo.ts';
import type { Idempotency } from './idempotency.ts';
import { type Action, type DeploymentStatus, seededRandom } from './lifecycle.ts';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);

interface ExtrasDeps extends DeploymentDeps {
  owned(p: Principal, id: string): DeploymentRow;
  assertAllowed(dep: DeploymentRow, action: Action): void;
  insertDeployment(
    p: Principal,
    input: { serviceId: string; name: string; config: { tier: string; region: string } & Record<string, unknown> },
    sim: object,
    restoredFrom?: object,
  ): { deploymentId: string };
  idem: Idempotency;
}

export interface BackupView {
  id: string;
  kind: 'manual' | 'scheduled';
  status: 'pending' | 'completed';
  sizeBytes: number;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string;
}

export function deploymentExtras(d: ExtrasDeps) {
  const { db, repo, engine, clock } = d;
  const backupsOf = db.prepare('SELECT * FROM mkt_backups WHERE deployment_id = ? ORDER BY created_at DESC');
  const insertBackup = db.prepare(
    'INSERT INTO mkt_backups (id, deployment_id, kind, status, size_bytes, created_at, completes_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const scaled = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * d.config.SIM_TIME_SCALE));
  const tierOf = (dep: DeploymentRow) => findTier(findTemplate(dep.service_id)!, dep.tier_id)!;
  const returnTo = (dep: DeploymentRow): DeploymentStatus => (dep.status === 'degraded' ? 'running' : dep.status);
  const simOf = (dep: DeploymentRow) => (dep.simulation ? (JSON.parse(dep.simulation) as SimulationOptions) : {});
  const started = (dep: DeploymentRow, status = 202) => ({
    status,
    body: { success: true, deployment: deploymentView(repo, repo.byId(dep.id)!, clock.now()) },
  });

  function sizeBytes(dep: DeploymentRow): number {
    const t = findTemplate(dep.service_id)!;
    const served = requestsServed(
      trafficProfile(dep.id, t.category),
      Math.max(0, clock.now() - Date.parse(dep.ready_at ?? dep.created_at)),
    );
    return 50 * 1024 * 1024 + served * 200;
  }

  /** Stored manual backups plus the tier's scheduled ones (every scheduleHours since first ready, within retention). */
  function listBackups(dep: DeploymentRow): BackupView[] {
    const now = clock.now();
    const tier = tierOf(dep);
    const out: BackupView[] = (
      backupsOf.all(dep.id) as {
        id: string;
        kind: 'manual';
        size_bytes: number;
        created_at: string;
        completes_at: string;
        expires_at: string;
      }[]
    )
      .filter((b) => Date.parse(b.expires_at) > now)
      .map((b) => ({
        id: b.id,
        kind: b.kind,
        status: Date.parse(b.completes_at) <= now ? 'completed' : 'pending',
        sizeBytes: b.size_bytes,
        createdAt: b.created_at,
        completedAt: Date.parse(b.completes_at) <= now ? b.completes_at : null,
        expiresAt: b.expires_at,
      }));
    if (tier.backups.scheduleHours && dep.ready_at) {
      const every = tier.backups.scheduleHours * HOUR;
      const first = Date.parse(dep.ready_at);
      const oldest = now - tier.backups.retentionDays * 24 * HOUR;
      for (let k = Math.max(1, Math.ceil((oldest - first) / every)); first + k * every <= now; k++) {
        const at = first + k * every;
        out.push({
          id: `bkp-${dep.id.slice(7)}-s${k}`,
          kind: 'scheduled',
          status: 'completed',
          sizeBytes: sizeBytes(dep),
          createdAt: iso(at),
          completedAt: iso(at),
          expiresAt: iso(at + tier.backups.retentionDays * 24 * HOUR),
        });
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  return {
    scale(
      p: Principal,
      id: string,
      body: { instances?: number; autoscaling?: { enabled: boolean; min: number; max: number; targetCpu: number } },
    ) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          const limits = tierOf(dep).instances;
          const within = (n: number) => n >= limits.min && n <= limits.max;
          if (body.autoscaling) {
            const a = body.autoscaling;
            if (!within(a.min) || !within(a.max) || a.min > a.max)
              throw unprocessable(
                'INSTANCES_OUT_OF_RANGE',
                `autoscaling min and max must be within ${limits.min}-${limits.max} on the ${dep.tier_id} tier, with min <= max`,
                limits,
              );
            repo.setAutoscaling(id, JSON.stringify(a), iso(clock.now()));
          }
          if (body.instances !== undefined && body.instances !== dep.instances) {
            if (!within(body.instances))
              throw unprocessable(
                'INSTANCES_OUT_OF_RANGE',
                `the ${dep.tier_id} tier allows ${limits.min}-${limits.max} instances: change plan for more`,
                limits,
              );
            d.assertAllowed(dep, 'scale');
            engine.begin(dep, 'scale', { returnTo: returnTo(dep), instances: body.instances, ...simOf(dep) });
            return started(dep);
          }
          return started(dep, 200);
        })
        .immediate();
    },

    changePlan(p: Principal, id: string, tierId: string, preview: boolean) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          const t = findTemplate(dep.service_id)!;
          const tier = findTier(t, tierId);
          if (!tier)
            throw unprocessable('UNKNOWN_TIER', `${t.name} has no tier "${tierId}": choose one of ${t.tiers.map((x) => x.id).join(', ')}`, {
              allowed: t.tiers.map((x) => x.id),
            });
          if (!tierRegions(t, tier).includes(dep.region))
            throw unprocessable('PLAN_NOT_AVAILABLE_IN_REGION', `the ${tier.name} tier is not offered in ${dep.region}`, {
              allowed: tierRegions(t, tier),
            });
          if (dep.instances > tier.instances.max)
            throw unprocessable(
              'DOWNGRADE_EXCEEDS_LIMITS',
              `the deployment runs ${dep.instances} instances but ${tier.name} allows ${tier.instances.max}: scale down first`,
            );
          const now = clock.now();
          const cycle = cycleOf(now);
          const events = repo.events(dep.id);
          const before = costOf(dep, events, cycle, now);
          const synthetic = { ...events[events.length - 1], seq: -1, at: iso(now), tier_id: tierId };
          const after = costOf({ ...dep, tier_id: tierId }, [...events, synthetic], cycle, now);
          const costPreview = {
            fromPlan: dep.tier_id,
            toPlan: tierId,
            effectiveAt: iso(now),
            currentCycle: {
              before: before.projectedCents,
              after: after.projectedCents,
              deltaMinor: after.projectedCents - before.projectedCents,
              deltaCost: dollars(after.projectedCents - before.projectedCents),
            },
          };
          if (preview) return { status: 200, body: { preview: true, ...costPreview } };
          if (tierId === dep.tier_id)
            return { status: 200, body: { preview: false, ...costPreview, deployment: deploymentView(repo, dep, now) } };
          d.assertAllowed(dep, 'change_plan');
          engine.begin(dep, 'change_plan', { returnTo: returnTo(dep), tierId, fromTierId: dep.tier_id, ...simOf(dep) });
          return { status: 202, body: { preview: false, ...costPreview, deployment: deploymentView(repo, repo.byId(id)!, now) } };
        })
        .immediate();
    },

    credentials(p: Principal, id: string) {
      const dep = d.owned(p, id);
      if (dep.status === 'deleted' || dep.status === 'deleting')
        throw notFound(`deployment "${dep.name}" is deleted`, 'DEPLOYMENT_NOT_FOUND');
      const row = repo.creds(id)!;
      return {
        deploymentId: id,
        version: row.version,
        rotatedAt: row.rotated_at,
        previousValidUntil: row.previous_expires_at,
        credentials: d.cipher.decrypt(id, row.ciphertext),
      };
    },

    rotateCredentials(p: Principal, id: string, graceHours: number) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          d.assertAllowed(dep, 'rotate_credentials');
          const t = findTemplate(dep.service_id)!;
          const fresh = d.provisioner.rotate(
            { deploymentId: id, name: dep.name, tier: dep.tier_id, region: dep.region, config: JSON.parse(dep.config) },
            t,
          );
          const now = clock.now();
          repo.putCreds(id, d.cipher.encrypt(id, fresh.credentials), iso(now + graceHours * HOUR), iso(now));
          engine.emit(dep, 'deployment.credentials_rotated', { graceHours });
          const row = repo.creds(id)!;
          return {
            deploymentId: id,
            version: row.version,
            rotatedAt: row.rotated_at,
            previousValidUntil: row.previous_expires_at,
            credentials: fresh.credentials,
          };
        })
        .immediate();
    },

    createBackup(p: Principal, id: string) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          d.assertAllowed(dep, 'backup');
          const tier = tierOf(dep);
          const now = clock.now();
          const size = sizeBytes(dep);
          const bid = newId('bkp');
          const done = now + scaled(2 + size / 1024 ** 3);
          insertBackup.run(
            bid,
            id,
            'manual',
            'pending',
            size,
            iso(now),
            iso(done),
            iso(now + Math.max(1, tier.backups.retentionDays) * 24 * HOUR),
          );
          return listBackups(dep).find((b) => b.id === bid)!;
        })
        .immediate();
    },

    listBackups: (p: Principal, id: string) => {
      const backups = listBackups(d.owned(p, id));
      return { backups, total: backups.length };
    },

    restore(p: Principal, id: string, body: { backupId?: string; pointInTime?: string; mode: 'in_place' | 'new'; name?: string }) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          const now = clock.now();
          const tier = tierOf(dep);
          let source: { deploymentId: string; backupId?: string; pointInTime?: string };
          if (body.backupId) {
            const b = listBackups(dep).find((x) => x.id === body.backupId);
            if (!b) throw notFound(`no backup "${body.backupId}" for deployment "${dep.name}" (it may have expired)`, 'BACKUP_NOT_FOUND');
            if (b.status !== 'completed')
              throw new AppError(409, 'BACKUP_NOT_READY', `backup "${b.id}" is still running: restore once it completes`);
            source = { deploymentId: id, backupId: b.id };
          } else {
            const at = Date.parse(body.pointInTime!);
            const earliest = Math.max(now - tier.backups.pitrWindowHours * HOUR, Date.parse(dep.ready_at ?? iso(now)));
            if (tier.backups.pitrWindowHours === 0 || !(at >= earliest && at <= now))
              throw unprocessable(
                'POINT_IN_TIME_OUTSIDE_WINDOW',
                tier.backups.pitrWindowHours === 0
                  ? `the ${tier.name} tier has no point-in-time recovery: restore a backup or upgrade`
                  : `restore point ${body.pointInTime} is outside the recovery window ${iso(earliest)} to ${iso(now)}`,
                { earliest: tier.backups.pitrWindowHours ? iso(earliest) : null, latest: iso(now) },
              );
            source = { deploymentId: id, pointInTime: iso(at) };
          }
          if (body.mode === 'in_place') {
            d.assertAllowed(dep, 'restore');
            engine.begin(dep, 'restore_in_place', { returnTo: returnTo(dep), backupId: source.backupId, ...simOf(dep) } as OperationParams);
            return started(dep);
          }
          if (dep.status === 'deleting' || dep.status === 'deleted')
            throw notFound(`deployment "${dep.name}" is deleted`, 'DEPLOYMENT_NOT_FOUND');
          const name = body.name ?? `${dep.name.slice(0, 50)}-restore-${seededRandom(id, now)().toString(36).slice(2, 7)}`;
          const created = d.insertDeployment(
            p,
            { serviceId: dep.service_id, name, config: { tier: dep.tier_id, region: dep.region, ...JSON.parse(dep.config) } },
            {},
            source,
          );
          return { status: 202, body: { success: true, restoredFrom: source, ...created } };
        })
        .immediate();
    },

    /** Simulated logs: lifecycle lines from the history and deterministic access lines while serving. */
    logs(p: Principal, id: string, q: { tail: number; since?: string }) {
      const dep = d.owned(p, id);
      const now = clock.now();
      const since = q.since ? Date.parse(q.since) : 0;
      const lines: { at: string; level: 'info' | 'warn' | 'error'; message: string }[] = [];
      const events = repo.events(id);
      const t = findTemplate(dep.service_id)!;
      const profile = trafficProfile(id, t.category);
      events.forEach((e, i) => {
        lines.push({
          at: e.at,
          level: e.to_status === 'failed' ? 'error' : 'info',
          message: `${e.from_status ?? 'new'} -> ${e.to_status}${e.reason ? ` (${e.reason})` : ''}`,
        });
        if (e.to_status !== 'running' && e.to_status !== 'degraded') return;
        const end = i + 1 < events.length ? Date.parse(events[i + 1].at) : now;
        // One access summary per simulated minute, at most the last 200 of the segment.
        const minute = 60_000;
        for (let m = Math.max(Date.parse(e.at) + minute, end - 200 * minute); m <= end; m += minute) {
          const r = seededRandom(id, m)();
          const count = Math.round(profile.requestsPerSecond * 60 * (0.8 + r * 0.4));
          lines.push({
            at: iso(m),
            level: e.to_status === 'degraded' ? 'warn' : 'info',
            message: `served ${count} requests, avg ${profile.latencyMs}ms`,
          });
        }
      });
      const filtered = lines.filter((l) => Date.parse(l.at) > since).sort((a, b) => a.at.localeCompare(b.at));
      return { lines: filtered.slice(-q.tail), total: filtered.length };
    },

    events(p: Principal, id: string, q: { limit: number; offset: number }) {
      d.owned(p, id);
      const rows = repo.eventsPage(id, q.limit, q.offset);
      return {
        events: rows.map((e) => ({
          from: e.from_status,
          to: e.to_status,
          at: e.at,
          operationId: e.operation_id,
          reason: e.reason,
          tier: e.tier_id,
          instances: e.instances,
        })),
        total: repo.events(id).length,
      };
    },
  };
}
