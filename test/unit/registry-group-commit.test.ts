// Group commit of acknowledged writes (registry/group-commit.ts): writes queued in one event-loop turn share one
// transaction, each in its own savepoint; a failing write rolls back and rejects alone; a failed commit stores
// nothing and rejects all. Then concurrent npm publishes through it, scoped and unscoped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase, perConnection } from '../../lib/db.ts';
import { createGroupCommit, groupCommitOf } from '../../registry/group-commit.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

describe('group commit', () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  });
  afterEach(() => {
    if (db.open) db.close();
  });
  const rows = () => db.prepare('SELECT k, v FROM t ORDER BY k').all();
  const insert = (k: string, v: number) => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).changes;

  it('is one committer per connection, made once (perConnection)', () => {
    const other = openDatabase(':memory:');
    try {
      expect(groupCommitOf(db)).toBe(groupCommitOf(db));
      expect(groupCommitOf(other)).not.toBe(groupCommitOf(db));
      const made: Db[] = [];
      const of = perConnection((d) => made.push(d));
      of(db);
      of(db);
      of(other);
      expect(made).toEqual([db, other]);
    } finally {
      other.close();
    }
  });

  it('runs the writes of one turn in one transaction; a failing write is rolled back and rejected alone', async () => {
    const commit = createGroupCommit(db);
    const seen: boolean[] = [];
    const a = commit(() => {
      seen.push(db.inTransaction);
      return insert('a', 1);
    });
    const bad = commit(() => {
      insert('b', 2);
      // Duplicate key after a first write: the savepoint must take the 'b' row back too.
      return insert('a', 3);
    });
    const c = commit(() => {
      seen.push(db.inTransaction);
      // Sees the first write of the batch, uncommitted yet.
      return insert('c', (db.prepare("SELECT v FROM t WHERE k = 'a'").get() as { v: number }).v + 10);
    });
    expect(rows()).toEqual([]);
    await expect(a).resolves.toBe(1);
    await expect(bad).rejects.toThrow(/UNIQUE constraint failed/);
    await expect(c).resolves.toBe(1);
    expect(seen).toEqual([true, true]);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'c', v: 11 },
    ]);
  });

  it('rejects every write of a batch whose transaction cannot be opened, and stores none', async () => {
    const file = openDatabase(':memory:');
    const commit = createGroupCommit(file);
    const first = commit(() => 1);
    const second = commit(() => 2);
    file.close();
    await expect(first).rejects.toThrow(/not open/);
    await expect(second).rejects.toThrow(/not open/);
  });

  it('starts a new batch for writes queued after the previous one ran', async () => {
    const commit = createGroupCommit(db);
    await commit(() => insert('a', 1));
    await expect(commit(() => insert('a', 2))).rejects.toThrow(/UNIQUE/);
    await expect(commit(() => insert('b', 2))).resolves.toBe(1);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ]);
  });
});

describe.each(['group-pkg', '@acme/group-pkg'])('concurrent npm publishes of %s', (name) => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const put = (version: string, extra = '') =>
    r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { 'content-type': 'application/json', ...bearer(r.alice) },
      payload: JSON.stringify(
        publishBody(name, version, {
          files: [
            { path: 'package/package.json', content: JSON.stringify({ name, version, description: 'group commit test' }) },
            { path: 'package/index.js', content: `module.exports = '${version}${extra}';\n` },
          ],
        }),
      ),
    });

  it('acknowledges every version published at once; of two different tarballs for one version, one wins', async () => {
    const versions = ['1.0.0', '1.0.1', '1.0.2', '1.1.0'];
    const results = await Promise.all([...versions.map((v) => put(v)), put('1.0.1', ' other bytes')]);
    const statuses = results.map((res) => res.statusCode);
    expect(statuses.slice(0, 4).filter((s) => s === 201).length + (statuses[4] === 201 ? 1 : 0)).toBe(4);
    const refused = results.filter((res) => res.statusCode !== 201);
    expect(refused.map((res) => [res.statusCode, res.json()])).toEqual([
      [403, { error: 'You cannot publish over the previously published versions: 1.0.1.', code: 'VERSION_EXISTS' }],
    ]);
    const doc = (await r.app.inject({ method: 'GET', url: docPath(name) })).json();
    expect(Object.keys(doc.versions).sort()).toEqual(versions);
    const events = r.db.prepare("SELECT count(*) AS n FROM outbox WHERE type = 'package.published'").get();
    expect(events).toEqual({ n: 4 });
    expect(r.db.prepare('SELECT count(*) AS n FROM burned_versions WHERE name = ?').get(name)).toEqual({ n: 4 });
  });
});
