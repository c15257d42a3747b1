// All SQL on the daily analytics rollups and the resource-owner index, as prepared statements.
import type { Db } from '../lib/db.ts';

export interface DailyCount {
  day: string;
  event_type: string;
  count: number;
}

export interface EntityRow {
  entity_type: string;
  entity_id: string;
  owner_id: string | null;
  private: number;
}

export type AnalyticsRepo = ReturnType<typeof createAnalyticsRepo>;

export function createAnalyticsRepo(db: Db) {
  // Upsert by key: re-counting is additive, and the event store's idempotency guarantees each event once.
  const bump = db.prepare(
    `INSERT INTO analytics_daily (day, entity_type, entity_id, event_type, count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (entity_type, entity_id, day, event_type) DO UPDATE SET count = count + excluded.count`,
  );
  // The private flag changes only when an event states the access (null: it does not): a package.deprecated or
  // package.vulnerable event of a restricted package says nothing about access and must not make it public.
  const upsertEntity = db.prepare(
    `INSERT INTO analytics_entities (entity_type, entity_id, owner_id, private, updated_at)
       VALUES (@type, @id, @owner, COALESCE(@private, 0), @at)
     ON CONFLICT (entity_type, entity_id) DO UPDATE SET
       owner_id = COALESCE(excluded.owner_id, owner_id),
       private = COALESCE(@private, private),
       updated_at = excluded.updated_at`,
  );
  const entity = db.prepare('SELECT * FROM analytics_entities WHERE entity_type = ? AND entity_id = ?');
  const upsertAlias = db.prepare(
    `INSERT INTO analytics_aliases (entity_type, alias, entity_id) VALUES (?, ?, ?)
     ON CONFLICT (entity_type, alias) DO UPDATE SET entity_id = excluded.entity_id`,
  );
  const alias = db.prepare('SELECT entity_id FROM analytics_aliases WHERE entity_type = ? AND alias = ?');
  const daily = db.prepare(
    `SELECT day, event_type, count FROM analytics_daily
     WHERE entity_type = ? AND entity_id = ? AND day >= ? AND day <= ? ORDER BY day, event_type`,
  );
  const dailyOfType = db.prepare(
    `SELECT day, count FROM analytics_daily
     WHERE entity_type = ? AND entity_id = ? AND event_type = ? AND day >= ? AND day <= ? ORDER BY day`,
  );
  return {
    bump: (day: string, entityType: string, entityId: string, eventType: string, count: number) =>
      bump.run(day, entityType, entityId, eventType, count),
    /** isPrivate null: the event does not say, the stored flag stays. */
    upsertEntity: (entityType: string, entityId: string, ownerId: string | null, isPrivate: boolean | null, at: string) =>
      upsertEntity.run({ type: entityType, id: entityId, owner: ownerId, private: isPrivate === null ? null : isPrivate ? 1 : 0, at }),
    entity: (entityType: string, entityId: string) => entity.get(entityType, entityId) as EntityRow | undefined,
    upsertAlias: (entityType: string, aliasId: string, entityId: string) => upsertAlias.run(entityType, aliasId, entityId),
    /** The resource's own id for an alias (e.g. pkg-123 -> the package name), or the id itself. */
    resolve: (entityType: string, id: string) => (alias.get(entityType, id) as { entity_id: string } | undefined)?.entity_id ?? id,
    daily: (entityType: string, entityId: string, from: string, to: string) => daily.all(entityType, entityId, from, to) as DailyCount[],
    dailyOfType: (entityType: string, entityId: string, eventType: string, from: string, to: string) =>
      dailyOfType.all(entityType, entityId, eventType, from, to) as { day: string; count: number }[],
  };
}
