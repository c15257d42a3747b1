// Jepsen-style crash history for the registry (reliability-security.md rule 15, F1): SIGKILL the registry in a
// loop while npm and PyPI publishes run concurrently (the protocols directly for volume, the real npm CLI and
// twine for a part).
// After each restart: every acknowledged publish is served with bytes matching its integrity, nothing
// unacknowledged is half-present, no row lacks its blob and PRAGMA integrity_check is ok.
// CRASH_KILLS (default 3) and CRASH_WORKERS (default 4) make the long version.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
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

interface Op {
  name: string;
  version: string;
  integrity?: string;
  /** PyPI file ("<project>/<filename>") and the sha256 of its bytes, for wheel uploads. */
  pypi?: { file: string; sha256: string };
  outcome: 'acked' | 'refused' | 'unknown';
}

const crashFigures = { kills: 0, attempted: 0, acked: 0, unknown: 0, lost: 0, halfPresent: 0, cliAcked: 0, pypiAcked: 0, twineAcked: 0 };

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

describe('registry crash loop under concurrent npm publishes', () => {
  let suite: Suite;
  let user: SuiteUser;
  const history: Op[] = [];
  let hooks: PublishedHooks;

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'registry'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' },
    });
    user = await createUser(suite, 'crash-pub');
    hooks = await subscribePublishedHooks(suite, user);
  });
  afterAll(async () => {
    hooks?.close();
    await suite?.stopAll();
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
          if (n % 3 === 2) {
            const project = `crash-py-${round}-${w}-${n}`;
            const wheel = makeWheel(project, '1.0.0');
            const op: Op = {
              name: project,
              version: '1.0.0',
              outcome: 'unknown',
              pypi: { file: `${project}/${wheel.filename}`, sha256: createHash('sha256').update(wheel.bytes).digest('hex') },
            };
            history.push(op);
            const status = await pypiUpload(suite.urls.registry, user, wheel, project).catch(() => 0);
            op.outcome = status === 200 ? 'acked' : status === 0 || status >= 500 ? 'unknown' : 'refused';
            if (op.outcome === 'refused') throw new Error(`wheel ${project} refused with ${status}`);
            if (op.outcome === 'acked') {
              ackedThisRound++;
              crashFigures.pypiAcked++;
            }
            continue;
          }
          const name = n % 2 ? `crash-${round}-${w}-${n}` : `@crash-pub/c-${round}-${w}-${n}`;
          const op: Op = { name, version: '1.0.0', outcome: 'unknown' };
          history.push(op);
          try {
            const r = await npmPublish(suite.urls.registry, user, name, '1.0.0', { salt: String(n) });
            op.integrity = r.integrity;
            op.outcome = r.status === 201 ? 'acked' : r.status >= 500 || r.status === 0 ? 'unknown' : 'refused';
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
        history.push({ name: cliName, version: '1.0.0', outcome: r.code === 0 ? 'acked' : 'unknown' });
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
              name: twProject,
              version: '1.0.0',
              outcome: err ? 'unknown' : 'acked',
              pypi: { file: `${twProject}/${twWheel.filename}`, sha256: createHash('sha256').update(twWheel.bytes).digest('hex') },
            };
            history.push(op);
            if (!err) crashFigures.twineAcked++;
            resolve();
          },
        );
      });
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      // Kill once the round has work in flight (a condition, not a sleep); the CLI may or may not be done.
      // Even rounds let the CLI's publish finish first (an acknowledged CLI write), odd rounds kill under it.
      await waitFor(() => ackedThisRound >= 3 + round && (round % 2 === 1 || cliDone), 120_000, 'publishes to land before the kill');
      killed = true;
      await suite.stop('registry', 'SIGKILL');
      crashFigures.kills++;
      await Promise.all([...workers, cli, twine]);
      await suite.start('registry');

      const store = checkRegistryStore(suite.dataDir);
      expect(store.integrityCheck).toBe('ok');
      expect(store.rowsWithoutBlob).toEqual([]);
      expect(store.bytesMismatch).toEqual([]);
    }

    // Every acknowledged write is served with its bytes; every unknown one is all-or-nothing.
    for (const op of history) {
      if (op.pypi) {
        const file = await fetch(`${suite.urls.registry}/pypi/files/${op.pypi.file}`);
        const bytes = file.status === 200 ? Buffer.from(await file.arrayBuffer()) : undefined;
        const matches = bytes !== undefined && createHash('sha256').update(bytes).digest('hex') === op.pypi.sha256;
        if (op.outcome === 'acked' && !matches) crashFigures.lost++;
        if (op.outcome !== 'acked' && bytes !== undefined && !matches) crashFigures.halfPresent++;
        continue;
      }
      const doc = await fetch(`${suite.urls.registry}${docPath(op.name)}`);
      const versions =
        doc.status === 200 ? ((await doc.json()) as { versions: Record<string, { dist: { integrity: string } }> }).versions : {};
      const v = versions[op.version];
      if (op.outcome === 'acked') {
        const ok = v !== undefined && (op.integrity ? await tarballMatches(suite.urls.registry, op.name, op.version, op.integrity) : true);
        if (!ok) crashFigures.lost++;
      } else if (v) {
        const ok = await tarballMatches(suite.urls.registry, op.name, op.version, v.dist.integrity);
        if (!ok) crashFigures.halfPresent++;
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
  }, 600_000);
});
