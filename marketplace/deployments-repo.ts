// All SQL over deployments, operations, transition events and credentials, as prepared statements.
import type { Db } from '../lib/db.ts';
import type { DeploymentStatus, OperationType } from './lifecycle.ts';

export interface DeploymentRow {
  id: string;
  owner_id: string;
  service_id: string;
  tier_id: string;
  region: string;
  name: string;
  config: string;
  status: DeploymentStatus;
  status_reason: string | null;
  desired_status: 'running' | 'stopped' | 'deleted';
  instances: number;
  autoscaling: string | null;
  endpoint: string;
  ever_running: number;
  health_failures: number;
  health_passes: number;
  simulation: string | null;
  restored_from: string | null;
  created_at: string;
  updated_at: string;
  state_changed_at: string;
  ready_at: string | null;
  deleted_at: string | null;
}

export interface OperationParams {
  returnTo: DeploymentStatus;
  instances?: number;
  tierId?: string;
  fromTierId?: string;
  backupId?: string;
  /** Simulation only: steps that fail, or the one that hangs until the stuck guard fires. */
  failAt?: string[];
  hangAt?: string;
  hung?: boolean;
}

export interface OperationRow {
  id: string;
  deployment_id: string;
  type: OperationType;
  status: 'running' | 'succeeded' | 'failed' | 'canceled';
  step: DeploymentStatus | null;
  params: string;
  due_at: string | null;
  created_at: string;
  finished_at: string | null;
  error_code: string | null;
  error_message: string | null;
}

export interface EventRow {
  seq: number;
  deployment_id: string;
  from_status: DeploymentStatus | null;
  to_status: DeploymentStatus;
  at: string;
  tier_id: string;
  instances: number;
  operation_id: string | null;
  reason: string | null;
}

/** The columns a cost reads (costOf), selected alone for account-wide sums. */
export type CostRow = Pick<
  DeploymentRow,
  | 'id'
  | 'owner_id'
  | 'name'
  | 'service_id'
  | 'tier_id'
  | 'status'
  | 'desired_status'
  | 'instances'
  | 'ever_running'
  | 'created_at'
  | 'deleted_at'
>;

export type DeploymentsRepo = ReturnType<typeof createDeploymentsRepo>;

// About 1.5 KB per deployment of five transitions: 20,000 histories stay near 30 MB.
const HISTORY_CACHE_MAX = 20_000;
// A row and two operations, about 2 KB: 5,000 snapshots stay near 10 MB.
const SNAPSHOT_CACHE_MAX = 5_000;

/** What a deployment's view reads besides its history (DeploymentsRepo.snapshot). */
export interface DeploymentSnapshot {
  readonly row: Readonly<DeploymentRow>;
  readonly currentOp: Readonly<OperationRow> | undefined;
  readonly lastOp: Readonly<OperationRow> | undefined;
}
const freezeRow = <T extends object>(row: T | undefined): Readonly<T> | undefined => (row ? Object.freeze(row) : undefined);

/** A deployment's autoscaling setting as stored (the JSON of `autoscaling`, set by POST .../scale). */
export interface AutoscalingSetting {
  enabled: boolean;
  min: number;
  max: number;
  targetCpu: number;
}

/** The stored autoscaling setting of a deployment row, null when it never had one. */
export const autoscalingOf = (row: Pick<DeploymentRow, 'autoscaling'>): AutoscalingSetting | null =>
  row.autoscaling ? (JSON.parse(row.autoscaling) as AutoscalingSetting) : null;

export function createDeploymentsRepo(db: Db) {
  const s = {
    insert: db.prepare(`INSERT INTO mkt_deployments (id, owner_id, service_id, tier_id, region, name, config, status, desired_status,
      instances, endpoint, simulation, restored_from, created_at, updated_at, state_changed_at)
      VALUES (@id, @owner_id, @service_id, @tier_id, @region, @name, @config, @status, @desired_status, @instances, @endpoint,
      @simulation, @restored_from, @created_at, @updated_at, @state_changed_at)`),
    byId: db.prepare('SELECT * FROM mkt_deployments WHERE id = ?'),
    byOwnerName: db.prepare("SELECT * FROM mkt_deployments WHERE owner_id = ? AND name = ? AND status <> 'deleted'"),
    // Bucket names are one namespace across accounts, as S3's are: a few S3 deployments per account, so no index.
    bucketHolder: db.prepare(
      "SELECT id FROM mkt_deployments WHERE service_id = ? AND status <> 'deleted' AND json_extract(config, '$.bucketName') = ? LIMIT 1",
    ),
    // A deleted one is listed only when deleted at or after the cutoff (NULL: none), as its tombstone reads.
    listOwn: db.prepare(
      "SELECT * FROM mkt_deployments WHERE owner_id = ? AND (status <> 'deleted' OR deleted_at >= ?) ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
    ),
    countOwn: db.prepare("SELECT count(*) AS n FROM mkt_deployments WHERE owner_id = ? AND (status <> 'deleted' OR deleted_at >= ?)"),
    countActive: db.prepare(
      "SELECT count(*) AS n FROM mkt_deployments WHERE owner_id = ? AND status NOT IN ('failed', 'deleting', 'deleted')",
    ),
    setStatus: db.prepare(`UPDATE mkt_deployments SET status = @status, status_reason = @reason, state_changed_at = @at, updated_at = @at,
      ever_running = MAX(ever_running, @ran), ready_at = COALESCE(ready_at, @ready_at),
      deleted_at = CASE WHEN @status = 'deleted' THEN @at ELSE deleted_at END WHERE id = @id`),
    setDesired: db.prepare('UPDATE mkt_deployments SET desired_status = ?, updated_at = ? WHERE id = ?'),
    setPlan: db.prepare('UPDATE mkt_deployments SET tier_id = ?, updated_at = ? WHERE id = ?'),
    setInstances: db.prepare('UPDATE mkt_deployments SET instances = ?, updated_at = ? WHERE id = ?'),
    setAutoscaling: db.prepare('UPDATE mkt_deployments SET autoscaling = ?, updated_at = ? WHERE id = ?'),
    setRestoredFrom: db.prepare('UPDATE mkt_deployments SET restored_from = ?, updated_at = ? WHERE id = ?'),
    setHealth: db.prepare('UPDATE mkt_deployments SET health_failures = ?, health_passes = ? WHERE id = ?'),
    activeByService: db.prepare(
      "SELECT service_id, count(*) AS n FROM mkt_deployments WHERE status IN ('running', 'degraded', 'updating', 'restarting', 'restoring') GROUP BY service_id",
    ),
    // Keyset pages (after the last id of the previous page): a deployment that changes status between two pages
    // is neither skipped nor read twice, as an OFFSET would do.
    live: db.prepare("SELECT * FROM mkt_deployments WHERE status IN ('running', 'degraded') AND id > ? ORDER BY id LIMIT ?"),
    ownersWithDeployments: db.prepare('SELECT DISTINCT owner_id FROM mkt_deployments WHERE created_at < ?'),
    // In index order (no sort of the whole account in SQLite); ties on created_at are put in id order in JS,
    // where the rows are already nearly sorted.
    ownerAll: db.prepare('SELECT * FROM mkt_deployments WHERE owner_id = ? AND created_at < ? ORDER BY created_at'),
    // What a cost needs (CostRow), for the account-wide sums: a third of the time of SELECT * per row.
    ownerCostRows: db.prepare(`SELECT id, owner_id, name, service_id, tier_id, status, desired_status, instances, ever_running, created_at,
      deleted_at FROM mkt_deployments WHERE owner_id = ? AND created_at < ? ORDER BY created_at`),

    insertOp: db.prepare(`INSERT INTO mkt_operations (id, deployment_id, type, status, step, params, due_at, created_at)
      VALUES (@id, @deployment_id, @type, 'running', @step, @params, @due_at, @created_at)`),
    opById: db.prepare('SELECT * FROM mkt_operations WHERE id = ?'),
    currentOp: db.prepare("SELECT * FROM mkt_operations WHERE deployment_id = ? AND status = 'running' ORDER BY created_at DESC LIMIT 1"),
    lastOp: db.prepare(
      "SELECT * FROM mkt_operations WHERE deployment_id = ? AND status <> 'running' ORDER BY finished_at DESC, rowid DESC LIMIT 1",
    ),
    opStep: db.prepare('UPDATE mkt_operations SET step = ?, due_at = ?, params = ? WHERE id = ?'),
    opFinish: db.prepare(
      'UPDATE mkt_operations SET status = ?, due_at = NULL, finished_at = ?, error_code = ?, error_message = ? WHERE id = ?',
    ),
    due: db.prepare("SELECT * FROM mkt_operations WHERE due_at <= ? AND status = 'running' ORDER BY due_at, id LIMIT ?"),

    insertEvent:
      db.prepare(`INSERT INTO mkt_deployment_events (deployment_id, from_status, to_status, at, tier_id, instances, operation_id, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    events: db.prepare('SELECT * FROM mkt_deployment_events WHERE deployment_id = ? ORDER BY seq'),
    // Batched reads for a page of deployments or a whole account (ids as a JSON array): one statement instead
    // of one per row. Grouped and ordered by seq in JS (groups are small), which spares a sort.
    eventsOf: db.prepare('SELECT * FROM mkt_deployment_events WHERE deployment_id IN (SELECT value FROM json_each(?))'),
    currentOps: db.prepare(`SELECT * FROM (SELECT o.*, row_number() OVER (PARTITION BY o.deployment_id ORDER BY o.created_at DESC) AS pick
      FROM mkt_operations o WHERE o.deployment_id IN (SELECT value FROM json_each(?)) AND o.status = 'running') WHERE pick = 1`),
    lastOps:
      db.prepare(`SELECT * FROM (SELECT o.*, row_number() OVER (PARTITION BY o.deployment_id ORDER BY o.finished_at DESC, o.rowid DESC)
      AS pick FROM mkt_operations o WHERE o.deployment_id IN (SELECT value FROM json_each(?)) AND o.status <> 'running') WHERE pick = 1`),
    eventsPage: db.prepare('SELECT * FROM mkt_deployment_events WHERE deployment_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?'),

    putCreds: db.prepare(`INSERT INTO mkt_credentials (deployment_id, version, ciphertext) VALUES (?, 1, ?)
      ON CONFLICT(deployment_id) DO UPDATE SET previous_ciphertext = ciphertext, previous_expires_at = ?, ciphertext = excluded.ciphertext,
      version = version + 1, rotated_at = ?`),
    creds: db.prepare('SELECT * FROM mkt_credentials WHERE deployment_id = ?'),
  };

  // Transition histories are append-only and written only by this process, through insertEvent, which forgets
  // the deployment's entry. So a history read outside a transaction (committed rows only) stays exact until
  // then: a deployment's status, list and cost, and the account's billing over every deployment, need no
  // history query per read. Bounded: the oldest entry goes first when full.
  const history = new Map<string, readonly EventRow[]>();
  const remember = (id: string, rows: EventRow[]): readonly EventRow[] => {
    const frozen = Object.freeze(rows);
    // Inside a transaction the rows may include this transaction's uncommitted events: never cache those.
    if (db.inTransaction) return frozen;
    if (history.size >= HISTORY_CACHE_MAX) history.delete(history.keys().next().value as string);
    history.set(id, frozen);
    return frozen;
  };

  // The orchestrator asks for every live deployment several times a second (every 10 simulated seconds), and
  // SELECT * of a thousand rows costs milliseconds each time. Every write to mkt_deployments goes through this
  // repo and counts here (a rolled-back one too, which only costs a re-read), so the live list is reused until
  // the next write; a list read inside a transaction is never kept.
  let writes = 0;
  const wrote = <T>(result: T): T => {
    writes++;
    return result;
  };
  const liveCache = new Map<string, { writes: number; rows: readonly DeploymentRow[] }>();
  // A deployment's row with its current and last operation, as its status (read on every poll) needs them: reused
  // until the next write to any deployment or operation through this repo (the same counter), never kept from
  // inside a transaction. Frozen, because callers share them.
  const snapshots = new Map<string, { writes: number; snapshot: DeploymentSnapshot }>();

  return {
    insert: (
      row: Omit<
        DeploymentRow,
        'status_reason' | 'autoscaling' | 'ever_running' | 'health_failures' | 'health_passes' | 'ready_at' | 'deleted_at'
      >,
    ) => wrote(s.insert.run(row)),
    byId: (id: string) => s.byId.get(id) as DeploymentRow | undefined,
    /** byId, currentOp and lastOp together, for read-only views: from the cache until the next write. */
    snapshot(id: string): DeploymentSnapshot | undefined {
      const hit = snapshots.get(id);
      if (hit && hit.writes === writes) return hit.snapshot;
      const row = s.byId.get(id) as DeploymentRow | undefined;
      if (!row) return undefined;
      const snapshot: DeploymentSnapshot = Object.freeze({
        row: Object.freeze(row),
        currentOp: freezeRow(s.currentOp.get(id) as OperationRow | undefined),
        lastOp: freezeRow(s.lastOp.get(id) as OperationRow | undefined),
      });
      if (!db.inTransaction) {
        if (snapshots.size >= SNAPSHOT_CACHE_MAX) snapshots.delete(snapshots.keys().next().value as string);
        snapshots.set(id, { writes, snapshot });
      }
      return snapshot;
    },
    byOwnerName: (ownerId: string, name: string) => s.byOwnerName.get(ownerId, name) as DeploymentRow | undefined,
    /** Whether a live deployment of the service (any owner) holds this bucket name. */
    bucketTaken: (serviceId: string, bucket: string) => s.bucketHolder.get(serviceId, bucket) !== undefined,
    /** `deletedSince`: the oldest deletion still listed (ISO), or null to list no deleted deployment. */
    listOwn: (ownerId: string, deletedSince: string | null, limit: number, offset: number) =>
      s.listOwn.all(ownerId, deletedSince, limit, offset) as DeploymentRow[],
    countOwn: (ownerId: string, deletedSince: string | null) => (s.countOwn.get(ownerId, deletedSince) as { n: number }).n,
    countActive: (ownerId: string) => (s.countActive.get(ownerId) as { n: number }).n,
    setStatus: (id: string, status: DeploymentStatus, reason: string | null, at: string) =>
      wrote(s.setStatus.run({ id, status, reason, at, ran: status === 'running' ? 1 : 0, ready_at: status === 'running' ? at : null })),
    setDesired: (id: string, desired: string, at: string) => wrote(s.setDesired.run(desired, at, id)),
    setPlan: (id: string, tierId: string, at: string) => wrote(s.setPlan.run(tierId, at, id)),
    setInstances: (id: string, n: number, at: string) => wrote(s.setInstances.run(n, at, id)),
    setAutoscaling: (id: string, json: string | null, at: string) => wrote(s.setAutoscaling.run(json, at, id)),
    setRestoredFrom: (id: string, source: object, at: string) => wrote(s.setRestoredFrom.run(JSON.stringify(source), at, id)),
    setHealth: (id: string, failures: number, passes: number) => wrote(s.setHealth.run(failures, passes, id)),
    activeByService: () => new Map((s.activeByService.all() as { service_id: string; n: number }[]).map((r) => [r.service_id, r.n])),
    /** Running and degraded deployments with an id after `after`, for the orchestrator's rounds (from the cache until the next write). */
    live(limit: number, after = ''): readonly DeploymentRow[] {
      const key = `${limit}:${after}`;
      const hit = liveCache.get(key);
      if (hit && hit.writes === writes) return hit.rows;
      const rows = Object.freeze(s.live.all(after, limit) as DeploymentRow[]);
      if (!db.inTransaction) {
        if (liveCache.size >= 16) liveCache.clear();
        liveCache.set(key, { writes, rows });
      }
      return rows;
    },
    ownersWithDeployments: (beforeIso: string) => (s.ownersWithDeployments.all(beforeIso) as { owner_id: string }[]).map((r) => r.owner_id),
    /** Every deployment of an owner created before beforeIso, in (created_at, id) order. */
    ownerAll: (ownerId: string, beforeIso: string) => (s.ownerAll.all(ownerId, beforeIso) as DeploymentRow[]).sort(byCreation),
    /** ownerAll's rows with only a cost's columns. */
    ownerCostRows: (ownerId: string, beforeIso: string) => (s.ownerCostRows.all(ownerId, beforeIso) as CostRow[]).sort(byCreation),

    insertOp: (o: {
      id: string;
      deployment_id: string;
      type: OperationType;
      step: DeploymentStatus;
      params: OperationParams;
      due_at: string;
      created_at: string;
    }) => wrote(s.insertOp.run({ ...o, params: JSON.stringify(o.params) })),
    opById: (id: string) => s.opById.get(id) as OperationRow | undefined,
    currentOp: (deploymentId: string) => s.currentOp.get(deploymentId) as OperationRow | undefined,
    lastOp: (deploymentId: string) => s.lastOp.get(deploymentId) as OperationRow | undefined,
    opStep: (id: string, step: DeploymentStatus, dueAt: string, params: OperationParams) =>
      wrote(s.opStep.run(step, dueAt, JSON.stringify(params), id)),
    opFinish: (
      id: string,
      status: OperationRow['status'],
      at: string,
      errorCode: string | null = null,
      errorMessage: string | null = null,
    ) => wrote(s.opFinish.run(status, at, errorCode, errorMessage, id)),
    due: (nowIso: string, limit: number) => s.due.all(nowIso, limit) as OperationRow[],

    insertEvent: (e: Omit<EventRow, 'seq'>) => {
      // Forgotten before the insert: a read inside this transaction does not re-cache (see remember), and after
      // a commit or a rollback the next read sees the table as it is.
      history.delete(e.deployment_id);
      return s.insertEvent.run(e.deployment_id, e.from_status, e.to_status, e.at, e.tier_id, e.instances, e.operation_id, e.reason);
    },
    /** A deployment's transition history in seq order (shared and frozen: never modify it). */
    events(deploymentId: string): readonly EventRow[] {
      const hit = history.get(deploymentId);
      if (hit) return hit;
      return remember(deploymentId, s.events.all(deploymentId) as EventRow[]);
    },
    /** The transition history of each of these deployments (absent = none), in seq order. */
    eventsOf(ids: string[]): Map<string, readonly EventRow[]> {
      const out = new Map<string, readonly EventRow[]>();
      const missing: string[] = [];
      for (const id of ids) {
        const hit = history.get(id);
        if (hit) out.set(id, hit);
        else missing.push(id);
      }
      for (let i = 0; i < missing.length; i += 1000) {
        const chunk = missing.slice(i, i + 1000);
        const read = groupEvents(s.eventsOf.all(JSON.stringify(chunk)) as EventRow[]);
        for (const id of chunk) out.set(id, remember(id, read.get(id) ?? []));
      }
      return out;
    },
    /** currentOp and lastOp of each of these deployments, by deployment id. */
    currentOps: (ids: string[]) => byDeployment(s.currentOps.all(JSON.stringify(ids)) as (OperationRow & { pick?: number })[]),
    lastOps: (ids: string[]) => byDeployment(s.lastOps.all(JSON.stringify(ids)) as (OperationRow & { pick?: number })[]),
    eventsPage: (deploymentId: string, limit: number, offset: number) => s.eventsPage.all(deploymentId, limit, offset) as EventRow[],

    putCreds: (deploymentId: string, sealed: string, previousExpiresAt: string | null, at: string | null) =>
      s.putCreds.run(deploymentId, sealed, previousExpiresAt, at),
    creds: (deploymentId: string) =>
      s.creds.get(deploymentId) as
        | {
            version: number;
            ciphertext: string;
            previous_ciphertext: string | null;
            previous_expires_at: string | null;
            rotated_at: string | null;
          }
        | undefined,
  };
}

function groupEvents(rows: EventRow[]): Map<string, EventRow[]> {
  const out = new Map<string, EventRow[]>();
  for (const r of rows) {
    const list = out.get(r.deployment_id);
    if (list) list.push(r);
    else out.set(r.deployment_id, [r]);
  }
  for (const list of out.values()) list.sort((a, b) => a.seq - b.seq);
  return out;
}

function byDeployment(rows: (OperationRow & { pick?: number })[]): Map<string, OperationRow> {
  const out = new Map<string, OperationRow>();
  for (const { pick: _, ...op } of rows) out.set(op.deployment_id, op);
  return out;
}

/** (created_at, id) order, as SQLite compares text (both are ASCII). */
function byCreation(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
