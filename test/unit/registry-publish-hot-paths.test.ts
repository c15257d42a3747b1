// The publish path's population reads made incremental (issue #11, hot spot 1): the reverse-dependency table kept
// by triggers (and backfilled), the typosquat check's known names (indexed, the protected ones in memory), the frozen download
// population, and the rescore that follows the acknowledgement yet is never missed by a reader.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, loadMigrations, openDatabase, runMigrations } from '../../lib/db.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { createDependentsQuery } from '../../registry/npm/routes-dependents.ts';
import { createPackagesRepo, type PackagesRepo } from '../../registry/packages-repo.ts';
import { createRegistrySecurity } from '../../registry/security/registry-security.ts';
import { downloadsPopulation, refreshDownloadsPopulation } from '../../registry/security/score-population.ts';
import { securityRepoOf } from '../../registry/security/security-repo.ts';
import { checkTyposquat, DEFAULT_TYPOSQUAT_OPTIONS } from '../../registry/security/typosquat.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

const MIGRATIONS = fileURLToPath(new URL('../../registry/migrations', import.meta.url));
const AT = '2026-11-26T10:00:00.000Z';
const internal = { 'x-internal-token': testSecrets.internalToken };

/** A package with one version per manifest, the last one tagged latest. */
function publish(repo: PackagesRepo, name: string, manifests: Record<string, unknown>[], at = AT): number {
  const id =
    repo.find('npm', name)?.id ??
    repo.insert({ ecosystem: 'npm', name, scope: null, description: '', keywords: [], access: 'public', now: at });
  repo.addMaintainer(id, { user_id: `u-${name}`, username: `owner-${name.replace(/\W/g, '')}`, email: 'o@example.test' }, at);
  repo.ensureBlob('x'.repeat(128), 1, at);
  for (const [i, m] of manifests.entries()) {
    const version = String(m.version ?? `1.0.${i}`);
    repo.insertVersion({
      package_id: id,
      version,
      manifest: JSON.stringify({ name, version, ...m }),
      readme: '',
      filename: `${name}-${version}.tgz`,
      blob_sha512: 'x'.repeat(128),
      integrity: 'sha512-x',
      shasum: 'x',
      size: 1,
      publisher_id: null,
      publisher_name: null,
      published_at: at,
    });
    repo.setTag(id, 'latest', version);
  }
  return id;
}

describe.each(['lib-core', '@acme/lib-core'])('reverse dependencies of %s (migration 022)', (dep) => {
  let db: Db;
  let repo: PackagesRepo;
  beforeEach(() => {
    db = openRegistryDatabase(':memory:');
    repo = createPackagesRepo(db);
  });
  afterEach(() => db.close());
  const weighted = () => securityRepoOf(db).dependentsWeighted(dep);

  it('counts latest versions only: prod and peer dependencies 1, dev dependencies 0.25, never itself', () => {
    publish(repo, dep, [{ dependencies: { [dep]: '^1.0.0' } }]);
    publish(repo, 'app-prod', [{ dependencies: { [dep]: '^1.0.0', other: '1' } }]);
    publish(repo, 'app-peer', [{ peerDependencies: { [dep]: '*' }, dependencies: { [dep]: '^1.0.0' } }]);
    publish(repo, 'app-dev', [{ devDependencies: { [dep]: '^1.0.0' } }]);
    publish(repo, 'app-old', [{ version: '1.0.0', dependencies: { [dep]: '^1.0.0' } }, { version: '2.0.0' }]);
    expect(weighted()).toBe(2.25);
  });

  it('follows deprecation, a moved latest tag, unpublished versions and removed packages', () => {
    const prod = publish(repo, 'app-prod', [{ dependencies: { [dep]: '^1.0.0' } }]);
    const dev = publish(repo, 'app-dev', [{ devDependencies: { [dep]: '^1.0.0' } }]);
    expect(weighted()).toBe(1.25);
    repo.deprecate(prod, '1.0.0', 'use something else');
    expect(weighted()).toBe(0.25);
    repo.deprecate(prod, '1.0.0', null);
    expect(weighted()).toBe(1.25);
    // A second version moves latest away from the dependency, then the tag goes back to 1.0.0.
    publish(repo, 'app-prod', [{ version: '2.0.0' }]);
    expect(weighted()).toBe(0.25);
    repo.setTag(prod, 'latest', '1.0.0');
    expect(weighted()).toBe(1.25);
    repo.removeVersion(dev, '1.0.0');
    expect(weighted()).toBe(1);
    repo.remove(prod);
    expect(weighted()).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM package_dependents').get()).toEqual({ n: 0 });
  });

  // 22 created the reverse dependencies, 52 replaced them with the edges table and a view (an upgrade from each).
  it.each([22, 52])('is backfilled from the packages published before migration %i', (before) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elide-dependents-')), 'registry.db');
    const old = openDatabase(file);
    runMigrations(
      old,
      'registry',
      loadMigrations(MIGRATIONS).filter((m) => m.version < before),
    );
    // The rows as the code of that schema stored them, in plain SQL: today's repo prepares statements over tables
    // the old schema does not have yet.
    old.prepare('INSERT INTO blobs (sha512, size, created_at) VALUES (?, 1, ?)').run('x'.repeat(128), AT);
    const oldPublish = (name: string, manifest: Record<string, unknown>, deprecated: string | null = null) => {
      const id = Number(
        old.prepare("INSERT INTO packages (ecosystem, name, created_at, updated_at) VALUES ('npm', ?, ?, ?)").run(name, AT, AT)
          .lastInsertRowid,
      );
      old
        .prepare(
          `INSERT INTO package_versions (package_id, version, manifest, filename, blob_sha512, integrity, shasum, size, deprecated, published_at)
           VALUES (?, '1.0.0', ?, 'x.tgz', ?, 'sha512-x', 'x', 1, ?, ?)`,
        )
        .run(id, JSON.stringify({ name, version: '1.0.0', ...manifest }), 'x'.repeat(128), deprecated, AT);
      old.prepare("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, 'latest', '1.0.0')").run(id);
    };
    oldPublish('app-prod', { dependencies: { [dep]: '^1.0.0' } });
    oldPublish('app-dev', { devDependencies: { [dep]: '^1.0.0' } });
    oldPublish('app-gone', { dependencies: { [dep]: '1' }, deprecated: 'gone' }, 'gone');
    old.close();
    const upgraded = openRegistryDatabase(file);
    try {
      expect(securityRepoOf(upgraded).dependentsWeighted(dep)).toBe(1.25);
      // The dependents tab lists the deprecated latest too (only prod kinds).
      expect(
        createDependentsQuery(upgraded)(dep)
          .dependents.map((d) => d.name)
          .sort(),
      ).toEqual(['app-gone', 'app-prod']);
    } finally {
      upgraded.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('known names of the typosquat check', () => {
  let dir: string;
  let db: Db;
  let repo: PackagesRepo;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-known-names-'));
    db = openRegistryDatabase(path.join(dir, 'registry.db'));
    repo = createPackagesRepo(db);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const score = (name: string, popularity: number, on = db) =>
    securityRepoOf(on).saveScore('npm', name, {
      quality: 1,
      popularity,
      maintenance: 1,
      overall: 0.5,
      breakdown: {},
      scoringVersion: 't',
      computedAt: AT,
    });
  /** The names held in memory (the protected ones), with their owners and popularity. */
  const held = (ecosystem = 'npm') =>
    Object.fromEntries(
      [...securityRepoOf(db).knownNames(ecosystem).held()].map((k) => [
        k.name,
        { owner: [...(k.owner as string[])].sort(), popularity: k.popularity },
      ]),
    );

  it('holds only the protected names, following new packages, owners, popularity and removals', () => {
    const express = publish(repo, 'express', [{}]);
    publish(repo, '@acme/express', [{}]);
    score('express', 0.8);
    score('@acme/express', 0.6);
    expect(held()).toEqual({
      express: { owner: ['owner-express'], popularity: 0.8 },
      '@acme/express': { owner: ['owner-acmeexpress'], popularity: 0.6 },
    });
    // A new package joins when a rescore makes it popular, not before.
    publish(repo, 'lodash', [{}]);
    publish(repo, 'left-pad', [{}]);
    expect(Object.keys(held()).sort()).toEqual(['@acme/express', 'express']);
    score('left-pad', 0.7);
    repo.addMaintainer(express, { user_id: 'u-2', username: 'second', email: 's@example.test' }, '2026-11-27T00:00:00.000Z');
    expect(held()).toEqual({
      express: { owner: ['owner-express', 'second'], popularity: 0.8 },
      '@acme/express': { owner: ['owner-acmeexpress'], popularity: 0.6 },
      'left-pad': { owner: ['owner-leftpad'], popularity: 0.7 },
    });
    score('express', 0.2);
    repo.remove(repo.find('npm', '@acme/express')!.id);
    expect(held()).toEqual({ 'left-pad': { owner: ['owner-leftpad'], popularity: 0.7 } });
    const names = securityRepoOf(db).knownNames('npm');
    expect([...names.held()]).toHaveLength(1);
    // Every name still counts for rule Y1, held or not.
    expect(['express', 'left-pad', 'lodash', '@acme/express'].map((n) => names.hasLowerCase(n))).toEqual([true, true, true, false]);
    expect(names.withSkeleton('express')?.name).toBe('express');
  });

  it('refuses a name with an existing skeleton (Y1) from registry.db, whether or not it is popular', () => {
    publish(repo, 'left-pad', [{}]);
    // Only reachable by writing rows directly: a second name with the same skeleton, created later.
    publish(repo, 'left_pad', [{}]);
    publish(repo, '@scope/leftpad', [{}]);
    const names = securityRepoOf(db).knownNames('npm');
    expect([...names.held()]).toEqual([]);
    const y1 = (name: string) => checkTyposquat({ name, owner: 'mallory' }, names).map((f) => [f.ruleId, f.severity, f.imitates]);
    expect(y1('leftpad')).toEqual([['Y1', 'critical', 'left-pad']]);
    expect(y1('Left.Pad')).toEqual([['Y1', 'critical', 'left-pad']]);
    // A new version of an existing name is not a new name; a scoped name is not compared by skeleton.
    expect(y1('left-pad')).toEqual([]);
    expect(y1('@other/left-pad')).toEqual([]);
    expect(y1('right-pad')).toEqual([]);
  });

  it('answers rule Y1, and the RubyGems name clash check, through indexes, not a scan of the packages', () => {
    publish(repo, 'left-pad', [{}]);
    const executed: string[] = [];
    const watched = new Database(path.join(dir, 'registry.db'), { verbose: (sql) => executed.push(String(sql)) });
    try {
      const names = securityRepoOf(watched).knownNames('npm');
      const packages = createPackagesRepo(watched);
      executed.length = 0;
      expect(names.hasLowerCase('left-pad')).toBe(true);
      expect(names.withSkeleton('leftpad')?.name).toBe('left-pad');
      expect(packages.withSkeleton('npm', 'leftpad').map((p) => p.name)).toEqual(['left-pad']);
      expect(executed).toHaveLength(3);
      const plans = executed.map((sql) =>
        (watched.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; '),
      );
      expect(plans[0]).toContain('USING COVERING INDEX packages_search_name');
      expect(plans[1]).toContain('USING INDEX packages_name_skeleton');
      expect(plans[2]).toContain('USING INDEX packages_name_skeleton');
      for (const plan of plans) expect(plan).not.toMatch(/SCAN p\b|SCAN packages\b/);
    } finally {
      watched.close();
    }
  });

  it('protects a name from look-alikes once a rescore makes it popular, and stops when it falls back', () => {
    publish(repo, 'left-pad', [{}]);
    const sec = securityRepoOf(db);
    // A newer package by someone else, one typo away from left-pad (Y2). left-pad is not a well-known name
    // (well-known-names.json), so only its popularity here protects it.
    const imitated = () =>
      checkTyposquat({ name: 'left-pda', owner: 'mallory', createdAt: '2026-12-01T00:00:00.000Z' }, sec.knownNames('npm')).map((f) => [
        f.ruleId,
        f.imitates,
      ]);
    expect(imitated()).toEqual([]);
    score('left-pad', 0.8);
    expect(imitated()).toEqual([['Y2', 'left-pad']]);
    // The held entry keeps the creation time as a number and the owners: an older candidate, or one by left-pad's
    // own maintainer, is still not flagged.
    const names = sec.knownNames('npm');
    expect([...names.held()].map((k) => k.createdAt)).toEqual([Date.parse(AT)]);
    expect(checkTyposquat({ name: 'left-pda', owner: 'mallory', createdAt: '2020-01-01T00:00:00.000Z' }, names)).toEqual([]);
    expect(checkTyposquat({ name: 'left-pda', owner: 'owner-leftpad', createdAt: '2026-12-01T00:00:00.000Z' }, names)).toEqual([]);
    score('left-pad', 0.2);
    expect(imitated()).toEqual([]);
    // Only the popular names are held; a lower threshold asked for reads every name it covers.
    expect([...names.held()]).toEqual([]);
    expect(checkTyposquat({ name: 'left-pda', owner: 'mallory' }, names, { protectedMin: 0.1 }).map((f) => f.imitates)).toEqual([
      'left-pad',
    ]);
  });

  it("protects the public registries' well-known names, published here or not, without holding them", () => {
    const sec = securityRepoOf(db);
    const imitates = (ecosystem: string, name: string) =>
      checkTyposquat({ name, owner: 'mallory', createdAt: '2026-12-01T00:00:00.000Z' }, sec.knownNames(ecosystem)).map((f) => [
        f.ruleId,
        f.imitates,
        f.severity,
      ]);
    expect(imitates('npm', 'lodahs')).toEqual([['Y2', 'lodash', 'high']]);
    expect(imitates('pypi', 'reqeusts')).toEqual([['Y2', 'requests', 'high']]);
    expect(imitates('rubygems', 'rials')).toEqual([['Y2', 'rails', 'high']]);
    // Maven's look-alikes are group ids: it has no list.
    expect(imitates('maven', 'org.example:lodahs')).toEqual([]);
    // A well-known name is the public package itself, not a look-alike of its well-known neighbours.
    expect(imitates('pypi', 'requests')).toEqual([]);
    expect(imitates('npm', 'chalk')).toEqual([]);
    expect(held()).toEqual({});
    // Published here with little use, lodash is still protected at its well-known popularity, and its owner here
    // may publish look-alikes of it.
    publish(repo, 'lodash', [{}]);
    score('lodash', 0.05);
    expect(imitates('npm', 'lodahs')).toEqual([['Y2', 'lodash', 'high']]);
    expect(checkTyposquat({ name: 'lodahs', owner: 'owner-lodash', createdAt: '2026-12-01T00:00:00.000Z' }, sec.knownNames('npm'))).toEqual(
      [],
    );
    // Popular here but not top tier: the well-known popularity (top tier) decides the severity.
    score('lodash', 0.6);
    expect(imitates('npm', 'lodahs')).toEqual([['Y2', 'lodash', 'high']]);
  });

  it('sees packages another connection created or removed (the seed runs as its own process)', () => {
    const names = () => securityRepoOf(db).knownNames('npm');
    expect(held()).toEqual({});
    const other = openRegistryDatabase(path.join(dir, 'registry.db'));
    try {
      publish(createPackagesRepo(other), 'react', [{}]);
      publish(createPackagesRepo(other), 'vue', [{}]);
      score('vue', 0.9, other);
      expect(names().hasLowerCase('react')).toBe(true);
      expect(held()).toEqual({ vue: { owner: ['owner-vue'], popularity: 0.9 } });
      other.prepare("DELETE FROM packages WHERE name IN ('react', 'vue')").run();
      expect(names().hasLowerCase('react')).toBe(false);
      expect(held()).toEqual({});
    } finally {
      other.close();
    }
  });

  /** A second connection to the same file, recording the statements it runs. */
  const watchedKnownNames = () => {
    const executed: string[] = [];
    const watched = new Database(path.join(dir, 'registry.db'), { verbose: (sql) => executed.push(String(sql)) });
    const held = () =>
      Object.fromEntries([...securityRepoOf(watched).knownNames('npm').held()].map((k) => [k.name, [...(k.owner as string[])].sort()]));
    /** Whether the last refresh read every protected name again (the full load, not the rows since an id). */
    const reloaded = () => executed.some((sql) => sql.includes('coalesce(s.popularity, 0) >=') && !sql.includes('p.id >'));
    return { watched, executed, held, reloaded };
  };

  it('re-reads only the names whose owners changed or that were removed, not every protected name (migration 056)', () => {
    const express = publish(repo, 'express', [{}]);
    const lodash = publish(repo, 'lodash', [{}]);
    publish(repo, 'left-pad', [{}]);
    for (const name of ['express', 'lodash', 'left-pad']) score(name, 0.8);
    const w = watchedKnownNames();
    try {
      expect(w.held()).toEqual({ express: ['owner-express'], lodash: ['owner-lodash'], 'left-pad': ['owner-leftpad'] });
      expect(w.reloaded()).toBe(true);
      w.executed.length = 0;
      // npm owner add / rm, and an unpublish, by the main connection.
      repo.addMaintainer(express, { user_id: 'u-2', username: 'second', email: 's@example.test' }, '2026-11-27T00:00:00.000Z');
      repo.removeMaintainer(lodash, 'u-lodash');
      repo.addMaintainer(lodash, { user_id: 'u-3', username: 'third', email: 't@example.test' }, '2026-11-27T00:00:00.000Z');
      repo.remove(repo.find('npm', 'left-pad')!.id);
      expect(w.held()).toEqual({ express: ['owner-express', 'second'], lodash: ['third'] });
      expect(w.reloaded()).toBe(false);
      // One read per changed name: express and lodash (logged twice, read once), and the removed left-pad.
      expect(w.executed.filter((sql) => /p\.name = '/.test(sql))).toHaveLength(3);
      w.executed.length = 0;
      expect(w.held()).toEqual({ express: ['owner-express', 'second'], lodash: ['third'] });
      expect(w.executed.filter((sql) => /p\.name = '/.test(sql))).toHaveLength(0);
      // The creator added with a new package is read with its row, and logs nothing.
      publish(repo, 'react', [{}]);
      expect(db.prepare("SELECT count(*) FROM known_name_changes WHERE name = 'react'").pluck().get()).toBe(0);
    } finally {
      w.watched.close();
    }
  });

  it('reads every protected name again when the change log no longer reaches back to the last change it saw', () => {
    const express = publish(repo, 'express', [{}]);
    const quiet = publish(repo, 'quiet', [{}]);
    score('express', 0.8);
    const w = watchedKnownNames();
    try {
      expect(w.held()).toEqual({ express: ['owner-express'] });
      repo.addMaintainer(express, { user_id: 'u-2', username: 'second', email: 's@example.test' }, '2026-11-27T00:00:00.000Z');
      // 1,000 more changes of another package push express's out of the log (only the newest 1,000 are kept).
      for (let i = 0; i < 500; i++) {
        repo.addMaintainer(quiet, { user_id: 'u-x', username: 'x', email: 'x@example.test' }, '2026-11-27T00:00:00.000Z');
        repo.removeMaintainer(quiet, 'u-x');
      }
      expect(db.prepare('SELECT count(*) FROM known_name_changes').pluck().get()).toBe(1000);
      w.executed.length = 0;
      expect(w.held()).toEqual({ express: ['owner-express', 'second'] });
      expect(w.reloaded()).toBe(true);
    } finally {
      w.watched.close();
    }
  });

  it('follows rescores by another connection that cross the protected or the top-tier popularity (migration 057)', () => {
    publish(repo, 'express', [{}]);
    const names = () => securityRepoOf(db).knownNames('npm');
    expect(held()).toEqual({});
    const other = openRegistryDatabase(path.join(dir, 'registry.db'));
    const logged = () => db.prepare('SELECT count(*) FROM known_name_changes').pluck().get();
    try {
      // The seed rescores in its own process: this connection already knew express, so only the log tells it.
      score('express', 0.6, other);
      expect(held()).toEqual({ express: { owner: ['owner-express'], popularity: 0.6 } });
      const before = logged();
      score('express', 0.7, other);
      expect(logged()).toBe(before);
      score('express', 0.95, other);
      expect(logged()).toBe(Number(before) + 1);
      expect(held()).toEqual({ express: { owner: ['owner-express'], popularity: 0.95 } });
      score('express', 0.2, other);
      expect(held()).toEqual({});
      expect(names().withSkeleton('express')?.name).toBe('express');
    } finally {
      other.close();
    }
    // The triggers' figures are the check's own.
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'known_names_score_update'").pluck().get() as string;
    expect(sql).toContain(`>= ${DEFAULT_TYPOSQUAT_OPTIONS.protectedMin})`);
    expect(sql).toContain(`>= ${DEFAULT_TYPOSQUAT_OPTIONS.topTierMin})`);
  });

  it('prepares its statements once per connection, however often publishes and reports ask for it', () => {
    const other = openRegistryDatabase(path.join(dir, 'registry.db'));
    try {
      expect(securityRepoOf(db)).toBe(securityRepoOf(db));
      expect(securityRepoOf(other)).not.toBe(securityRepoOf(db));
      // Each connection keeps its own protected names, each up to date with the file.
      publish(repo, 'vue', [{}]);
      score('vue', 0.9);
      expect([...securityRepoOf(other).knownNames('npm').held()].map((k) => k.name)).toEqual(['vue']);
    } finally {
      other.close();
    }
  });

  it('keeps other ecosystems apart', () => {
    const id = repo.insert({ ecosystem: 'pypi', name: 'requests', scope: null, description: '', keywords: [], access: 'public', now: AT });
    repo.addMaintainer(id, { user_id: 'u-1', username: 'kenneth', email: 'k@example.test' }, AT);
    securityRepoOf(db).saveScore('pypi', 'requests', {
      quality: 1,
      popularity: 0.9,
      maintenance: 1,
      overall: 0.9,
      breakdown: {},
      scoringVersion: 't',
      computedAt: AT,
    });
    publish(repo, 'left-pad', [{}]);
    score('left-pad', 0.9);
    expect(held('pypi')).toEqual({ requests: { owner: ['kenneth'], popularity: 0.9 } });
    expect(held()).toEqual({ 'left-pad': { owner: ['owner-leftpad'], popularity: 0.9 } });
    expect(securityRepoOf(db).knownNames('npm').hasLowerCase('requests')).toBe(false);
    expect(securityRepoOf(db).knownNames('pypi').withSkeleton('leftpad')).toBeUndefined();
  });
});

describe('download population', () => {
  it('stays frozen between refreshes (the score job) and is rebuilt once older than its maximum age', () => {
    const db = openRegistryDatabase(':memory:');
    const repo = createPackagesRepo(db);
    const id = publish(repo, 'popular', [{}]);
    publish(repo, 'quiet', [{}]);
    const now = Date.parse(AT);
    const first = downloadsPopulation(db, 'npm', now);
    expect(first.n).toBe(2);
    expect(first.q.at(-1)).toBe(0);
    repo.addDownloads(id, '2026-11-26', 500);
    expect(downloadsPopulation(db, 'npm', now + 60_000)).toBe(first);
    expect(refreshDownloadsPopulation(db, 'npm', now + 60_000).q.at(-1)).toBe(500);
    repo.addDownloads(id, '2026-11-26', 500);
    expect(downloadsPopulation(db, 'npm', now + 120_000).q.at(-1)).toBe(500);
    expect(downloadsPopulation(db, 'npm', now + 2 * 3_600_000).q.at(-1)).toBe(1000);
    db.close();
  });
});

describe.each(['hot-demo', '@acme/hot-demo'])('rescoring after the acknowledgement (%s)', (name) => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  beforeEach(async () => {
    r = await buildTestRegistry();
    // The rescore queue's 100 ms timer never fires by itself here: what writes the score is what the test does.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await r.app.close();
  });
  const put = (version: string, pkg: Record<string, unknown> = {}) =>
    r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { 'content-type': 'application/json', ...bearer(r.alice) },
      payload: JSON.stringify(publishBody(name, version, { pkg: { license: 'MIT', ...pkg } })),
    });
  const stored = () =>
    r.db.prepare("SELECT overall, breakdown FROM package_scores WHERE ecosystem = 'npm' AND name = ?").get(name) as
      | { overall: number; breakdown: string }
      | undefined;

  it('acknowledges before the rescore; the next read applies it', async () => {
    expect((await put('1.0.0')).statusCode).toBe(201);
    // The scan verdict is stored with the version; the score is not written by the publish transaction.
    expect(r.db.prepare('SELECT verdict FROM scan_results WHERE name = ?').get(name)).toEqual({ verdict: 'info' });
    expect(stored()).toBeUndefined();
    const res = await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal });
    expect(res.statusCode).toBe(200);
    expect(stored()?.overall).toBe(res.json().score.overall);
  });

  it('any GET (here the packument npm reads next) writes the pending rescores before it is answered', async () => {
    expect((await put('1.0.0')).statusCode).toBe(201);
    expect(stored()).toBeUndefined();
    expect((await r.app.inject({ method: 'GET', url: docPath(name) })).statusCode).toBe(200);
    expect(stored()?.overall).toBeGreaterThan(0);
  });

  it('the periodic job rescores every package in the background', async () => {
    expect((await put('1.0.0')).statusCode).toBe(201);
    r.db.prepare('DELETE FROM package_scores').run();
    vi.useRealTimers();
    const security = createRegistrySecurity(r.db, createPackagesRepo(r.db), r.clock);
    const errors: unknown[] = [];
    const stop = security.startScoreJob(10, (err) => errors.push(err));
    try {
      await vi.waitFor(() => expect(stored()?.overall).toBeGreaterThan(0), { timeout: 5000 });
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
  });

  it('a second version is reflected in the score a reader gets right after its publish', async () => {
    expect((await put('0.1.0')).statusCode).toBe(201);
    const before = (await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal })).json();
    expect(before.flags.unstable).toBe(true);
    expect((await put('1.0.0')).statusCode).toBe(201);
    const after = (await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal })).json();
    expect(after.flags.unstable).toBe(false);
    expect(JSON.parse(stored()!.breakdown).flags.unstable).toBe(false);
  });

  it('writes the pending rescores when the registry closes', async () => {
    expect((await put('1.0.0')).statusCode).toBe(201);
    expect(stored()).toBeUndefined();
    // The in-memory database dies with the app: look at it in the moment it is closed.
    const close = r.db.close.bind(r.db);
    let atClose: ReturnType<typeof stored>;
    r.db.close = () => {
      atClose = stored();
      return close();
    };
    await r.app.close();
    expect(atClose?.overall).toBeGreaterThan(0);
  });
});
