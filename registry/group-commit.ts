// Group commit for acknowledged writes (issue #11, publish throughput): with synchronous=FULL every commit is an
// fsync that blocks the event loop (~7 ms on the project's disks), so one commit per publish caps the registry
// near 140 publishes/s whatever else is made fast. Writes queued in the same turn of the event loop run in one
// IMMEDIATE transaction, each inside its own savepoint, and are acknowledged only after that single commit: a
// failing write rolls back alone and rejects alone, the others are as durable as before.
import { type Db, perConnection } from '../lib/db.ts';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export type GroupCommit = <T>(work: () => T) => Promise<T>;

/** The committer of a database: one per connection, shared by every caller of the process. */
export const groupCommitOf: (db: Db) => GroupCommit = perConnection(createGroupCommit);

export function createGroupCommit(db: Db): GroupCommit {
  let queue: Pending[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      db.transaction(() => {
        for (const p of batch) {
          try {
            // A transaction function called inside a transaction is a savepoint (better-sqlite3).
            outcomes.push({ ok: true, value: db.transaction(p.work)() });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      }).immediate();
    } catch (err) {
      // BEGIN or COMMIT failed (busy past the timeout, disk full): nothing of the batch is stored.
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  };
  return <T>(work: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
}
