// The rest of a deployment's verbs: scale and autoscaling, plan change with a cost preview, credentials and
// rotation, logs and transition history; backups and restore are in deployment-backups.ts.
import type { Principal } from '../lib/auth.ts';
import { badRequest, notFound, unprocessable } from '../lib/errors.ts';
import { seededRandom } from '../lib/prng.ts';
import { trafficProfile } from '../services/metrics.ts';
import { findTemplate, findTier, requireTier, tierRegions } from '../services/templates/index.ts';
import { auditDeploymentAction } from './audit.ts';
import { cycleOf, dollars } from './billing.ts';
import { deploymentBackups } from './deployment-backups.ts';
import { costOf } from './deployment-usage.ts';
import { deploymentView } from './deployment-view.ts';
import type { DeploymentDeps, SimulationOptions } from './deployments.ts';
import { type AutoscalingSetting, autoscalingOf, type DeploymentRow, type OperationParams } from './deployments-repo.ts';
import type { Idempotency } from './idempotency.ts';
import type { Action, DeploymentStatus } from './lifecycle.ts';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface ExtrasDeps extends DeploymentDeps {
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
  status: 'pending' | 'completed' | 'failed';
  sizeBytes: number;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string;
}

export function deploymentExtras(d: ExtrasDeps) {
  const { db, repo, engine, clock } = d;
  const scaled = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * d.config.SIM_TIME_SCALE));
  const tierOf = (dep: DeploymentRow) => findTier(findTemplate(dep.service_id)!, dep.tier_id)!;
  const returnTo = (dep: DeploymentRow): DeploymentStatus => (dep.status === 'degraded' ? 'running' : dep.status);
  const simOf = (dep: DeploymentRow) => (dep.simulation ? (JSON.parse(dep.simulation) as SimulationOptions) : {});
  const started = (dep: DeploymentRow, status = 202) => ({
    status,
    body: { success: true, deployment: deploymentView(repo, repo.byId(dep.id)!, clock.now()) },
  });

  const backups = deploymentBackups(d, { scaled, tierOf, returnTo, simOf, started });

  return {
    ...backups,
    scale(
      p: Principal,
      id: string,
      body: { instances?: number; autoscaling?: { enabled: boolean; min?: number; max?: number; targetCpu: number } },
    ) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          const limits = tierOf(dep).instances;
          const within = (n: number) => n >= limits.min && n <= limits.max;
          let setting: AutoscalingSetting | undefined;
          if (body.autoscaling) {
            // Enabling autoscaling is a scale action: refused (409 with allowedActions) where scale is, never stored
            // for a deleted deployment. Turning it off is always possible while the deployment exists, and needs no
            // min/max (the previous ones are kept).
            const gone = dep.status === 'deleted' || dep.status === 'deleting';
            if (body.autoscaling.enabled || gone) d.assertAllowed(dep, 'scale');
            const prev: Partial<AutoscalingSetting> = autoscalingOf(dep) ?? {};
            const a = {
              ...body.autoscaling,
              min: body.autoscaling.min ?? prev.min ?? dep.instances,
              max: body.autoscaling.max ?? prev.max ?? dep.instances,
            };
            if (a.enabled && (!within(a.min) || !within(a.max) || a.min > a.max))
              throw unprocessable(
                'INSTANCES_OUT_OF_RANGE',
                `autoscaling min and max must be within ${limits.min}-${limits.max} on the ${dep.tier_id} tier, with min <= max`,
                limits,
              );
            repo.setAutoscaling(id, JSON.stringify(a), iso(clock.now()));
            setting = a;
          }
          const autoscaling = setting ? { autoscaling: setting } : {};
          // The count the deployment is heading for: a scale in flight lands on its own target when it completes, so
          // asking for today's count then is a change (refused below while it runs), not a no-op answered 200 that
          // the running scale then overrides. Asking again for the in-flight target is the no-op (as stop while
          // stopping is).
          const current = repo.currentOp(dep.id);
          const target =
            current?.type === 'scale' ? ((JSON.parse(current.params) as OperationParams).instances ?? dep.instances) : dep.instances;
          // A deleted deployment runs nothing: "scale it to its count" is refused like any other action, not a 200.
          if (body.instances !== undefined && (dep.status === 'deleted' || dep.status === 'deleting')) d.assertAllowed(dep, 'scale');
          if (body.instances !== undefined && body.instances !== target) {
            if (!within(body.instances))
              throw unprocessable(
                'INSTANCES_OUT_OF_RANGE',
                `the ${dep.tier_id} tier allows ${limits.min}-${limits.max} instances: change plan for more`,
                limits,
              );
            // Autoscaling (as set now, this request included) would walk a count outside its bounds back within
            // a few minutes: refused, as an AWS Auto Scaling group refuses a desired capacity outside [min, max].
            const auto = setting ?? autoscalingOf(dep);
            if (auto?.enabled && (body.instances < auto.min || body.instances > auto.max))
              throw unprocessable(
                'INSTANCES_OUT_OF_RANGE',
                `autoscaling keeps this deployment between ${auto.min} and ${auto.max} instances: change its min and max, or turn it off, to run ${body.instances}`,
                { ...limits, autoscaling: { min: auto.min, max: auto.max } },
              );
            d.assertAllowed(dep, 'scale');
            const op = engine.begin(dep, 'scale', { returnTo: returnTo(dep), instances: body.instances, ...simOf(dep) });
            auditDeploymentAction(db, clock, p, 'deployment.scale', dep, {
              instances: { from: dep.instances, to: body.instances },
              ...autoscaling,
              operationId: op.id,
            });
            return started(dep);
          }
          if (body.autoscaling) auditDeploymentAction(db, clock, p, 'deployment.scale', dep, autoscaling);
          return started(dep, 200);
        })
        .immediate();
    },

    changePlan(p: Principal, id: string, tierId: string, preview: boolean) {
      return db
        .transaction(() => {
          const dep = d.owned(p, id);
          // A preview prices a change that can happen: on a deleted deployment (or mid-operation) it is the same
          // 409 as the change itself, never a 200 of zeros.
          d.assertAllowed(dep, 'change_plan');
          const t = findTemplate(dep.service_id)!;
          const tier = requireTier(t, tierId);
          if (!tierRegions(t, tier).includes(dep.region))
            throw unprocessable('PLAN_NOT_AVAILABLE_IN_REGION', `the ${tier.name} tier is not offered in ${dep.region}`, {
              allowed: tierRegions(t, tier),
            });
          if (dep.instances > tier.instances.max)
            throw unprocessable(
              'DOWNGRADE_EXCEEDS_LIMITS',
              `the deployment runs ${dep.instances} instances but ${tier.name} allows ${tier.instances.max}: scale down first`,
            );
          // Autoscaling left on with a maximum above the new tier's would scale past the tier once the load rises.
          const auto = autoscalingOf(dep);
          if (auto?.enabled && auto.max > tier.instances.max)
            throw unprocessable(
              'DOWNGRADE_EXCEEDS_LIMITS',
              `autoscaling may scale to ${auto.max} instances but ${tier.name} allows ${tier.instances.max}: lower the autoscaling max or turn autoscaling off first`,
              { autoscalingMax: auto.max, tierMax: tier.instances.max },
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
          const op = engine.begin(dep, 'change_plan', { returnTo: returnTo(dep), tierId, fromTierId: dep.tier_id, ...simOf(dep) });
          auditDeploymentAction(db, clock, p, 'deployment.plan.change', dep, { fromTier: dep.tier_id, toTier: tierId, operationId: op.id });
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
          auditDeploymentAction(db, clock, p, 'deployment.credentials.rotate', dep, { graceHours });
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

    /**
     * The log lines after `since` and before `until` (both exclusive), the last `tail` of them. `until` pages back
     * through older lines: pass the first line's `at` of a page to get the page before it.
     */
    logs(p: Principal, id: string, q: { tail: number; since?: string; until?: string }) {
      const dep = d.owned(p, id);
      const now = clock.now();
      const since = q.since ? Date.parse(q.since) : 0;
      const until = q.until ? Date.parse(q.until) : Number.POSITIVE_INFINITY;
      if (since >= until)
        throw badRequest(`since (${q.since}) must be before until (${q.until})`, { since: q.since, until: q.until }, 'INVALID_RANGE');
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
        // Up to `until`, so that paging back reaches older minutes of a long segment.
        const end = Math.min(i + 1 < events.length ? Date.parse(events[i + 1].at) : now, until);
        // One access summary per simulated minute, at most the 200 before the end of the segment or page.
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
      const filtered = lines.filter((l) => Date.parse(l.at) > since && Date.parse(l.at) < until).sort((a, b) => a.at.localeCompare(b.at));
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
