// Group-level maven-metadata.xml (<group path>/maven-metadata.xml), which Maven reads to resolve `mvn <prefix>:<goal>`
// for each <pluginGroup>: regenerated from the plugins stored in the group (the goalPrefix of the plugin descriptor
// read when the jar was deployed, the latest release's), with its checksums; readable plugins only; the ambiguous
// path (artifact com:acme or group com.acme) answered by an existing artifact first; client copies ignored; a
// descriptor Maven could not use refused with nothing stored. Through buildApp + inject, for two groupIds.
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMavenPath } from '../../registry/maven/coordinates.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const hex = (alg: string, b: Buffer | string) => createHash(alg).update(b).digest('hex');
const basic = (user: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });
const FIXED_TIME = '2026-01-01T00:00:00Z';
const enc = (s: string) => new TextEncoder().encode(s);

/** A plugin descriptor as maven-plugin-plugin writes it; `prefix: null` leaves goalPrefix out. */
const descriptor = (o: { prefix?: string | null; name?: string }) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<plugin>
${o.name === undefined ? '' : `  <name>${o.name}</name>\n`}  <description>says hello</description>
  <groupId>ignored</groupId>
  <artifactId>ignored</artifactId>
  <version>0</version>
${o.prefix === null ? '' : `  <goalPrefix>${o.prefix ?? 'hello'}</goalPrefix>\n`}  <mojos><mojo><goal>greet</goal><implementation>com.acme.HelloMojo</implementation></mojo></mojos>
</plugin>
`;
/** A jar (zip): with a plugin descriptor, or raw descriptor text, or none. */
const jar = (o: { plugin?: string; text?: string } = {}) =>
  Buffer.from(
    zipSync(
      {
        'META-INF/MANIFEST.MF': enc(`Manifest-Version: 1.0\n${o.text ?? ''}\n`),
        ...(o.plugin !== undefined && { 'META-INF/maven/plugin.xml': enc(o.plugin) }),
      },
      { mtime: FIXED_TIME },
    ),
  );
const pom = (g: string, a: string, v: string, o: { packaging?: string; name?: string } = {}) =>
  `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version><packaging>${o.packaging ?? 'maven-plugin'}</packaging>${o.name === undefined ? '' : `<name>${o.name}</name>`}</project>`;
/** The group-level metadata Maven expects, for plugins given as [name, prefix, artifactId]. */
const expected = (plugins: [string, string, string][]) =>
  [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata>',
    '  <plugins>',
    ...plugins.flatMap(([name, prefix, artifactId]) => [
      '    <plugin>',
      `      <name>${name}</name>`,
      `      <prefix>${prefix}</prefix>`,
      `      <artifactId>${artifactId}</artifactId>`,
      '    </plugin>',
    ]),
    '  </plugins>',
    '</metadata>',
    '',
  ].join('\n');
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;

function client(r: () => Reg) {
  const put = (url: string, body: Buffer | string, headers: Record<string, string> = basic('alice', r().alice.token)) =>
    r().app.inject({ method: 'PUT', url, headers: { expect: '100-continue', ...headers }, payload: Buffer.from(body) });
  const get = (url: string, headers: Record<string, string> = {}) => r().app.inject({ method: 'GET', url, headers });
  /** Deploys a file as mvn does: the file, then its .sha1 and .md5. */
  const deploy = async (url: string, bytes: Buffer | string, headers?: Record<string, string>) => {
    const res = await put(url, bytes, headers);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(201);
    expect((await put(`${url}.sha1`, hex('sha1', bytes), headers)).statusCode).toBe(201);
    expect((await put(`${url}.md5`, hex('md5', bytes), headers)).statusCode).toBe(201);
  };
  return { put, get, deploy };
}

for (const groupId of ['com.acme', 'org.example.tools.deep']) {
  const g = groupId.replace(/\./g, '/');
  const groupMeta = `/maven2/${g}/maven-metadata.xml`;
  describe(`Maven group-level metadata and plugin prefixes (${groupId})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());
    const { put, get, deploy } = client(() => r);
    /** Deploys artifactId:version as mvn deploy does: the jar, then the POM. */
    const deployPlugin = async (
      artifactId: string,
      version: string,
      o: { jar?: Buffer; packaging?: string; pomName?: string; headers?: Record<string, string> } = {},
    ) => {
      const dir = `/maven2/${g}/${artifactId}/${version}`;
      await deploy(`${dir}/${artifactId}-${version}.jar`, o.jar ?? jar({ plugin: descriptor({ name: 'Hello Maven Plugin' }) }), o.headers);
      await deploy(
        `${dir}/${artifactId}-${version}.pom`,
        pom(groupId, artifactId, version, { packaging: o.packaging, name: o.pomName }),
        o.headers,
      );
    };

    it('lists a deployed plugin with the prefix and name of its descriptor; checksums of the bytes served; HEAD; client copies ignored', async () => {
      // Before: 404 as for any missing file.
      const before = await get(groupMeta);
      expect([before.statusCode, before.json().code]).toEqual([404, 'FILE_NOT_FOUND']);
      await deployPlugin('hello-maven-plugin', '1.0.0');
      // mvn deploy of a maven-plugin PUTs its own merged group metadata: accepted and ignored.
      expect((await put(groupMeta, '<metadata><plugins><plugin><prefix>evil</prefix></plugin></plugins></metadata>')).statusCode).toBe(201);
      expect((await put(`${groupMeta}.sha1`, 'f'.repeat(40))).statusCode).toBe(201);
      const res = await get(groupMeta);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/xml');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(expected([['Hello Maven Plugin', 'hello', 'hello-maven-plugin']]));
      for (const alg of ['sha1', 'md5', 'sha256', 'sha512']) {
        const sum = await get(`${groupMeta}.${alg}`);
        expect([sum.statusCode, sum.headers['cache-control'], sum.body]).toEqual([200, 'no-cache', hex(alg, res.body)]);
      }
      const head = await r.app.inject({ method: 'HEAD', url: groupMeta });
      expect([head.statusCode, head.headers['content-type'], head.body]).toEqual([200, 'application/xml', '']);
      // The plugin's own artifact-level metadata is as before (Maven reads it next, for the version).
      expect((await get(`/maven2/${g}/hello-maven-plugin/maven-metadata.xml`)).body).toContain('<release>1.0.0</release>');
    });

    it("names: the descriptor's, else the POM's, else the artifactId; no descriptor, no goalPrefix or another packaging: not a plugin", async () => {
      await deployPlugin('a-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'a' }) }), pomName: 'A &amp; Sons Plugin' });
      await deployPlugin('b-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'b' }) }), pomName: `\${project.artifactId}` });
      await deployPlugin('c-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'c', name: 'C &lt;the&gt; Plugin' }) }) });
      await deployPlugin('plain-lib', '1.0', { jar: jar(), packaging: 'jar' });
      await deployPlugin('noprefix-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: null }) }) });
      await deployPlugin('shaded', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'shaded' }) }), packaging: 'jar' });
      // A plugin jar whose POM is not deployed yet (mvn deploys the jar first): the descriptor decides.
      await deploy(`/maven2/${g}/d-maven-plugin/1.0/d-maven-plugin-1.0.jar`, jar({ plugin: descriptor({ prefix: 'd' }) }));
      expect((await get(groupMeta)).body).toBe(
        expected([
          ['A &amp; Sons Plugin', 'a', 'a-maven-plugin'],
          ['b-maven-plugin', 'b', 'b-maven-plugin'],
          ['C &lt;the&gt; Plugin', 'c', 'c-maven-plugin'],
          ['d-maven-plugin', 'd', 'd-maven-plugin'],
        ]),
      );
    });

    it("the latest release's descriptor counts (not an older release's or a SNAPSHOT's); SNAPSHOT-only: the newest build's", async () => {
      const plugin = (prefix: string) => jar({ plugin: descriptor({ prefix, name: `Hello ${prefix}` }) });
      await deployPlugin('hello-maven-plugin', '1.0.0', { jar: plugin('hello') });
      await deployPlugin('hello-maven-plugin', '1.10.0', { jar: plugin('hi') });
      await deployPlugin('hello-maven-plugin', '1.9.0', { jar: plugin('old') });
      const snap = `/maven2/${g}/hello-maven-plugin/2.0.0-SNAPSHOT`;
      await deploy(`${snap}/hello-maven-plugin-2.0.0-20261126.010101-1.jar`, plugin('snap'));
      expect((await get(groupMeta)).body).toBe(expected([['Hello hi', 'hi', 'hello-maven-plugin']]));
      // A plugin with only SNAPSHOTs is listed by its newest build.
      const only = `/maven2/${g}/snap-maven-plugin/1.0-SNAPSHOT`;
      await deploy(`${only}/snap-maven-plugin-1.0-20261126.010101-1.jar`, plugin('s1'));
      await deploy(`${only}/snap-maven-plugin-1.0-20261126.010102-2.jar`, plugin('s2'));
      expect((await get(groupMeta)).body).toBe(
        expected([
          ['Hello hi', 'hi', 'hello-maven-plugin'],
          ['Hello s2', 's2', 'snap-maven-plugin'],
        ]),
      );
      // A release that is no plugin any more takes the artifact out; quarantining it brings the previous one back.
      await deployPlugin('hello-maven-plugin', '1.11.0', { jar: jar({ text: 'no descriptor' }), packaging: 'jar' });
      expect((await get(groupMeta)).body).toBe(expected([['Hello s2', 's2', 'snap-maven-plugin']]));
      const review = await r.app.inject({
        method: 'POST',
        url: '/internal/security/reviews',
        headers: { 'x-internal-token': testSecrets.internalToken },
        payload: { by: 'root', ecosystem: 'maven', name: `${groupId}:hello-maven-plugin`, version: '1.11.0', action: 'quarantine' },
      });
      expect(review.statusCode).toBe(200);
      expect((await get(groupMeta)).body).toContain('<prefix>hi</prefix>');
    });

    it('two artifacts claiming one prefix: the first deployed keeps it, as Maven merges group metadata', async () => {
      await deployPlugin('first-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'same', name: 'First' }) }) });
      await deployPlugin('another-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'same', name: 'Another' }) }) });
      expect((await get(groupMeta)).body).toBe(expected([['First', 'same', 'first-maven-plugin']]));
    });

    it('an existing artifact wins the ambiguous path; a subgroup or a parent group lists none of these plugins', async () => {
      await deployPlugin('hello-maven-plugin', '1.0.0');
      const dirs = g.split('/');
      const [artifactGroup, artifactId] = [dirs.slice(0, -1).join('.'), dirs[dirs.length - 1]];
      // The same path, read as artifact <parent group>:<last segment>, once that artifact exists.
      await deploy(`/maven2/${g}/1.0/${artifactId}-1.0.jar`, jar({ text: 'an artifact named like the group' }));
      const res = await get(groupMeta);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`<groupId>${artifactGroup}</groupId>\n  <artifactId>${artifactId}</artifactId>`);
      expect(res.body).not.toContain('<plugins>');
      expect((await get(`${groupMeta}.sha1`)).body).toBe(hex('sha1', res.body));
      // Neither the parent group nor a subgroup is this group.
      for (const other of [`/maven2/${dirs.slice(0, -1).join('/')}/maven-metadata.xml`, `/maven2/${g}/sub/maven-metadata.xml`])
        expect((await get(other)).statusCode, other).toBe(404);
    });

    it('private plugins: listed to those who may read them; anonymous callers get the challenge only when none is public', async () => {
      const alice = basic('alice', r.alice.token);
      await deployPlugin('secret-maven-plugin', '1.0', {
        jar: jar({ plugin: descriptor({ prefix: 'secret', name: 'Secret' }) }),
        headers: { ...alice, 'x-package-access': 'restricted' },
      });
      const anon = await get(groupMeta);
      expect([anon.statusCode, anon.headers['www-authenticate']]).toEqual([401, 'Basic realm="maven"']);
      expect((await get(`${groupMeta}.sha1`)).statusCode).toBe(401);
      const bob = await get(groupMeta, basic('bob', r.bob.token));
      expect([bob.statusCode, bob.json().code]).toEqual([404, 'FILE_NOT_FOUND']);
      expect(bob.body).not.toContain('secret');
      expect((await get(groupMeta, alice)).body).toBe(expected([['Secret', 'secret', 'secret-maven-plugin']]));
      expect((await get(groupMeta, basic('root', r.admin.token))).body).toContain('<prefix>secret</prefix>');
      await deployPlugin('open-maven-plugin', '1.0', { jar: jar({ plugin: descriptor({ prefix: 'open', name: 'Open' }) }) });
      const openOnly = expected([['Open', 'open', 'open-maven-plugin']]);
      expect((await get(groupMeta)).body).toBe(openOnly);
      expect((await get(groupMeta, basic('bob', r.bob.token))).body).toBe(openOnly);
      expect((await get(groupMeta, alice)).body).toBe(
        expected([
          ['Open', 'open', 'open-maven-plugin'],
          ['Secret', 'secret', 'secret-maven-plugin'],
        ]),
      );
    });

    it('a plugin descriptor Maven could not use refuses the deploy with the reason phrase; nothing is stored', async () => {
      const url = `/maven2/${g}/bad-maven-plugin/1.0/bad-maven-plugin-1.0.jar`;
      const before = counts(r.db);
      const cases: [string, string][] = [
        ['<plugin><goalPrefix>x</goalPrefix>', 'it is not well-formed XML'],
        ['<project><goalPrefix>x</goalPrefix></project>', 'it has no <plugin> root element'],
        [descriptor({ prefix: 'bad:prefix' }), 'its goalPrefix "bad:prefix" is not one Maven can resolve'],
        [descriptor({ prefix: 'two words' }), 'its goalPrefix "two words" is not one Maven can resolve'],
        [descriptor({ prefix: 'x'.repeat(101) }), `its goalPrefix "${'x'.repeat(100)}..." (101 characters) is not one Maven can resolve`],
        ['<plugin><goalPrefix><b>x</b></goalPrefix></plugin>', 'its goalPrefix is not text'],
      ];
      for (const [text, why] of cases) {
        const res = await put(url, jar({ plugin: text }));
        expect([res.statusCode, res.json().code], text).toEqual([400, 'INVALID_PLUGIN_DESCRIPTOR']);
        expect(res.raw.res.statusMessage).toMatch(/^bad-maven-plugin-1\.0\.jar has an unusable META-INF\/maven\/plugin\.xml: /);
        expect(res.raw.res.statusMessage).toContain(why);
      }
      expect([counts(r.db), fileCount(r)]).toEqual([before, 0]);
      // Classifier jars (sources, javadoc) are not read: only the main jar is the plugin.
      await deploy(`/maven2/${g}/bad-maven-plugin/1.0/bad-maven-plugin-1.0-sources.jar`, jar({ plugin: '<not xml' }));
    });
  });
}

describe('Maven group-level metadata of a one-segment group', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const { put, get, deploy } = client(() => r);

  it('acme/maven-metadata.xml lists the plugins of group acme; a client PUT of it is accepted and ignored', async () => {
    expect((await get('/maven2/acme/maven-metadata.xml')).statusCode).toBe(404);
    await deploy(
      '/maven2/acme/acme-maven-plugin/1.0/acme-maven-plugin-1.0.jar',
      jar({ plugin: descriptor({ prefix: 'acme', name: 'Acme' }) }),
    );
    expect((await put('/maven2/acme/maven-metadata.xml', '<metadata/>')).statusCode).toBe(201);
    const res = await get('/maven2/acme/maven-metadata.xml');
    expect(res.body).toBe(expected([['Acme', 'acme', 'acme-maven-plugin']]));
    expect((await get('/maven2/acme/maven-metadata.xml.md5')).body).toBe(hex('md5', res.body));
    // A read-only token is refused the PUT, as every other deploy.
    expect((await put('/maven2/acme/maven-metadata.xml', '<metadata/>', basic('alice', r.alice.readonlyToken))).statusCode).toBe(403);
    // The repository root has no group.
    expect((await get('/maven2/maven-metadata.xml')).statusCode).toBe(400);
  });

  it('parses group-level metadata paths: one segment is a group; more are an artifact, or the group when it does not exist', () => {
    expect(parseMavenPath('acme/maven-metadata.xml.sha1')).toEqual({
      kind: 'group-metadata',
      groupId: 'acme',
      path: 'acme/maven-metadata.xml',
      checksum: 'sha1',
    });
    expect(parseMavenPath('com/acme/maven-metadata.xml')).toMatchObject({
      kind: 'metadata',
      groupId: 'com',
      artifactId: 'acme',
      version: null,
      group: 'com.acme',
    });
    expect(parseMavenPath('com/acme/lib/1.0-SNAPSHOT/maven-metadata.xml')).toMatchObject({ kind: 'metadata', group: null });
  });
});
