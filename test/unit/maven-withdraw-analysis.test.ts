// A Maven artifact withdrawn after a checksum mismatch (registry/maven/deploy.ts withdraw) takes its analysis with
// it in the same transaction: the scan of the damaged jar, and, when the package itself goes, every scan and the
// score row (scan_results and package_scores are keyed by name, so nothing cascades from the package row). A
// package that stays is scored again without the withdrawn version. Runs for two groupIds.
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const jar = (text: string) =>
  Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }, { mtime: '2026-01-01T00:00:00Z' }),
  );

for (const groupId of ['com.example', 'org.acme.deep.tools']) {
  const name = `${groupId}:gone-lib`;
  const base = `/maven2/${groupId.replace(/\./g, '/')}/gone-lib`;
  const jarPath = (v: string) => `${base}/${v}/gone-lib-${v}.jar`;

  describe(`a withdrawn Maven artifact leaves no scan or score behind (${groupId})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());
    const put = (url: string, body: Buffer | string) =>
      r.app.inject({
        method: 'PUT',
        url,
        headers: { authorization: `Basic ${Buffer.from(`alice:${r.alice.token}`).toString('base64')}` },
        payload: Buffer.from(body),
      });
    const scans = () =>
      (
        r.db.prepare("SELECT version FROM scan_results WHERE ecosystem = 'maven' AND name = ? ORDER BY version").all(name) as {
          version: string;
        }[]
      ).map((s) => s.version);
    // Scores follow the acknowledgement; any GET applies the pending ones first (registry/app.ts), as a reader would.
    const score = async () => {
      await r.app.inject({ method: 'GET', url: '/health' });
      return r.db.prepare("SELECT computed_at AS computedAt FROM package_scores WHERE ecosystem = 'maven' AND name = ?").get(name) as
        | { computedAt: string }
        | undefined;
    };

    it('the package it created goes with its scan and score rows; a retry is scanned and scored afresh', async () => {
      expect((await put(jarPath('1.0.0'), jar('damaged'))).statusCode).toBe(201);
      expect(scans()).toEqual(['1.0.0']);
      expect(await score()).toBeDefined();
      const res = await put(`${jarPath('1.0.0')}.sha1`, sha1(jar('good')));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('CHECKSUM_MISMATCH');
      expect(r.db.prepare("SELECT count(*) AS n FROM packages WHERE ecosystem = 'maven'").get()).toEqual({ n: 0 });
      expect(scans()).toEqual([]);
      expect(await score()).toBeUndefined();
      // The retry with the right bytes is a new package: its own scan and score, nothing inherited.
      r.clock.advance(60_000);
      expect((await put(jarPath('1.0.0'), jar('good'))).statusCode).toBe(201);
      expect(scans()).toEqual(['1.0.0']);
      expect((await score())?.computedAt).toBe(new Date(r.clock.now()).toISOString());
    });

    it('a package that keeps other versions loses only the withdrawn version scan and is scored again without it', async () => {
      expect((await put(jarPath('1.0.0'), jar('one'))).statusCode).toBe(201);
      expect((await put(`${jarPath('1.0.0')}.sha1`, sha1(jar('one')))).statusCode).toBe(201);
      expect((await put(jarPath('1.1.0'), jar('damaged'))).statusCode).toBe(201);
      expect(scans()).toEqual(['1.0.0', '1.1.0']);
      r.clock.advance(60_000);
      expect((await put(`${jarPath('1.1.0')}.sha1`, sha1(jar('two')))).statusCode).toBe(400);
      expect(scans()).toEqual(['1.0.0']);
      expect((await score())?.computedAt).toBe(new Date(r.clock.now()).toISOString());
      const pkg = r.db
        .prepare(
          "SELECT p.search_score AS s, t.version AS latest FROM packages p JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest' WHERE p.name = ?",
        )
        .get(name) as { s: number | null; latest: string };
      expect(pkg.latest).toBe('1.0.0');
      expect(pkg.s).not.toBeNull();
    });

    it('a damaged jar beside the version POM drops that version scan while the version (its POM) stays', async () => {
      const pom = `<project><modelVersion>4.0.0</modelVersion><groupId>${groupId}</groupId><artifactId>gone-lib</artifactId><version>1.0.0</version></project>`;
      expect((await put(jarPath('1.0.0').replace(/jar$/, 'pom'), pom)).statusCode).toBe(201);
      expect((await put(jarPath('1.0.0'), jar('damaged'))).statusCode).toBe(201);
      expect(scans()).toEqual(['1.0.0']);
      expect((await put(`${jarPath('1.0.0')}.sha1`, sha1(jar('good')))).statusCode).toBe(400);
      expect(r.db.prepare('SELECT count(*) AS n FROM package_versions').get()).toEqual({ n: 1 });
      expect(scans()).toEqual([]);
      expect(await score()).toBeDefined();
    });
  });
}
