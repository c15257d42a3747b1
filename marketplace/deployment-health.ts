// What the orchestrator reports back: health check results (3 failures in a row -> degraded, 2 passes ->
// recovered, reference §1.5.3) and autoscaling decisions (a scale operation like a user's, one at a time).
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { findTemplate, findTier } from '../services/templates/index.ts';
import type { DeploymentEngine } from './deployment-engine.ts';
import { autoscalingOf, type DeploymentsRepo } from './deployments-repo.ts';

/** A deployment degraded this long (simulated) is restarted (reference: policy autoRestart, default on). */
const AUTO_RESTART_MS = 5 * 60_000;

export function createDeploymentHealth(d: { db: Db; repo: DeploymentsRepo; engine: DeploymentEngine; clock: Clock; timeScale: number }) {
  const { db, repo, engine } = d;
  return {
    /** Live deployments the orchestrator watches, in id order, after the id `after`. */
    live(limit: number, after = '') {
      return repo.live(limit, after).map((r) => ({
        id: r.id,
        serviceId: r.service_id,
        category: findTemplate(r.service_id)?.category ?? 'compute',
        status: r.status,
        tier: r.tier_id,
        instances: r.instances,
        autoscaling: autoscalingOf(r),
        readyAt: r.ready_at,
      }));
    },
    /** One check result (call inside a write transaction). */
    reportOne(id: string, healthy: boolean): { status: string | null; changed: boolean } {
      const dep = repo.byId(id);
      if (!dep || (dep.status !== 'running' && dep.status !== 'degraded')) return { status: dep?.status ?? null, changed: false };
      // Only the first 3 failures and 2 passes matter, so the counters stop there: a report that changes nothing
      // writes nothing (the orchestrator also leaves out the passing checks of steady running deployments).
      const failures = healthy ? 0 : Math.min(dep.health_failures + 1, 3);
      const passes = healthy ? Math.min(dep.health_passes + 1, 2) : 0;
      if (failures !== dep.health_failures || passes !== dep.health_passes) repo.setHealth(id, failures, passes);
      if (dep.status === 'running' && failures >= 3) {
        engine.transition(dep, 'degraded', { reason: 'health_check_failed' });
        return { status: 'degraded', changed: true };
      }
      if (dep.status === 'degraded' && passes >= 2) {
        engine.transition(dep, 'running', { reason: 'health_check_passed' });
        return { status: 'running', changed: true };
      }
      if (
        dep.status === 'degraded' &&
        d.clock.now() - Date.parse(dep.state_changed_at) > AUTO_RESTART_MS * d.timeScale &&
        !repo.currentOp(id)
      ) {
        engine.begin(dep, 'restart', { returnTo: 'running' });
        return { status: 'restarting', changed: true };
      }
      return { status: dep.status, changed: false };
    },
    report(id: string, healthy: boolean) {
      return db.transaction(() => this.reportOne(id, healthy)).immediate();
    },
    /** For the main API's GET /api/auth/me usage figures. */
    activeDeployments: (userId: string) => repo.countActive(userId),
    /** A whole round of the orchestrator in one transaction (one commit, not one per deployment). */
    reportMany(reports: { id: string; healthy: boolean }[]) {
      return db
        .transaction(() => {
          const changed: { id: string; status: string }[] = [];
          for (const r of reports) {
            const res = this.reportOne(r.id, r.healthy);
            if (res.changed && res.status) changed.push({ id: r.id, status: res.status });
          }
          return changed;
        })
        .immediate();
    },
    autoscale(id: string, instances: number) {
      return db
        .transaction(() => {
          const dep = repo.byId(id);
          if (!dep || (dep.status !== 'running' && dep.status !== 'degraded') || dep.instances === instances) return { started: false };
          // The orchestrator decided on settings read a moment ago: autoscaling may have been turned off since, its
          // bounds changed, or the plan changed to a tier with fewer instances. Only a count that the deployment's
          // settings and tier allow now is applied (reference §1.5.7: clamped to min/max).
          const a = autoscalingOf(dep);
          const t = findTemplate(dep.service_id);
          const tier = t && findTier(t, dep.tier_id);
          const allowed =
            a?.enabled &&
            instances >= a.min &&
            instances <= a.max &&
            (!tier || (instances >= tier.instances.min && instances <= tier.instances.max));
          if (!allowed) return { started: false };
          engine.begin(dep, 'scale', { returnTo: dep.status === 'degraded' ? 'running' : dep.status, instances });
          return { started: true };
        })
        .immediate();
    },
  };
}

export type DeploymentHealth = ReturnType<typeof createDeploymentHealth>;
