// RubyGems push, yank, compact index, legacy Marshal index and quick gemspecs through buildApp + inject, for a
// plain and a dashed/underscored gem name: exact texts gem prints, immutability after yank, ETag = md5 rules.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gunzipSync, inflateSync } from 'node:zlib';
import { load } from '@hyrious/marshal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;

for (const name of ['hello', 'acc_hello-kit']) {
  describe(`RubyGems (${name})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());
    const push = (gem: Buffer, key = r.alice.token) =>
      r.app.inject({
        method: 'POST',
        url: '/rubygems/api/v1/gems',
        headers: { authorization: key, 'content-type': 'application/octet-stream' },
        payload: gem,
      });
    const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url: `/rubygems${url}`, headers });
    const yankVersion = (version: string) =>
      r.app.inject({
        method: 'DELETE',
        url: '/rubygems/api/v1/gems/yank',
        headers: { authorization: r.alice.token, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `gem_name=${name}&version=${version}`,
      });

    it('gem push stores the gem: 200 with the text gem prints; the .gem, /info and /versions follow', async () => {
      const gem = makeGem(name, '0.1.0', {
        runtime: [['rake', '>=', '12.0']],
        development: [['rspec', '~>', '3.0']],
        requiredRuby: ['>=', '2.5'],
      });
      const res = await push(gem);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(`Successfully registered gem: ${name} (0.1.0)`);
      const file = await get(`/gems/${name}-0.1.0.gem`);
      expect(file.rawPayload.equals(gem)).toBe(true);
      const info = await get(`/info/${name}`);
      expect(info.body).toBe(`---\n0.1.0 rake:>= 12.0|checksum:${sha256(gem)},ruby:>= 2.5\n`);
      expect(info.headers.etag).toBe(`"${md5(info.body)}"`);
      const versions = await get('/versions');
      expect(versions.body).toMatch(new RegExp(`^created_at: \\S+\\n---\\n${name} 0\\.1\\.0 ${md5(info.body)}\\n$`));
      expect(versions.headers.etag).toBe(`"${md5(versions.body)}"`);
      expect((await get('/names')).body).toBe(`---\n${name}\n`);
      expect(counts(r.db)).toMatchObject({ packages: 1, versions: 1, outbox: 1 });
      expect((await r.app.inject({ method: 'HEAD', url: '/rubygems/' })).statusCode).toBe(200);
    });

    it('compact index: 304 on the ETag, 206 for bytes=N-, 416 past the end (bundler updater rules)', async () => {
      await push(makeGem(name, '0.1.0'));
      const full = await get('/versions');
      expect((await get('/versions', { 'if-none-match': full.headers.etag as string })).statusCode).toBe(304);
      const len = full.rawPayload.length;
      const tail = await get('/versions', { range: `bytes=${len - 1}-` });
      expect(tail.statusCode).toBe(206);
      expect(tail.headers['content-range']).toBe(`bytes ${len - 1}-${len - 1}/${len}`);
      expect(tail.body).toBe('\n');
      expect((await get('/versions', { range: `bytes=${len}-` })).statusCode).toBe(416);
      // Append-only: the next push only adds a line.
      await push(makeGem(name, '0.2.0'));
      expect((await get('/versions')).body.startsWith(full.body)).toBe(true);
    });

    it('legacy index and quick gemspec load in Ruby with the right name, version and dependencies', async () => {
      await push(makeGem(name, '1.0.0', { runtime: [['rake', '>=', '12.0']] }));
      await push(makeGem(name, '2.0.0.beta1'));
      const specs = load(gunzipSync((await get('/specs.4.8.gz')).rawPayload)) as unknown[];
      expect(JSON.stringify(specs)).toContain(name);
      expect((specs as unknown[][]).length).toBe(1);
      expect((load(gunzipSync((await get('/prerelease_specs.4.8.gz')).rawPayload)) as unknown[]).length).toBe(1);
      const rz = (await get(`/quick/Marshal.4.8/${name}-1.0.0.gemspec.rz`)).rawPayload;
      inflateSync(rz);
      const ruby = execFileSync(
        'ruby',
        [
          '-rrubygems',
          '-rzlib',
          '-e',
          's = Marshal.load(Zlib::Inflate.inflate(STDIN.read)); puts [s.name, s.version, s.platform, s.dependencies.map(&:to_s).join(";")].join("|")',
        ],
        { input: rz },
      ).toString();
      expect(ruby.trim()).toBe(`${name}|1.0.0|ruby|rake (>= 12.0)`);
    });

    it('a yanked version is no longer latest: the newest release left is (a prerelease never is while a release is)', async () => {
      for (const v of ['0.1.0', '0.2.0', '0.3.0.beta1']) expect((await push(makeGem(name, v))).statusCode).toBe(200);
      const latest = () =>
        r.db
          .prepare(
            "SELECT t.version FROM dist_tags t JOIN packages p ON p.id = t.package_id WHERE p.ecosystem = 'rubygems' AND t.tag = 'latest'",
          )
          .pluck()
          .get();
      expect(latest()).toBe('0.2.0');
      const yank = await yankVersion('0.2.0');
      expect(yank.statusCode).toBe(200);
      expect(latest()).toBe('0.1.0');
    });

    it('a yanked version no longer downloads (rubygems.org deletes its files): .gem and quick gemspec 404 with the reason', async () => {
      const kept = makeGem(name, '0.1.0');
      for (const gem of [kept, makeGem(name, '0.2.0'), makeGem(name, '0.2.0', { platform: 'x86_64-linux' })])
        expect((await push(gem)).statusCode).toBe(200);
      expect((await get(`/gems/${name}-0.2.0.gem`)).statusCode).toBe(200);
      expect((await yankVersion('0.2.0')).statusCode).toBe(200);
      const yanked = `Version 0.2.0 of ${name} was yanked: it can no longer be downloaded.\n`;
      for (const url of [`/gems/${name}-0.2.0.gem`, `/quick/Marshal.4.8/${name}-0.2.0.gemspec.rz`]) {
        const res = await get(url);
        expect([res.statusCode, res.body, res.headers['content-type']], url).toEqual([404, yanked, 'text/plain; charset=utf-8']);
        // Only files that are served are immutable: a cache must not keep the refusal (or the file) for a year.
        expect(res.headers['cache-control'], url).toBeUndefined();
        expect(res.headers.etag, url).toBeUndefined();
      }
      // The platform gem of the same version is its own file, not yanked: it still downloads, as the kept release.
      expect((await get(`/gems/${name}-0.2.0-x86_64-linux.gem`)).statusCode).toBe(200);
      const file = await get(`/gems/${name}-0.1.0.gem`);
      expect(file.statusCode).toBe(200);
      expect(file.rawPayload.equals(kept)).toBe(true);
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await get(`/quick/Marshal.4.8/${name}-0.1.0.gemspec.rz`)).headers['cache-control']).toBe(
        'public, max-age=31536000, immutable',
      );
      // HEAD (Fastify's, from the GET route) answers the same.
      expect((await r.app.inject({ method: 'HEAD', url: `/rubygems/gems/${name}-0.2.0.gem` })).statusCode).toBe(404);
    });

    it('a re-push is 409 "Repushing of gem versions is not allowed.", also identical bytes and after a yank', async () => {
      const gem = makeGem(name, '0.1.0');
      await push(gem);
      const again = await push(gem);
      expect(again.statusCode).toBe(409);
      expect(again.body).toBe('Repushing of gem versions is not allowed.\n');
      const yank = await yankVersion('0.1.0');
      expect(yank.statusCode).toBe(200);
      expect(yank.body).toBe(`Successfully deleted gem: ${name} (0.1.0)`);
      expect((await get(`/info/${name}`)).body).toBe('---\n');
      expect((await get('/versions')).body).toContain(`\n${name} -0.1.0 ${md5('---\n')}\n`);
      const after = await push(makeGem(name, '0.1.0', { runtime: [['other', '>=', '1']] }));
      expect(after.statusCode).toBe(409);
      expect(fileCount(r)).toBe(1);
    });

    it('refuses invalid gems, gems of other owners, missing keys and read-only tokens; nothing stored', async () => {
      const notGem = await push(Buffer.from('definitely not a tar archive'.repeat(30)));
      expect(notGem.statusCode).toBe(400);
      expect(notGem.body).toMatch(/^the file is not a valid gem: /);
      const badName = await push(makeGem('../evil', '1.0.0'));
      expect(badName.body).toBe('the file is not a valid gem: "../evil" is not a valid gem name\n');
      const noMeta = await push(makeGem(name, '1.0.0', { yaml: '--- just a string\n' }));
      expect(noMeta.statusCode).toBe(400);
      const none = await r.app.inject({
        method: 'POST',
        url: '/rubygems/api/v1/gems',
        payload: makeGem(name, '1.0.0'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(none.statusCode).toBe(401);
      expect(none.body).not.toMatch(/^You have enabled multifactor/);
      expect((await push(makeGem(name, '1.0.0'), r.alice.readonlyToken)).statusCode).toBe(403);
      expect(fileCount(r)).toBe(0);
      await push(makeGem(name, '1.0.0'));
      const bob = await push(makeGem(name, '1.1.0'), r.bob.token);
      expect(bob.statusCode).toBe(403);
      expect(bob.body).toBe('You do not have permission to push to this gem.\n');
      const variant = await push(makeGem(name.toUpperCase(), '1.0.0'), r.bob.token);
      expect(variant.statusCode).toBe(409);
      expect(fileCount(r)).toBe(1);
    });

    it('a platform gem is its own file and compact-index version', async () => {
      await push(makeGem(name, '1.0.0'));
      const res = await push(makeGem(name, '1.0.0', { platform: 'x86_64-linux' }));
      expect(res.body).toBe(`Successfully registered gem: ${name} (1.0.0-x86_64-linux)`);
      expect((await get(`/info/${name}`)).body).toMatch(
        /^---\n1\.0\.0 \|checksum:[0-9a-f]{64}\n1\.0\.0-x86_64-linux \|checksum:[0-9a-f]{64}\n$/,
      );
      expect((await get(`/gems/${name}-1.0.0-x86_64-linux.gem`)).statusCode).toBe(200);
    });
  });
}
