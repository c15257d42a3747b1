// rubygems.org's JSON API at /rubygems/api/v1/ (registry/rubygems/json-api.ts) through buildApp + inject: the gem
// document at its most recent live version (as rubygems.org picks it), the versions list newest first without yanked
// or quarantined versions, latest.json, rubygems.org's 404 text, and private gems hidden as /info hides them.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic } from '../fixtures/pypi/pypi-fixtures.ts';
import { type GemOptions, makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const internal = { 'x-internal-token': testSecrets.internalToken };
const HOST = 'gems.example.test:4873';
const NOT_FOUND = 'This rubygem could not be found.\n';
const METADATA = {
  source_code_uri: 'https://src.example.test/hello',
  changelog_uri: 'https://src.example.test/hello/CHANGELOG.md',
  funding_uri: 'https://fund.example.test/hello',
};

describe('RubyGems JSON API (/rubygems/api/v1/)', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const gems: Record<string, Buffer> = {};
  /** Pushes as alice, one minute after the previous push. */
  const push = async (name: string, version: string, o: GemOptions = {}) => {
    r.clock.advance(60_000);
    const gem = makeGem(name, version, o);
    gems[`${name}-${version}${o.platform ? `-${o.platform}` : ''}`] = gem;
    const res = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
      payload: gem,
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const yank = async (name: string, version: string, platform = 'ruby') => {
    const res = await r.app.inject({
      method: 'DELETE',
      url: '/rubygems/api/v1/gems/yank',
      headers: { authorization: r.alice.token, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `gem_name=${name}&version=${version}&platform=${platform}`,
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const get = (url: string, headers: Record<string, string> = {}) =>
    r.app.inject({ method: 'GET', url: `/rubygems/api/v1${url}`, headers: { host: HOST, ...headers } });
  const json = async (url: string, headers: Record<string, string> = {}) => {
    const res = await get(url, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const listed = async (name: string) =>
    (await json(`/versions/${name}.json`)).map((v: { number: string; platform: string }) => `${v.number} ${v.platform}`);

  /** hello: 1.0.0 .. 1.2.0 releases (1.1.0 also for x86_64-linux), a 2.0.0.beta1 prerelease, 1.2.0 yanked. */
  const pushHello = async () => {
    await push('hello', '1.0.0', { runtime: [['rake', '>=', '12.0']], requiredRuby: ['>=', '2.5'] });
    await push('hello', '1.1.0', {
      runtime: [
        ['zeitwerk', '~>', '2.6'],
        ['rake', '>=', '12.0'],
      ],
      development: [
        ['rspec', '~>', '3.0'],
        ['minitest', '>=', '5'],
      ],
      metadata: METADATA,
    });
    await push('hello', '1.1.0', { platform: 'x86_64-linux' });
    await push('hello', '1.2.0');
    await push('hello', '2.0.0.beta1');
    await yank('hello', '1.2.0');
  };

  it('gems/NAME.json: the latest live release with its gemspec fields, download total, split dependencies and links', async () => {
    await pushHello();
    for (let i = 0; i < 2; i++) expect((await r.app.inject({ method: 'GET', url: '/rubygems/gems/hello-1.1.0.gem' })).statusCode).toBe(200);
    // Counts are written once a second; the internal details write them before answering.
    expect((await r.app.inject({ method: 'GET', url: '/internal/packages/hello?ecosystem=rubygems', headers: internal })).statusCode).toBe(
      200,
    );
    const res = await get('/gems/hello.json');
    expect(res.statusCode).toBe(200);
    expect([res.headers['content-type'], res.headers['cache-control'], res.headers.vary]).toEqual([
      'application/json; charset=utf-8',
      'max-age=60',
      'Authorization',
    ]);
    expect(res.json()).toEqual({
      name: 'hello',
      downloads: 2,
      // 1.2.0 is yanked and 2.0.0.beta1 a prerelease: 1.1.0, of the ruby platform.
      version: '1.1.0',
      version_created_at: '2026-11-26T10:02:00.000Z',
      version_downloads: 2,
      platform: 'ruby',
      authors: 'Test Author',
      info: 'A gem for tests.',
      licenses: ['MIT'],
      metadata: METADATA,
      yanked: false,
      sha: sha256(gems['hello-1.1.0']),
      spec_sha: null,
      project_uri: `http://${HOST}/rubygems/api/v1/gems/hello.json`,
      gem_uri: `http://${HOST}/rubygems/gems/hello-1.1.0.gem`,
      homepage_uri: 'https://example.test/hello',
      wiki_uri: null,
      documentation_uri: null,
      mailing_list_uri: null,
      source_code_uri: METADATA.source_code_uri,
      bug_tracker_uri: null,
      changelog_uri: METADATA.changelog_uri,
      funding_uri: METADATA.funding_uri,
      dependencies: {
        development: [
          { name: 'minitest', requirements: '>= 5' },
          { name: 'rspec', requirements: '~> 3.0' },
        ],
        runtime: [
          { name: 'rake', requirements: '>= 12.0' },
          { name: 'zeitwerk', requirements: '~> 2.6' },
        ],
      },
    });
    // The gem_uri is the file this registry serves, with the sha it announces.
    const file = await r.app.inject({ method: 'GET', url: new URL(res.json().gem_uri).pathname });
    expect(sha256(file.rawPayload)).toBe(res.json().sha);

    // Yanking the ruby 1.1.0 leaves its x86_64-linux build, but rubygems.org shows the ruby platform's release first.
    await yank('hello', '1.1.0');
    const after = await json('/gems/hello.json');
    expect([after.version, after.platform, after.gem_uri, after.source_code_uri]).toEqual([
      '1.0.0',
      'ruby',
      `http://${HOST}/rubygems/gems/hello-1.0.0.gem`,
      null,
    ]);
    expect(after.dependencies).toEqual({ development: [], runtime: [{ name: 'rake', requirements: '>= 12.0' }] });
  });

  it('versions/NAME.json lists the live versions newest first, yanked ones left out; latest.json names the most recent', async () => {
    await pushHello();
    expect(await listed('hello')).toEqual(['2.0.0.beta1 ruby', '1.1.0 x86_64-linux', '1.1.0 ruby', '1.0.0 ruby']);
    const versions = await json('/versions/hello.json');
    expect(versions.at(-1)).toEqual({
      authors: 'Test Author',
      built_at: null,
      created_at: '2026-11-26T10:01:00.000Z',
      description: 'A gem for tests.',
      downloads_count: 0,
      metadata: {},
      number: '1.0.0',
      summary: 'hello for tests',
      platform: 'ruby',
      rubygems_version: '>= 0',
      ruby_version: '>= 2.5',
      prerelease: false,
      licenses: ['MIT'],
      requirements: null,
      sha: sha256(gems['hello-1.0.0']),
      spec_sha: null,
    });
    expect(versions[0]).toMatchObject({ number: '2.0.0.beta1', prerelease: true, sha: sha256(gems['hello-2.0.0.beta1']) });
    expect(versions[1]).toMatchObject({ number: '1.1.0', platform: 'x86_64-linux', sha: sha256(gems['hello-1.1.0-x86_64-linux']) });
    const res = await get('/versions/hello/latest.json');
    expect([res.statusCode, res.headers['cache-control'], res.headers.vary]).toEqual([200, 'max-age=60', 'Authorization']);
    expect(res.json()).toEqual({ version: '1.1.0' });

    await yank('hello', '1.1.0');
    expect(await listed('hello')).toEqual(['2.0.0.beta1 ruby', '1.1.0 x86_64-linux', '1.0.0 ruby']);
    expect(await json('/versions/hello/latest.json')).toEqual({ version: '1.0.0' });

    // Prereleases only: the last one pushed, as rubygems.org.
    await push('edge', '1.0.0.rc1');
    await push('edge', '1.0.0.rc2');
    expect(await json('/versions/edge/latest.json')).toEqual({ version: '1.0.0.rc2' });
    expect((await json('/gems/edge.json')).version).toBe('1.0.0.rc2');
    expect(await listed('edge')).toEqual(['1.0.0.rc2 ruby', '1.0.0.rc1 ruby']);
  });

  it('a quarantined version is left out as from the compact index, until it is released', async () => {
    await pushHello();
    const review = (action: string) =>
      r.app.inject({
        method: 'POST',
        url: '/internal/security/reviews',
        headers: internal,
        payload: { by: 'root', ecosystem: 'rubygems', name: 'hello', version: '1.1.0', action },
      });
    expect((await review('quarantine')).statusCode).toBe(200);
    expect(await listed('hello')).toEqual(['2.0.0.beta1 ruby', '1.0.0 ruby']);
    expect((await json('/gems/hello.json')).version).toBe('1.0.0');
    expect(await json('/versions/hello/latest.json')).toEqual({ version: '1.0.0' });
    expect((await review('release')).statusCode).toBe(200);
    expect((await json('/gems/hello.json')).version).toBe('1.1.0');
  });

  it("an unknown gem, or one whose every version was yanked, answers rubygems.org's 404 text; latest.json says unknown", async () => {
    await push('gone', '0.1.0');
    await yank('gone', '0.1.0');
    for (const url of ['/gems/nope.json', '/versions/nope.json', '/gems/gone.json', '/versions/gone.json', '/gems/..json', '/gems/gone']) {
      const res = await get(url);
      expect([res.statusCode, res.body, res.headers['content-type']], url).toEqual([404, NOT_FOUND, 'text/plain; charset=utf-8']);
    }
    expect(await json('/versions/nope/latest.json')).toEqual({ version: 'unknown' });
    expect(await json('/versions/gone/latest.json')).toEqual({ version: 'unknown' });
  });

  it('a private gem: its readers get it, an anonymous caller the 401 challenge, a stranger what an unknown gem gets', async () => {
    await pushHello();
    const access = await r.app.inject({
      method: 'POST',
      url: '/rubygems/-/access',
      headers: { ...basic('alice', r.alice.token), 'content-type': 'application/json' },
      payload: { name: 'hello', access: 'restricted' },
    });
    expect(access.statusCode).toBe(200);
    const urls = ['/gems/hello.json', '/versions/hello.json', '/versions/hello/latest.json'];
    for (const url of urls) {
      const anonymous = await get(url);
      expect([anonymous.statusCode, anonymous.headers['www-authenticate']], url).toEqual([401, 'Basic realm="rubygems"']);
      const owner = await get(url, basic('alice', r.alice.token));
      expect([owner.statusCode, owner.headers['cache-control'], owner.headers.vary], url).toEqual([200, 'max-age=60', 'Authorization']);
    }
    expect((await json('/gems/hello.json', basic('alice', r.alice.token))).version).toBe('1.1.0');
    // bob is signed in but outside the gem: the answers of a gem that does not exist.
    const bob = { authorization: r.bob.token };
    for (const url of urls.slice(0, 2)) {
      const [hidden, unknown] = [await get(url, bob), await get(url.replace('hello', 'nope'), bob)];
      expect([hidden.statusCode, hidden.body], url).toEqual([unknown.statusCode, unknown.body]);
      expect([hidden.statusCode, hidden.body], url).toEqual([404, NOT_FOUND]);
    }
    expect(await json('/versions/hello/latest.json', bob)).toEqual({ version: 'unknown' });
  });

  it('absolute links follow REGISTRY_PUBLIC_URL when it is set (given with or without /npm)', async () => {
    await r.app.close();
    r = await buildTestRegistry({ REGISTRY_PUBLIC_URL: 'https://registry.example.com/npm/' });
    await push('hello', '1.0.0');
    expect(await json('/gems/hello.json')).toMatchObject({
      project_uri: 'https://registry.example.com/rubygems/api/v1/gems/hello.json',
      gem_uri: 'https://registry.example.com/rubygems/gems/hello-1.0.0.gem',
    });
  });
});
