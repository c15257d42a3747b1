// Jepsen-style crash history for the registry (reliability-security.md rule 15, F1): SIGKILL the registry in a
// loop while npm, PyPI, Maven and RubyGems publishes run concurrently (the protocols directly for volume: npm
// PUTs, twine's upload form, the PUT sequence of mvn deploy, gem push's POST; the real npm CLI and twine for a part).
// After each restart: every acknowledged publish is served with bytes matching what was sent, nothing
// unacknowledged is half-present, no row lacks its blob and PRAGMA integrity_check is ok.
// CRASH_KILLS (default 3) and CRASH_WORKERS (default 4) make the long version.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../fixtures/pypi/client-env.ts';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { npmUser, writePackage } from '../helpers/npm-cli.ts';
import { docPath } from '../helpers/npm-fixtures.ts';
import {
  checkRegistryStore,
  createUser,
  npmPublish,
  type PublishedHooks,
  type SuiteUser,
  startSuiteSequential,
  subscribePublishedHooks,
  tarballMatches,
} from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 3);
const WORKERS = Number(process.env.CRASH_WORKERS ?? 4);

type Ecosystem = 'npm' | 'pypi' | 'maven' | 'rubygems';

interface Op {
  ecosystem: Ecosystem;
  /** The package name its package.published event carries (Maven: "groupId:artifactId"). */
  name: string;
  version: string;
  integrity?: string;
  /** Non-npm uploads: each stored file's URL path and the sha256 of the bytes sent for it. */
  files?: { url: string; sha256: string }[];
  outcome: 'acked' | 'refused' | 'unknown';
}

const ECOSYSTEMS: Ecosystem[] = ['npm', 'pypi', 'maven', 'rubygems'];
const perEcosystem = () =>
  Object.fromEntries(ECOSYSTEMS.map((e) => [e, { acked: 0, unknown: 0, unknownCommitted: 0, unknownPartly: 0, lost: 0, halfPresent: 0 }]));
const crashFigures = {
  kills: 0,
  attempted: 0,
  acked: 0,
  unknown: 0,
  lost: 0,
  halfPresent: 0,
  cliAcked: 0,
  twineAcked: 0,
  gemCliAcked: 0,
  byEcosystem: perEcosystem(),
};

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hex = (alg: string, b: Buffer | string) => createHash(alg).update(b).digest('hex');

/** A status as the crash history reads it: 0 when the kill cut the connection. */
const outcomeOf = (status: number, ok: number): Op['outcome'] =>
  status === ok ? 'acked' : status === 0 || status >= 500 ? 'unknown' : 'refused';

/** Upload a wheel over the PyPI legacy API as twine does; the status, or 0 when the connection was cut. */
async function pypiUpload(
  registryUrl: string,
  user: { username: string; token: string },
  wheel: { filename: string; bytes: Buffer },
  project: string,
) {
  const f = uploadForm(wheel, project, '1.0.0');
  const res = await fetch(`${registryUrl}/pypi/legacy/`, {
    method: 'POST',
    headers: { ...f.headers, ...basic(user.username, user.token) },
    body: new Uint8Array(f.payload),
    signal: AbortSignal.timeout(20_000),
  });
  return res.status;
}

const CRASH_GROUP = 'com.example.crash';

/** The jar and POM of one release, the bytes mvn deploy uploads (a jar is a zip: the scanner reads it). */
function mavenRelease(artifactId: string, version: string) {
  const jar = Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\nImplementation-Title: ${artifactId}\n`) }),
  );
  const pom = Buffer.from(
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>${CRASH_GROUP}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version><description>crash</description></project>`,
  );
  const dir = `/maven2/${CRASH_GROUP.replace(/\./g, '/')}/${artifactId}`;
  return {
    dir,
    artifactId,
    version,
    jar: { url: `${dir}/${version}/${artifactId}-${version}.jar`, bytes: jar },
    pom: { url: `${dir}/${version}/${artifactId}-${version}.pom`, bytes: pom },
  };
}

/**
 * Deploy a release the way Maven 3.8's deploy does: PUT the jar, its .sha1 and .md5, the same for the POM, then
 * GET the artifact's maven-metadata.xml and PUT the merged one with its checksums (multiformat-protocols.md 2.1).
 * Stops at the first answer that is not a success; returns that status (0 when the kill cut the connection).
 */
async function mavenDeploy(registryUrl: string, user: { username: string; token: string }, release: ReturnType<typeof mavenRelease>) {
  const auth = basic(user.username, user.token);
  const put = async (url: string, body: Buffer | string) => {
    const res = await fetch(`${registryUrl}${url}`, {
      method: 'PUT',
      headers: auth,
      body: new Uint8Array(Buffer.from(body)),
      signal: AbortSignal.timeout(20_000),
    });
    await res.arrayBuffer();
    return res.status;
  };
  for (const f of [release.jar, release.pom]) {
    for (const [url, body] of [
      [f.url, f.bytes],
      [`${f.url}.sha1`, hex('sha1', f.bytes)],
      [`${f.url}.md5`, hex('md5', f.bytes)],
    ] as const) {
      const status = await put(url, body);
      if (status !== 201) return status;
    }
  }
  // Maven merges the versions it read into the metadata it PUTs; the registry ignores it and regenerates its own.
  const meta = await fetch(`${registryUrl}${release.dir}/maven-metadata.xml`, { headers: auth, signal: AbortSignal.timeout(20_000) });
  await meta.arrayBuffer();
  if (meta.status !== 200 && meta.status !== 404) return meta.status;
  const xml = `<metadata><groupId>${CRASH_GROUP}</groupId><artifactId>${release.artifactId}</artifactId><versioning><release>${release.version}</release><versions><version>${release.version}</version></versions></versioning></metadata>`;
  for (const [url, body] of [
    [`${release.dir}/maven-metadata.xml`, xml],
    [`${release.dir}/maven-metadata.xml.sha1`, hex('sha1', xml)],
    [`${release.dir}/maven-metadata.xml.md5`, hex('md5', xml)],
  ] as const) {
    const status = await put(url, body);
    if (status !== 201) return status;
  }
  return 201;
}

/** gem push: the .gem as the POST body, the API key as the Authorization header; 200 when registered. */
async function gemPush(registryUrl: string, user: { token: string }, gem: Buffer) {
  const res = await fetch(`${registryUrl}/rubygems/api/v1/gems`, {
    method: 'POST',
    headers: { authorization: user.token, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(gem),
    signal: AbortSignal.timeout(20_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('registry crash loop under concurrent npm, PyPI, Maven and RubyGems publishes', () => {
  let suite: Suite;
  let user: SuiteUser;
  const history: Op[] = [];
  let hooks: PublishedHooks;

  const gemWork = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-gems-'));
  const builtGems: { name: string; file: string }[] = [];

  beforeAll(async () => {
    const starting = startSuiteSequential(['api', 'registry'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' },
    });
    // Built while the processes start; a failed build is reported after the suite is kept for afterAll to stop.
    const building = Promise.all(
      Array.from({ length: KILLS }, async (_, round) => {
        const name = `crash_gemcli_r${round}`;
        const dir = path.join(gemWork, name);
        fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'lib', `${name}.rb`), `module CrashGem${round}; end\n`);
        fs.writeFileSync(
          path.join(dir, `${name}.gemspec`),
          `Gem::Specification.new do |s|\n  s.name = "${name}"; s.version = "1.0.0"; s.summary = "crash"; s.authors = ["t"]\n  s.files = ["lib/${name}.rb"]; s.license = "MIT"\nend\n`,
        );
        const built = await run('gem', ['build', `${name}.gemspec`], {
          cwd: dir,
          env: { PATH: '/usr/bin:/bin', HOME: gemWork, LANG: 'C.UTF-8' },
        });
        if (built.code !== 0) throw new Error(`gem build ${name}: ${built.output}`);
        builtGems[round] = { name, file: path.join(dir, `${name}-1.0.0.gem`) };
      }),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    suite = await starting;
    const buildError = await building;
    if (buildError) throw buildError;
    user = await createUser(suite, 'crash-pub');
    hooks = await subscribePublishedHooks(suite, user);
  });
  afterAll(async () => {
    hooks?.close();
    await suite?.stopAll();
    fs.rmSync(gemWork, { recursive: true, force: true });
  });

  it(`loses no acknowledged publish across ${KILLS} SIGKILLs`, async () => {
    const npm = npmUser(`${suite.urls.registry}/npm/`, 'crash-cli');
    const host = new URL(suite.urls.registry).host;
    fs.writeFileSync(path.join(npm.home, '.npmrc'), `//${host}/npm/:_authToken=${user.token}\n`);
    let seq = 0;

    for (let round = 0; round < KILLS; round++) {
      let killed = false;
      let ackedThisRound = 0;
      const worker = async (w: number) => {
        while (!killed) {
          const n = seq++;
          const tag = `r${round}w${w}n${n}`;
          // One operation in five per ecosystem besides npm's two (scoped and unscoped names).
          const kind = n % 5;
          const upload = async (op: Op, send: () => Promise<number>, ok: number) => {
            history.push(op);
            const status = await send().catch(() => 0);
            op.outcome = outcomeOf(status, ok);
            if (op.outcome === 'refused') throw new Error(`${op.ecosystem} ${op.name} refused with ${status}`);
            if (op.outcome === 'acked') ackedThisRound++;
          };
          if (kind === 2) {
            const project = `crash-py-${round}-${w}-${n}`;
            const wheel = makeWheel(project, '1.0.0');
            const file = { url: `/pypi/files/${project}/${wheel.filename}`, sha256: sha256(wheel.bytes) };
            const op: Op = { ecosystem: 'pypi', name: project, version: '1.0.0', files: [file], outcome: 'unknown' };
            await upload(op, () => pypiUpload(suite.urls.registry, user, wheel, project), 200);
            continue;
          }
          if (kind === 3) {
            const artifactId = `crash-mvn-${tag}`;
            const release = mavenRelease(artifactId, '1.0.0');
            const files = [release.jar, release.pom].map((f) => ({ url: f.url, sha256: sha256(f.bytes) }));
            const op: Op = { ecosystem: 'maven', name: `${CRASH_GROUP}:${artifactId}`, version: '1.0.0', files, outcome: 'unknown' };
            await upload(op, () => mavenDeploy(suite.urls.registry, user, release), 201);
            continue;
          }
          if (kind === 4) {
            // Letters between the numbers: gem names that fold to the same text (case, "-", "_") are refused.
            const gemName = `crash_gem_${tag}`;
            const gem = makeGem(gemName, '1.0.0');
            const file = { url: `/rubygems/gems/${gemName}-1.0.0.gem`, sha256: sha256(gem) };
            const op: Op = { ecosystem: 'rubygems', name: gemName, version: '1.0.0', files: [file], outcome: 'unknown' };
            await upload(op, () => gemPush(suite.urls.registry, user, gem), 200);
            continue;
          }
          const name = kind === 1 ? `crash-${round}-${w}-${n}` : `@crash-pub/c-${round}-${w}-${n}`;
          const op: Op = { ecosystem: 'npm', name, version: '1.0.0', outcome: 'unknown' };
          history.push(op);
          try {
            const r = await npmPublish(suite.urls.registry, user, name, '1.0.0', { salt: String(n) });
            op.integrity = r.integrity;
            op.outcome = outcomeOf(r.status, 201);
            if (op.outcome === 'acked') ackedThisRound++;
            else if (op.outcome === 'refused') throw new Error(`publish ${name} refused with ${r.status}: ${r.body}`);
          } catch (err) {
            // A connection reset by the kill: the outcome is unknown; it must be all-or-nothing.
            if (op.outcome === 'refused') throw err;
            op.integrity ??= undefined;
          }
        }
      };
      // The real npm CLI publishes one package per round alongside the protocol workers.
      const cliName = `crash-cli-${round}`;
      const dir = writePackage(path.join(npm.home, cliName), { name: cliName, version: '1.0.0', description: 'cli crash' });
      let cliDone = false;
      const cli = npm.run(['publish'], { cwd: dir, timeoutMs: 120_000 }).then((r) => {
        cliDone = true;
        history.push({ ecosystem: 'npm', name: cliName, version: '1.0.0', outcome: r.code === 0 ? 'acked' : 'unknown' });
        if (r.code === 0) crashFigures.cliAcked++;
        else if (round % 2 === 0) throw new Error(`npm publish failed before any kill: ${r.stderr}`);
      });
      // The real twine uploads one wheel per round too (killed under it or not, like the npm CLI).
      const twProject = `crash-twine-${round}`;
      const twWheel = makeWheel(twProject, '1.0.0');
      const twFile = path.join(npm.home, twWheel.filename);
      fs.writeFileSync(twFile, twWheel.bytes);
      const twine = new Promise<void>((resolve) => {
        execFile(
          'twine',
          [
            'upload',
            '--non-interactive',
            '--disable-progress-bar',
            '--repository-url',
            `${suite.urls.registry}/pypi/legacy/`,
            '-u',
            user.username,
            '-p',
            user.token,
            twFile,
          ],
          { env: { PATH: process.env.PATH ?? '', HOME: npm.home }, timeout: 120_000 },
          (err) => {
            const op: Op = {
              ecosystem: 'pypi',
              name: twProject,
              version: '1.0.0',
              outcome: err ? 'unknown' : 'acked',
              files: [{ url: `/pypi/files/${twProject}/${twWheel.filename}`, sha256: sha256(twWheel.bytes) }],
            };
            history.push(op);
            if (!err) crashFigures.twineAcked++;
            resolve();
          },
        );
      });
      // The real gem push posts one gem built by the real gem build per round (built before the suite started).
      const gemCli = run('gem', ['push', '--host', `${suite.urls.registry}/rubygems`, builtGems[round].file], {
        cwd: gemWork,
        env: { PATH: '/usr/bin:/bin', HOME: gemWork, LANG: 'C.UTF-8', GEM_HOST_API_KEY: user.token },
      }).then((r) => {
        const { name, file } = builtGems[round];
        const files = [{ url: `/rubygems/gems/${path.basename(file)}`, sha256: sha256(fs.readFileSync(file)) }];
        history.push({ ecosystem: 'rubygems', name, version: '1.0.0', files, outcome: r.code === 0 ? 'acked' : 'unknown' });
        if (r.code === 0) crashFigures.gemCliAcked++;
      });
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      // Kill once the round has work in flight (a condition, not a sleep); the CLI may or may not be done.
      // Even rounds let the CLI's publish finish first (an acknowledged CLI write), odd rounds kill under it.
      await waitFor(() => ackedThisRound >= 3 + round && (round % 2 === 1 || cliDone), 120_000, 'publishes to land before the kill');
      killed = true;
      await suite.stop('registry', 'SIGKILL');
      crashFigures.kills++;
      await Promise.all([...workers, cli, twine, gemCli]);
      await suite.start('registry');

      const store = checkRegistryStore(suite.dataDir);
      expect(store.integrityCheck).toBe('ok');
      expect(store.rowsWithoutBlob).toEqual([]);
      expect(store.bytesMismatch).toEqual([]);
    }

    // Every acknowledged write is served with its bytes; every unknown one is all-or-nothing.
    for (const op of history) {
      const fig = crashFigures.byEcosystem[op.ecosystem];
      let lost = false;
      let halfPresent = false;
      /** Files of the operation served complete (npm: the version), to tell committed-but-unanswered from absent. */
      let complete = 0;
      if (op.files) {
        // Each file is one upload (a Maven deploy is several): acknowledged ones are served with the bytes sent,
        // a file of an unknown one is absent (404) or complete, never other bytes or a row without its blob.
        for (const f of op.files) {
          const res = await fetch(`${suite.urls.registry}${f.url}`, { headers: basic(user.username, user.token) });
          const body = Buffer.from(await res.arrayBuffer());
          const bytes = res.status === 200 ? body : undefined;
          const matches = bytes !== undefined && sha256(bytes) === f.sha256;
          if (matches) complete++;
          if (op.outcome === 'acked' && !matches) lost = true;
          if (op.outcome !== 'acked' && !matches && res.status !== 404) halfPresent = true;
        }
        if (op.ecosystem === 'maven' && op.outcome === 'acked') {
          // The regenerated metadata lists the acknowledged release (what a consumer resolves from).
          const dir = op.files[0].url.slice(0, op.files[0].url.lastIndexOf('/', op.files[0].url.lastIndexOf('/') - 1));
          const meta = await fetch(`${suite.urls.registry}${dir}/maven-metadata.xml`, { headers: basic(user.username, user.token) });
          if (!(await meta.text()).includes(`<version>${op.version}</version>`)) lost = true;
        }
      } else {
        const doc = await fetch(`${suite.urls.registry}${docPath(op.name)}`);
        const versions =
          doc.status === 200 ? ((await doc.json()) as { versions: Record<string, { dist: { integrity: string } }> }).versions : {};
        const v = versions[op.version];
        if (op.outcome === 'acked')
          lost = !(v !== undefined && (op.integrity ? await tarballMatches(suite.urls.registry, op.name, op.version, op.integrity) : true));
        else if (v) halfPresent = !(await tarballMatches(suite.urls.registry, op.name, op.version, v.dist.integrity));
        if (v) complete = 1;
      }
      if (op.outcome === 'acked') fig.acked++;
      if (op.outcome === 'unknown') {
        fig.unknown++;
        // Each file commits on its own; a Maven deploy cut between its PUTs keeps the files already answered.
        if (complete > 0 && complete === (op.files?.length ?? 1)) fig.unknownCommitted++;
        else if (complete > 0) fig.unknownPartly++;
      }
      if (lost) {
        fig.lost++;
        crashFigures.lost++;
      }
      if (halfPresent) {
        fig.halfPresent++;
        crashFigures.halfPresent++;
      }
    }
    crashFigures.attempted = history.length;
    crashFigures.acked = history.filter((o) => o.outcome === 'acked').length;
    crashFigures.unknown = history.filter((o) => o.outcome === 'unknown').length;
    // Webhooks: every acknowledged publish's event survives the kills (outbox in the publish transaction, relayed
    // after restart) and reaches the receiver; a redelivery keeps its webhook-id, so one id per package.
    const ackedNames = history.filter((o) => o.outcome === 'acked').map((o) => o.name);
    await waitFor(
      () => ackedNames.every((n) => hooks.delivered.has(n)),
      120_000,
      'a package.published delivery for every acknowledged publish',
    );
    const duplicatedIds = [...hooks.delivered.entries()].filter(([, ids]) => ids.size > 1).map(([n]) => n);
    Object.assign(crashFigures, { webhookEvents: hooks.delivered.size, webhookIdsPerPackageOverOne: duplicatedIds.length });
    console.info(`crash-registry figures: ${JSON.stringify(crashFigures)}`);
    expect(duplicatedIds).toEqual([]);
    expect(crashFigures.lost).toBe(0);
    expect(crashFigures.halfPresent).toBe(0);
    expect(crashFigures.acked).toBeGreaterThan(KILLS * 3);
    // Every ecosystem took part: at least one acknowledged upload each across the run.
    for (const e of ECOSYSTEMS) expect(crashFigures.byEcosystem[e].acked, e).toBeGreaterThan(0);
  }, 600_000);
});
