// Backups (manual, and scheduled per tier) and restore: from a backup or a point in time inside the tier's
// window, in place (restoring -> running) or to a new deployment.
import type { Principal } from '../lib/auth.ts';
import { AppError, notFound, unprocessable } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { seededRandom } from '../lib/prng.ts';
import { requestsServed, trafficProfile } from '../services/metrics.ts';
import { findTemplate, type Tier } from '../services/templates/index.ts';
import { auditDeploymentAction } from './audit.ts';
import type { BackupView, ExtrasDeps } from './deployment-extras.ts';
import type { SimulationOptions } from './deployments.ts';
import type { DeploymentRow, OperationParams } from './deployments-repo.ts';
import type { DeploymentStatus } from './lifecycle.ts';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Helpers {
  scaled(seconds: number): number;
  tierOf(dep: DeploymentRow): Tier;
  returnTo(dep: DeploymentRow): DeploymentStatus;
  simOf(dep: DeploymentRow): SimulationOptions;
  started(dep: DeploymentRow, status?: number): { status: number; body: unknown };
}

export function deploymentBackups(d: ExtrasDeps, h: Helpers) {
  const { db, repo, engine, clock } = d;
  const { scaled, tierOf, returnTo, simOf, started } = h;
  const backupsOf = db.prepare('SELECT * FROM mkt_backups WHERE deployment_id = ? ORDER BY created_at DESC');
  const insertBackup = db.prepare(
    'INSERT INTO mkt_backups (id, deployment_id, kind, status, size_bytes, created_at, completes_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );

  /** The data a backup taken at `atMs` holds: a backup's size is fixed when it is taken, not when it is listed. */
  function sizeBytes(dep: DeploymentRow, atMs = clock.now()): number {
    const t = findTemplate(dep.service_id)!;
    const served = requestsServed(trafficProfile(dep.id, t.category), Math.max(0, atMs - Date.parse(dep.ready_at ?? dep.created_at)));
    return 50 * 1024 * 1024 + served * 200;
  }

  /** Stored manual backups plus the tier's scheduled ones (every scheduleHours since first ready, within retention). */
  function backupOf(dep: DeploymentRow, backupId: string): BackupView {
    const b = listBackups(dep).find((x) => x.id === backupId);
    if (!b) throw notFound(`no backup "${backupId}" for deployment "${dep.name}" (it may have expired)`, 'BACKUP_NOT_FOUND');
    return b;
  }

  /** When deletion of the deployment began (its data went away), or undefined while it exists. */
  function deletionBegan(dep: DeploymentRow): number | undefined {
    if (dep.status !== 'deleting' && dep.status !== 'deleted') return undefined;
    const began = repo.events(dep.id).findLast((e) => e.to_status === 'deleting');
    return Date.parse(began?.at ?? dep.deleted_at ?? dep.state_changed_at);
  }

  function listBackups(dep: DeploymentRow): BackupView[] {
    const now = clock.now();
    const tier = tierOf(dep);
    const gone = deletionBegan(dep);
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
      .map((b) => {
        const done = Date.parse(b.completes_at);
        // A backup still running when the deployment's deletion began had nothing left to copy: it failed.
        const status = gone !== undefined && done > gone ? 'failed' : done <= now ? 'completed' : 'pending';
        return {
          id: b.id,
          kind: b.kind,
          status,
          sizeBytes: b.size_bytes,
          createdAt: b.created_at,
          completedAt: status === 'completed' ? b.completes_at : null,
          expiresAt: b.expires_at,
        };
      });
    if (tier.backups.scheduleHours && dep.ready_at) {
      const every = tier.backups.scheduleHours * HOUR;
      const first = Date.parse(dep.ready_at);
      const oldest = now - tier.backups.retentionDays * 24 * HOUR;
      // The schedule stops when the deployment is deleted: its tombstone keeps the backups it had until they
      // expire, and gains no new ones of a database that no longer exists.
      const last = Math.min(now, gone ?? now);
      for (let k = Math.max(1, Math.ceil((oldest - first) / every)); first + k * every <= last; k++) {
        const at = first + k * every;
        out.push({
          id: `bkp-${dep.id.slice(7)}-s${k}`,
          kind: 'scheduled',
          status: 'completed',
          sizeBytes: sizeBytes(dep, at),
          createdAt: iso(at),
          completedAt: iso(at),
          expiresAt: iso(at + tier.backups.retentionDays * 24 * HOUR),
        });
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  return {
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
          auditDeploymentAction(db, clock, p, 'deployment.backup.create', dep, { backupId: bid });
          return listBackups(dep).find((b) => b.id === bid)!;
        })
        .immediate();
    },

    listBackups: (p: Principal, id: string) => {
      const backups = listBackups(d.owned(p, id));
      return { backups, total: backups.length };
    },
    /** One backup of the caller's deployment (a client polls a manual backup until it completes). */
    backup(p: Principal, id: string, backupId: string): BackupView {
      const dep = d.owned(p, id);
      return backupOf(dep, backupId);
    },

    restore(p: Principal, id: string, body: { backupId?: string; pointInTime?: string; mode: 'in_place' | 'new'; name?: string }) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          // The state first, before the backup or point is looked up: in place needs a steady deployment, and a
          // deleted one (still readable as a tombstone) restores in no mode (reference §1.5.3: to a new deployment
          // from any state but deleting/deleted). Both are the state machine's 409 with the allowed actions.
          if (body.mode === 'in_place' || dep.status === 'deleting' || dep.status === 'deleted') d.assertAllowed(dep, 'restore');
          const now = clock.now();
          const tier = tierOf(dep);
          let source: { deploymentId: string; backupId?: string; pointInTime?: string };
          if (body.backupId) {
            const b = backupOf(dep, body.backupId);
            if (b.status !== 'completed')
              throw new AppError(
                409,
                'BACKUP_NOT_READY',
                b.status === 'failed'
                  ? `backup "${b.id}" failed: restore another one`
                  : `backup "${b.id}" is still running: restore once it completes`,
              );
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
            // Recorded when the restore is accepted, as a restore to a new deployment records it at creation;
            // a later restore replaces it, since the latest source is the one the data now comes from.
            repo.setRestoredFrom(id, source, iso(now));
            // An in-place restore ends running (reference §1.5.3, stopped included), so running is what is now
            // wanted: a stopped deployment left "desired: stopped" would run unbilled in the projection and look
            // as if a stop were pending.
            repo.setDesired(id, 'running', iso(now));
            const op = engine.begin(dep, 'restore_in_place', {
              returnTo: returnTo(dep),
              backupId: source.backupId,
              ...simOf(dep),
            } as OperationParams);
            auditDeploymentAction(db, clock, p, 'deployment.restore', dep, { mode: 'in_place', ...source, operationId: op.id });
            return started(dep);
          }
          // 49 + "-restore-" + 5 = 63 characters: a generated name keeps to the rule a chosen one must follow.
          const suffix = seededRandom(id, now)().toString(36).slice(2, 7).padEnd(5, '0');
          const name = body.name ?? `${dep.name.slice(0, 49)}-restore-${suffix}`;
          // A copy is a new bucket: the source keeps its bucketName (names are global), the copy gets its default.
          const { bucketName: _source, ...config } = JSON.parse(dep.config) as Record<string, unknown>;
          const created = d.insertDeployment(
            p,
            { serviceId: dep.service_id, name, config: { tier: dep.tier_id, region: dep.region, ...config } },
            {},
            source,
          );
          // The new deployment's own entry is its deployment.create (with restoredFrom); this one is on the source.
          auditDeploymentAction(db, clock, p, 'deployment.restore', dep, { mode: 'new', ...source, newDeploymentId: created.deploymentId });
          return { status: 202, body: { success: true, restoredFrom: source, ...created } };
        })
        .immediate();
    },

    /** Simulated logs: lifecycle lines from the history and deterministic access lines while serving. */
  };
}
