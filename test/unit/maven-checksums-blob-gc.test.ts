// Maven checksums as repository managers verify them, and the blobs no row needs any more (registry/blob-gc.ts):
// an X-Checksum header that disagrees stores nothing; a .sha1/.md5 PUT that disagrees with the artifact just
// deployed withdraws it (never served as good) while a confirmed or older artifact is only defended; pruned
// SNAPSHOT builds lose their blobs unless another row shares them; the orphan collection keeps young blobs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore, sha512Hex } from '../../registry/blob-store.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const hex = (alg: string, b: Buffer | string) => createHash(alg).update(b).digest('hex');
const basic = (u: { username: string; token: string }) => ({
  authorization: `Basic ${Buffer.from(`${u.username}:${u.token}`).toString('base64')}`,
});
const jar = (text: string) =>
  Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }, { mtime: '2026-01-01T00:00:00Z' }),
  );
const MIN = 60_000;
const BASE = '/maven2/com/example/sum-lib';
const JAR_PATH = `${BASE}/1.0.0/sum-lib-1.0.0.jar`;
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;
const blobRow = (r: Reg, sha512: string) => r.db.prepare('SELECT 1 FROM blobs WHERE sha512 = ?').get(sha512) !== undefined;

describe('Maven checksums: a damaged artifact is never served as good', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const put = (
    url: string,
    body: Buffer | string,
    headers: Record<string, string> = {},
    who: { username: string; token: string } = r.alice,
  ) => r.app.inject({ method: 'PUT', url, headers: { ...basic(who), ...headers }, payload: Buffer.from(body) });
  const get = (url: string) => r.app.inject({ method: 'GET', url, headers: basic(r.alice) });
  const gc = () => r.app.inject({ method: 'POST', url: '/internal/blobs/gc', headers: { 'x-internal-token': testSecrets.internalToken } });

  it('X-Checksum-* headers on the artifact PUT are verified first: a mismatch is 400 and nothing is stored', async () => {
    const bytes = jar('one');
    const bad = await put(JAR_PATH, bytes, { 'x-checksum-sha1': 'a'.repeat(40) });
    expect(bad.statusCode).toBe(400);
    expect(bad.raw.res.statusMessage).toBe(
      `sha1 checksum mismatch for sum-lib-1.0.0.jar: the artifact has ${hex('sha1', bytes)}, the file says ${'a'.repeat(40)} (X-Checksum header): nothing was stored`,
    );
    expect(bad.json().code).toBe('CHECKSUM_MISMATCH');
    expect(counts(r.db)).toMatchObject({ packages: 0, versions: 0, outbox: 0, blobs: 0 });
    expect(r.blobs.size()).toBe(0);
    const sha256 = await put(JAR_PATH, bytes, { 'x-checksum-sha256': 'b'.repeat(64), 'x-checksum-sha1': hex('sha1', bytes) });
    expect(sha256.statusCode).toBe(400);
    expect(fileCount(r)).toBe(0);
    const ok = await put(JAR_PATH, bytes, { 'x-checksum-sha1': hex('sha1', bytes).toUpperCase(), 'x-checksum-md5': hex('md5', bytes) });
    expect(ok.statusCode).toBe(201);
    expect((await get(JAR_PATH)).rawPayload.equals(bytes)).toBe(true);
  });

  it('a .sha1 that disagrees with the artifact just deployed withdraws it: 400, 404 after, and a retry deploys the right bytes', async () => {
    const damaged = jar('damaged in transit');
    const good = jar('what the client built');
    expect((await put(JAR_PATH, damaged)).statusCode).toBe(201);
    const res = await put(`${JAR_PATH}.sha1`, hex('sha1', good));
    expect(res.statusCode).toBe(400);
    expect(res.raw.res.statusMessage).toBe(
      `sha1 checksum mismatch for sum-lib-1.0.0.jar: the artifact has ${hex('sha1', damaged)}, the file says ${hex('sha1', good)}: the artifact was damaged in transit and is not kept, deploy it again`,
    );
    expect((await get(JAR_PATH)).statusCode).toBe(404);
    expect((await get(`${JAR_PATH}.sha1`)).statusCode).toBe(404);
    expect((await get(`${BASE}/maven-metadata.xml`)).statusCode).toBe(404);
    expect(counts(r.db)).toMatchObject({ packages: 0, versions: 0 });
    expect(r.db.prepare('SELECT count(*) AS n FROM burned_files').get()).toEqual({ n: 0 });
    // The version had been announced; its withdrawal is announced too.
    const events = (
      r.db.prepare("SELECT payload FROM outbox WHERE type != 'audit.entry' ORDER BY rowid").all() as { payload: string }[]
    ).map((e) => JSON.parse(e.payload));
    expect(events.map((e) => e.type)).toEqual(['package.published', 'package.unpublished']);
    expect(events[1]).toMatchObject({
      subject: 'package:maven:com.example:sum-lib',
      data: { ecosystem: 'maven', name: 'com.example:sum-lib', versions: ['1.0.0'], wholePackage: true, reason: 'checksum mismatch' },
    });
    // The damaged bytes are unreferenced: the collection deletes them once the grace period has passed.
    expect(blobRow(r, sha512Hex(damaged))).toBe(false);
    r.clock.advance(11 * MIN);
    expect((await gc()).json()).toMatchObject({ removed: 1 });
    expect(await r.blobs.has(sha512Hex(damaged))).toBe(false);
    // The retry: the right bytes under the same release path, confirmed by their checksum.
    expect((await put(JAR_PATH, good)).statusCode).toBe(201);
    expect((await put(`${JAR_PATH}.sha1`, hex('sha1', good))).statusCode).toBe(201);
    expect((await get(JAR_PATH)).rawPayload.equals(good)).toBe(true);
  });

  it('the version keeps its other files when one of them is withdrawn', async () => {
    const pom =
      '<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>sum-lib</artifactId><version>1.0.0</version></project>';
    expect((await put(`${BASE}/1.0.0/sum-lib-1.0.0.pom`, pom)).statusCode).toBe(201);
    expect((await put(JAR_PATH, jar('x'))).statusCode).toBe(201);
    expect((await put(`${JAR_PATH}.md5`, hex('md5', 'something else'))).statusCode).toBe(400);
    expect((await get(JAR_PATH)).statusCode).toBe(404);
    expect((await get(`${BASE}/1.0.0/sum-lib-1.0.0.pom`)).body).toBe(pom);
    expect(counts(r.db)).toMatchObject({ packages: 1, versions: 1 });
    const v = r.db.prepare('SELECT filename, blob_sha512 FROM package_versions').get();
    expect(v).toEqual({ filename: 'sum-lib-1.0.0.pom', blob_sha512: sha512Hex(Buffer.from(pom)) });
  });

  it("a confirmed artifact, an artifact older than the deploy window, or another maintainer's, is only defended (400, still served)", async () => {
    const bytes = jar('good');
    expect((await put(JAR_PATH, bytes)).statusCode).toBe(201);
    expect((await put(`${JAR_PATH}.sha1`, hex('sha1', bytes))).statusCode).toBe(201);
    expect((await put(`${JAR_PATH}.md5`, 'f'.repeat(32))).statusCode).toBe(400);
    expect((await get(JAR_PATH)).rawPayload.equals(bytes)).toBe(true);

    const old = `${BASE}/1.1.0/sum-lib-1.1.0.jar`;
    expect((await put(old, jar('1.1.0'))).statusCode).toBe(201);
    r.clock.advance(11 * MIN);
    expect((await put(`${old}.sha1`, 'f'.repeat(40))).statusCode).toBe(400);
    expect((await get(old)).rawPayload.equals(jar('1.1.0'))).toBe(true);

    // bob is no maintainer: his checksum PUT is refused outright and cannot withdraw alice's fresh artifact.
    const fresh = `${BASE}/1.2.0/sum-lib-1.2.0.jar`;
    expect((await put(fresh, jar('1.2.0'))).statusCode).toBe(201);
    expect((await put(`${fresh}.sha1`, 'f'.repeat(40), {}, r.bob)).statusCode).toBe(403);
    expect((await get(fresh)).statusCode).toBe(200);
  });
});

describe('blobs of dropped rows and orphan blobs are deleted', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const put = (url: string, body: Buffer | string) =>
    r.app.inject({ method: 'PUT', url, headers: basic(r.alice), payload: Buffer.from(body) });

  it('SNAPSHOT retention deletes the blobs of pruned builds after the commit; a blob another build shares survives', async () => {
    const sources = jar('sources, identical in every build');
    for (let n = 1; n <= 7; n++) {
      const ts = `20261126.0101${String(n).padStart(2, '0')}`;
      const dir = `${BASE}/2.0.0-SNAPSHOT/sum-lib-2.0.0-${ts}-${n}`;
      expect((await put(`${dir}.jar`, jar(`build ${n}`))).statusCode).toBe(201);
      expect((await put(`${dir}-sources.jar`, sources)).statusCode).toBe(201);
      r.clock.advance(11 * MIN); // builds far apart, past the in-flight grace period
    }
    for (const n of [1, 2]) {
      expect(await r.blobs.has(sha512Hex(jar(`build ${n}`)))).toBe(false);
      expect(blobRow(r, sha512Hex(jar(`build ${n}`)))).toBe(false);
    }
    for (const n of [3, 7]) expect(await r.blobs.has(sha512Hex(jar(`build ${n}`)))).toBe(true);
    expect(await r.blobs.has(sha512Hex(sources))).toBe(true);
    // The version row pointed at build 1's jar: it now points at a live file, so nothing dangles.
    const v = r.db.prepare('SELECT blob_sha512 FROM package_versions').get() as { blob_sha512: string };
    expect(await r.blobs.has(v.blob_sha512)).toBe(true);
    expect(r.db.prepare('SELECT count(*) AS n FROM artifact_files').get()).toEqual({ n: 10 });
  });

  it('POST /internal/blobs/gc removes unreferenced blobs older than the grace period and nothing else', async () => {
    const kept = jar('referenced');
    expect((await put(JAR_PATH, kept)).statusCode).toBe(201);
    const orphanOld = await r.blobs.put(Buffer.from('left by a crash before the commit'));
    r.clock.advance(11 * MIN);
    const orphanYoung = await r.blobs.put(Buffer.from('an upload in flight'));
    const unauth = await r.app.inject({ method: 'POST', url: '/internal/blobs/gc' });
    expect(unauth.statusCode).toBe(403);
    const res = await r.app.inject({
      method: 'POST',
      url: '/internal/blobs/gc',
      headers: { 'x-internal-token': testSecrets.internalToken },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ examined: 3, removed: 1, bytes: 'left by a crash before the commit'.length, staleRows: 0 });
    expect(await r.blobs.has(orphanOld)).toBe(false);
    expect(await r.blobs.has(orphanYoung)).toBe(true);
    expect(await r.blobs.has(sha512Hex(kept))).toBe(true);
    expect((await r.app.inject({ method: 'GET', url: JAR_PATH, headers: basic(r.alice) })).rawPayload.equals(kept)).toBe(true);
  });
});

describe('fs blob store: deletion judged on the write time', () => {
  it('removeIfWrittenBefore spares bytes put again after the cutoff; list reports size and time', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-gc-'));
    try {
      const store = createFsBlobStore(root);
      const a = await store.put(Buffer.from('aaaa'));
      const b = await store.put(Buffer.from('bbbbbb'));
      const file = (h: string) => path.join(root, 'sha512', h.slice(0, 2), h.slice(2, 4), h);
      const past = new Date(Date.now() - 3_600_000);
      for (const h of [a, b]) fs.utimesSync(file(h), past, past);
      // Re-putting b (an upload of the same bytes in flight) refreshes its time.
      await store.put(Buffer.from('bbbbbb'));
      const listed = [];
      for await (const x of store.list()) listed.push(x);
      expect(listed.map((x) => [x.sha512, x.size]).sort()).toEqual(
        [
          [a, 4],
          [b, 6],
        ].sort(),
      );
      const cutoff = Date.now() - 60_000;
      expect(await store.removeIfWrittenBefore(a, cutoff)).toBe(true);
      expect(await store.removeIfWrittenBefore(b, cutoff)).toBe(false);
      expect(await store.has(a)).toBe(false);
      expect((await store.get(b))?.toString()).toBe('bbbbbb');
      expect(await store.removeIfWrittenBefore(a, cutoff)).toBe(false);
      expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
