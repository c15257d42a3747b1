// npm unpublish and the security/scoring rows (migrations 020-022): an unpublished version leaves no scan behind
// (nothing for an admin to review, nothing to diff the next publish against), the package is rescored without it
// in the same transaction, its reverse-dependency rows follow the new latest, and a whole-package unpublish drops
// every scan, the score and the dependency rows. A refused unpublish changes none of them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };
const json = { 'content-type': 'application/json' };
const MINUTE = 60_000;
// A base64-decoded eval: published with a warn verdict and flagged for an admin's review.
const flaggedJs = "eval(atob('Y29uc29sZS5sb2coMSk='));\n";

for (const name of ['unpub-scan', '@acme/unpub-scan']) {
  describe(`npm unpublish drops the analysis rows (${name})`, () => {
    let r: Reg;
    const put = (url: string, body: unknown, who = r.alice) =>
      r.app.inject({ method: 'PUT', url, headers: { ...bearer(who), ...json }, payload: JSON.stringify(body) });
    const publish = (version: string, deps: Record<string, string>, indexJs = `module.exports = '${version}';\n`) => {
      const pkg = { name, version, description: 'unpublish test', license: 'MIT', main: 'index.js', dependencies: deps };
      return put(
        docPath(name),
        publishBody(name, version, {
          pkg,
          files: [
            { path: 'package/package.json', content: JSON.stringify(pkg) },
            { path: 'package/index.js', content: indexJs },
          ],
        }),
      );
    };
    const doc = async () => (await r.app.inject({ method: 'GET', url: `${docPath(name)}?write=true` })).json();
    const scans = () =>
      (
        r.db.prepare("SELECT version FROM scan_results WHERE ecosystem = 'npm' AND name = ? ORDER BY version").all(name) as {
          version: string;
        }[]
      ).map((s) => s.version);
    const scoreRows = () =>
      r.db.prepare("SELECT count(*) AS n FROM package_scores WHERE ecosystem = 'npm' AND name = ?").get(name) as { n: number };
    const dependencies = () =>
      (r.db.prepare('SELECT dependency FROM package_dependents ORDER BY dependency').all() as { dependency: string }[]).map(
        (d) => d.dependency,
      );
    const score = async () => {
      const res = await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal });
      return { status: res.statusCode, body: res.json() };
    };
    const flagged = async () =>
      (await r.app.inject({ method: 'GET', url: '/internal/security/reviews', headers: internal }))
        .json()
        .flagged.map((f: { name: string; version: string }) => `${f.name}@${f.version}`);

    beforeEach(async () => {
      r = await buildTestRegistry();
      expect((await publish('0.9.0', { 'left-pad': '^1.0.0' })).statusCode).toBe(201);
      expect((await publish('1.0.0', { 'right-pad': '^1.0.0' }, flaggedJs)).statusCode).toBe(201);
      // The score of the publishes (a GET applies the pending rescores): latest 1.0.0 is a stable version.
      expect((await score()).body.flags.unstable).toBe(false);
      expect(scans()).toEqual(['0.9.0', '1.0.0']);
      expect(dependencies()).toEqual(['right-pad']);
      expect(await flagged()).toEqual([`${name}@1.0.0`]);
    });
    afterEach(async () => r.app.close());

    it('one version: its scan goes, the package is rescored without it, dependency rows follow the new latest', async () => {
      r.clock.advance(MINUTE);
      const d = await doc();
      delete d.versions['1.0.0'];
      expect((await put(`${docPath(name)}/-rev/${d._rev}`, d)).statusCode).toBe(200);

      expect(scans()).toEqual(['0.9.0']);
      expect(dependencies()).toEqual(['left-pad']);
      // Rescored in the unpublish's transaction: the stored row already has latest 0.9.0 (unstable), at this minute.
      const stored = r.db.prepare("SELECT breakdown, computed_at FROM package_scores WHERE ecosystem = 'npm' AND name = ?").get(name) as {
        breakdown: string;
        computed_at: string;
      };
      expect(stored.computed_at).toBe(new Date(r.clock.now()).toISOString());
      expect(JSON.parse(stored.breakdown).flags.unstable).toBe(true);
      expect((await score()).body).toMatchObject({ flags: { unstable: true }, computedAt: stored.computed_at });

      // Nothing left to review, and a review of the gone version finds no scan.
      expect(await flagged()).toEqual([]);
      const review = await r.app.inject({
        method: 'POST',
        url: '/internal/security/reviews',
        headers: internal,
        payload: { name, version: '1.0.0', action: 'quarantine', by: 'root' },
      });
      expect(review.statusCode).toBe(404);
      expect(review.json().code).toBe('SCAN_NOT_FOUND');
    });

    it('the whole package: every scan, the score and the dependency rows go, and no pending rescore brings a score back', async () => {
      const d = await doc();
      const res = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.alice) });
      expect(res.statusCode).toBe(200);

      expect(scans()).toEqual([]);
      expect(scoreRows().n).toBe(0);
      expect(dependencies()).toEqual([]);
      expect(await flagged()).toEqual([]);
      expect(await score()).toMatchObject({ status: 404, body: { code: 'PACKAGE_NOT_FOUND' } });
      expect(scoreRows().n).toBe(0);
    });

    it('the tarball DELETE that follows a version unpublish finds nothing more to drop; a refused unpublish drops nothing', async () => {
      // After 72 hours, with a dependent in the registry, alice may no longer unpublish (403): rows untouched.
      expect(
        (await put('/npm/dependent', publishBody('dependent', '1.0.0', { pkg: { dependencies: { [name]: '^1.0.0' } } }))).statusCode,
      ).toBe(201);
      r.clock.advance(73 * 60 * MINUTE);
      const d = await doc();
      const refused = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.alice) });
      expect(refused.statusCode).toBe(403);
      expect(scans()).toEqual(['0.9.0', '1.0.0']);
      expect(scoreRows().n).toBe(1);
      expect(await flagged()).toEqual([`${name}@1.0.0`]);

      // An admin may: the version's tarball DELETE (what npm sends after the -rev PUT) unpublishes it the same way.
      const bare = name.split('/').pop();
      const tgz = await r.app.inject({
        method: 'DELETE',
        url: `/npm/${name}/-/${bare}-1.0.0.tgz/-rev/${d._rev}`,
        headers: bearer(r.admin),
      });
      expect(tgz.statusCode).toBe(200);
      expect(scans()).toEqual(['0.9.0']);
      expect(await flagged()).toEqual([]);
      expect((await score()).body.flags.unstable).toBe(true);
      expect(
        r.db.prepare('SELECT count(*) AS n FROM package_versions v JOIN packages p ON p.id = v.package_id WHERE p.name = ?').get(name),
      ).toEqual({
        n: 1,
      });
    });
  });
}
