// Download totals per version (migration 058, registry/npm/downloads.ts): counted through the real download routes
// of RubyGems, npm and PyPI, written by the same batched flush as the per-day counts and in the same transaction,
// shown by the RubyGems JSON API (version_downloads, downloads_count), and gone with their version or package.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDownloadCounter } from '../../registry/npm/downloads.ts';
import { createPackagesRepo, type PackagesRepo } from '../../registry/packages-repo.ts';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };
const json = { 'content-type': 'application/json' };

describe('per-version download counts', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  /** version -> total, as stored (migration 058). */
  const totals = (ecosystem: string, name: string) =>
    Object.fromEntries(
      (
        r.db
          .prepare(
            `SELECT d.version, d.count FROM version_downloads d JOIN packages p ON p.id = d.package_id
             WHERE p.ecosystem = ? AND p.name = ? ORDER BY d.version`,
          )
          .all(ecosystem, name) as { version: string; count: number }[]
      ).map((row) => [row.version, row.count]),
    );
  const rowsIn = (table: string) => (r.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  /** The internal details route writes pending counts before it answers (the counter otherwise flushes once a second). */
  const flush = async (ecosystem: string, name: string) => {
    const res = await r.app.inject({ method: 'GET', url: `/internal/packages/${name}?ecosystem=${ecosystem}`, headers: internal });
    expect(res.statusCode, res.body).toBe(200);
  };
  const pushGem = async (name: string, version: string, platform?: string) => {
    const res = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
      payload: makeGem(name, version, platform ? { platform } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const getGem = async (file: string, method: 'GET' | 'HEAD' = 'GET') => {
    const res = await r.app.inject({ method, url: `/rubygems/gems/${file}` });
    expect(res.statusCode, res.body).toBe(200);
  };
  const publishNpm = async (name: string, version: string) => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { ...bearer(r.alice), ...json },
      payload: JSON.stringify(publishBody(name, version)),
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const tarball = (name: string, version: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
    r.app.inject({ method, url: `/npm/${name}/-/${name}-${version}.tgz`, headers });
  const npmDoc = async (name: string) => (await r.app.inject({ method: 'GET', url: `${docPath(name)}?write=true` })).json();

  it('RubyGems JSON API: version_downloads and downloads_count are the counts of the .gem downloads of each version', async () => {
    await pushGem('counted', '1.0.0');
    await pushGem('counted', '1.1.0');
    await getGem('counted-1.0.0.gem');
    await getGem('counted-1.0.0.gem');
    await getGem('counted-1.1.0.gem');
    await getGem('counted-1.1.0.gem', 'HEAD'); // not a download
    await flush('rubygems', 'counted');
    expect(totals('rubygems', 'counted')).toEqual({ '1.0.0': 2, '1.1.0': 1 });

    const gem = await r.app.inject({ method: 'GET', url: '/rubygems/api/v1/gems/counted.json' });
    expect(gem.statusCode, gem.body).toBe(200);
    expect(gem.json()).toMatchObject({ name: 'counted', downloads: 3, version: '1.1.0', version_downloads: 1 });
    const versions = await r.app.inject({ method: 'GET', url: '/rubygems/api/v1/versions/counted.json' });
    expect(versions.statusCode, versions.body).toBe(200);
    expect(versions.json().map((v: { number: string; downloads_count: number }) => [v.number, v.downloads_count])).toEqual([
      ['1.1.0', 1],
      ['1.0.0', 2],
    ]);
    // The per-day table, the charts' source, counts the same downloads once each.
    expect(r.db.prepare('SELECT day, count FROM download_counts').all()).toEqual([{ day: '2026-11-26', count: 3 }]);
  });

  it('a version never downloaded shows 0; the platforms of one version share its total', async () => {
    await pushGem('plat', '1.0.0');
    await pushGem('plat', '1.0.0', 'x86_64-linux');
    await pushGem('plat', '0.9.0');
    await getGem('plat-1.0.0.gem');
    await getGem('plat-1.0.0-x86_64-linux.gem');
    await flush('rubygems', 'plat');
    const versions = (await r.app.inject({ method: 'GET', url: '/rubygems/api/v1/versions/plat.json' })).json();
    expect(
      versions.map((v: { number: string; platform: string; downloads_count: number }) => [v.number, v.platform, v.downloads_count]),
    ).toEqual([
      ['1.0.0', 'x86_64-linux', 2],
      ['1.0.0', 'ruby', 2],
      ['0.9.0', 'ruby', 0],
    ]);
  });

  it('an npm tarball download (and a 304 revalidation, not a HEAD) is counted for its version', async () => {
    await publishNpm('tally', '1.0.0');
    await publishNpm('tally', '1.1.0');
    const first = await tarball('tally', '1.0.0');
    expect(first.statusCode).toBe(200);
    expect((await tarball('tally', '1.0.0', { 'if-none-match': first.headers.etag as string })).statusCode).toBe(304);
    expect((await tarball('tally', '1.1.0')).statusCode).toBe(200);
    expect((await tarball('tally', '1.1.0', {}, 'HEAD')).statusCode).toBe(200);
    await flush('npm', 'tally');
    expect(totals('npm', 'tally')).toEqual({ '1.0.0': 2, '1.1.0': 1 });
    // Added to at the next flush, not replaced.
    expect((await tarball('tally', '1.1.0')).statusCode).toBe(200);
    await flush('npm', 'tally');
    expect(totals('npm', 'tally')).toEqual({ '1.0.0': 2, '1.1.0': 2 });
  });

  it('a PyPI file download is counted for its release', async () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const f = uploadForm(makeWheel('per-ver', version), 'per-ver', version);
      const up = await r.app.inject({
        method: 'POST',
        url: '/pypi/legacy/',
        headers: { ...f.headers, ...basic('alice', r.alice.token) },
        payload: f.payload,
      });
      expect(up.statusCode, up.body).toBe(200);
    }
    const res = await r.app.inject({ method: 'GET', url: `/pypi/files/per-ver/${makeWheel('per-ver', '2.0.0').filename}` });
    expect(res.statusCode).toBe(200);
    await flush('pypi', 'per-ver');
    expect(totals('pypi', 'per-ver')).toEqual({ '2.0.0': 1 });
  });

  it('the flush writes the per-version totals and the per-day counts in one transaction: a failure writes neither', async () => {
    await publishNpm('atomic', '1.0.0');
    await publishNpm('atomic', '2.0.0');
    const id = r.db.prepare("SELECT id FROM packages WHERE name = 'atomic'").pluck().get() as number;
    const real = createPackagesRepo(r.db);
    // Each table's write fails once, after the other's went through in the same flush.
    for (const failing of ['addDownloads', 'addVersionDownloads'] as const) {
      let failNext = true;
      const repo: PackagesRepo = {
        ...real,
        [failing]: (...args: [number, string, number]) => {
          (real[failing] as (...a: [number, string, number]) => unknown)(...args);
          if (failNext) {
            failNext = false;
            throw new Error('database is locked');
          }
        },
      };
      const counter = createDownloadCounter(r.db, repo, r.clock, 60_000);
      const before = { totals: totals('npm', 'atomic'), days: rowsIn('download_counts') };
      counter.count(id, '1.0.0', 'atomic');
      counter.count(id, '1.0.0', 'atomic');
      counter.count(id, '2.0.0', 'atomic');
      expect(() => counter.flush()).toThrow(/locked/);
      expect({ totals: totals('npm', 'atomic'), days: rowsIn('download_counts') }).toEqual(before);
      counter.flush(); // the kept counts, written once
      counter.stop();
    }
    expect(totals('npm', 'atomic')).toEqual({ '1.0.0': 4, '2.0.0': 2 });
    expect(r.db.prepare('SELECT downloads FROM packages WHERE id = ?').pluck().get(id)).toBe(6);
    expect(r.db.prepare('SELECT count FROM download_counts WHERE package_id = ?').pluck().get(id)).toBe(6);
  });

  it('unpublishing a version or the package leaves no total behind; a count for a version gone before the flush is dropped', async () => {
    await publishNpm('gone', '1.0.0');
    await publishNpm('gone', '1.1.0');
    await publishNpm('gone', '1.2.0');
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect((await tarball('gone', v)).statusCode).toBe(200);
    await flush('npm', 'gone');
    expect(totals('npm', 'gone')).toEqual({ '1.0.0': 1, '1.1.0': 1, '1.2.0': 1 });

    // npm unpublish of one version: the document PUT back without it.
    const d = await npmDoc('gone');
    delete d.versions['1.1.0'];
    const put = await r.app.inject({
      method: 'PUT',
      url: `${docPath('gone')}/-rev/${d._rev}`,
      headers: { ...bearer(r.alice), ...json },
      payload: JSON.stringify(d),
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(totals('npm', 'gone')).toEqual({ '1.0.0': 1, '1.2.0': 1 });

    // Downloaded, then unpublished before the counter wrote it: the package's count stays, the version's is dropped
    // (its row would break the foreign key and fail every later flush).
    expect((await tarball('gone', '1.2.0')).statusCode).toBe(200);
    const d2 = await npmDoc('gone');
    delete d2.versions['1.2.0'];
    const put2 = await r.app.inject({
      method: 'PUT',
      url: `${docPath('gone')}/-rev/${d2._rev}`,
      headers: { ...bearer(r.alice), ...json },
      payload: JSON.stringify(d2),
    });
    expect(put2.statusCode, put2.body).toBe(200);
    await flush('npm', 'gone');
    expect(totals('npm', 'gone')).toEqual({ '1.0.0': 1 });
    expect(r.db.prepare("SELECT downloads FROM packages WHERE name = 'gone'").pluck().get()).toBe(4);

    const all = await r.app.inject({
      method: 'DELETE',
      url: `${docPath('gone')}/-rev/${(await npmDoc('gone'))._rev}`,
      headers: bearer(r.alice),
    });
    expect(all.statusCode, all.body).toBe(200);
    expect(rowsIn('version_downloads')).toBe(0);
    expect(r.db.pragma('foreign_key_check')).toEqual([]);
  });

  it('a gem version or package row removed takes its totals with it (cascade), whatever removes it', async () => {
    await pushGem('cascade', '1.0.0');
    await pushGem('cascade', '2.0.0');
    await getGem('cascade-1.0.0.gem');
    await getGem('cascade-2.0.0.gem');
    await flush('rubygems', 'cascade');
    expect(totals('rubygems', 'cascade')).toEqual({ '1.0.0': 1, '2.0.0': 1 });
    // RubyGems has no removal route (a yank keeps the version and its count, as rubygems.org): the rows go as any
    // other path that removes a version or a package removes them.
    const repo = createPackagesRepo(r.db);
    const id = repo.find('rubygems', 'cascade')!.id;
    repo.removeVersion(id, '1.0.0');
    expect(totals('rubygems', 'cascade')).toEqual({ '2.0.0': 1 });
    repo.remove(id);
    expect(rowsIn('version_downloads')).toBe(0);
    expect(r.db.pragma('foreign_key_check')).toEqual([]);
  });
});
