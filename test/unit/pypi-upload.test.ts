// PyPI legacy upload (twine's multipart form) through buildApp + inject: success, identical re-upload, filename
// immutability, and every bad input of issue #5 answered with the reason phrase twine prints and nothing stored.
// Each case runs for a normalised name and a non-normalised one (PEP 503).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeSdist, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;

for (const name of ['simple-pkg', 'Hello_World.Pkg']) {
  const project = name.replace(/[-_.]+/g, '-').toLowerCase();
  describe(`PyPI upload (${name})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());

    const post = (
      dist: { filename: string; bytes: Buffer },
      o: Parameters<typeof uploadForm>[3] = {},
      auth = basic('alice', r.alice.token),
    ) => {
      const f = uploadForm(dist, name, '1.0.0', o);
      return r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: { ...f.headers, ...auth }, payload: f.payload });
    };

    it('stores a wheel and an sdist: 200, one version, two files, one package.published event', async () => {
      const wheel = makeWheel(name, '1.0.0', { requiresPython: '>=3.7' });
      const res = await post(wheel);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('OK\n');
      expect((await post(makeSdist(name, '1.0.0'))).statusCode).toBe(200);
      expect(counts(r.db)).toMatchObject({ packages: 1, versions: 1, outbox: 1 });
      expect(fileCount(r)).toBe(2);
      const pkg = r.db.prepare("SELECT name, ecosystem FROM packages WHERE ecosystem = 'pypi'").get();
      expect(pkg).toEqual({ name: project, ecosystem: 'pypi' });
      const event = JSON.parse((r.db.prepare('SELECT payload FROM outbox').get() as { payload: string }).payload);
      expect(event).toMatchObject({
        type: 'package.published',
        data: { ecosystem: 'pypi', name: project, version: '1.0.0', publisher: 'alice' },
      });
      const scan = r.db.prepare("SELECT verdict FROM scan_results WHERE ecosystem = 'pypi' AND name = ?").get(project);
      expect(scan).toEqual({ verdict: expect.any(String) });
    });

    it('also accepts __token__ as the username and /legacy without the slash (twine aborts on redirects)', async () => {
      const f = uploadForm(makeWheel(name, '1.0.0'), name, '1.0.0');
      const res = await r.app.inject({
        method: 'POST',
        url: '/pypi/legacy',
        headers: { ...f.headers, ...basic('__token__', r.alice.token) },
        payload: f.payload,
      });
      expect(res.statusCode).toBe(200);
    });

    it('an identical re-upload answers 200 and stores nothing; other bytes under the filename get 409', async () => {
      const wheel = makeWheel(name, '1.0.0');
      await post(wheel);
      const again = await post(wheel);
      expect(again.statusCode).toBe(200);
      const other = makeWheel(name, '1.0.0', { requiresDist: ['requests'] });
      const res = await post(other);
      expect(res.statusCode).toBe(409);
      expect(res.raw.res.statusMessage).toBe(`File already exists: ${wheel.filename} was uploaded before with other bytes.`);
      expect(fileCount(r)).toBe(1);
      expect(counts(r.db)).toMatchObject({ versions: 1, outbox: 1 });
    });

    it('a second sdist for the same release is refused', async () => {
      await post(makeSdist(name, '1.0.0'));
      const zipName = { ...makeSdist(name, '1.0.0'), filename: `${name}-1.0.0.zip` };
      const res = await post(zipName);
      expect(res.statusCode).toBe(400);
    });

    const refusals: [string, () => { dist: { filename: string; bytes: Buffer }; o?: Parameters<typeof uploadForm>[3] }, number, string][] =
      [
        [
          'a sha256 that does not match',
          () => ({ dist: makeWheel(name, '1.0.0'), o: { sha256: 'a'.repeat(64) } }),
          400,
          'The digest supplied does not match a digest calculated from the uploaded file.',
        ],
        [
          'no digest at all',
          () => ({ dist: makeWheel(name, '1.0.0'), o: { sha256: null, md5: null } }),
          400,
          'Include at least one message digest: sha256_digest or md5_digest.',
        ],
        [
          'a version that disagrees with the filename',
          () => ({ dist: makeWheel(name, '1.0.0'), o: { version: '2.0.0' } }),
          400,
          "Version in filename should be '2.0.0' not '1.0.0'.",
        ],
        [
          'a filename of another project',
          () => ({ dist: makeWheel('other-pkg', '1.0.0') }),
          400,
          `Start filename for '${project}' with '${name}'.`,
        ],
        [
          'a METADATA name of another project',
          () => ({ dist: makeWheel(name, '1.0.0', { metaName: 'evil' }) }),
          400,
          `Name in metadata 'evil' does not match the upload name '${name}'.`,
        ],
        [
          'a METADATA version that disagrees',
          () => ({ dist: makeSdist(name, '1.0.0', { metaVersion: '1.0.1' }) }),
          400,
          "Version in metadata '1.0.1' does not match the upload version '1.0.0'.",
        ],
        [
          'a wheel that is not a zip',
          () => ({ dist: { filename: `${name.replace(/[-_.]+/g, '_')}-1.0.0-py3-none-any.whl`, bytes: Buffer.from('not a zip') } }),
          400,
          'Invalid distribution file: unknown archive format: expected gzip tar, zip or gem.',
        ],
        // The multipart parser keeps only the basename, so a path never reaches the checks.
        [
          'a filename with a path',
          () => ({ dist: { ...makeWheel(name, '1.0.0'), filename: '../x.whl' } }),
          400,
          'Invalid distribution filename: x.whl.',
        ],
        [
          'an .exe',
          () => ({ dist: { ...makeWheel(name, '1.0.0'), filename: `${name}-1.0.0.exe` } }),
          400,
          'Invalid file extension: use .tar.gz, .whl or .zip (PEP 527).',
        ],
        [
          'an unknown :action',
          () => ({ dist: makeWheel(name, '1.0.0'), o: { action: 'remove_pkg' } }),
          400,
          'Unknown :action "remove_pkg": use file_upload.',
        ],
      ];
    for (const [what, make, status, reason] of refusals) {
      it(`refuses ${what}: ${status} with the reason phrase, nothing stored`, async () => {
        const { dist, o } = make();
        const res = await post(dist, o);
        expect(res.statusCode).toBe(status);
        expect(res.raw.res.statusMessage).toBe(reason);
        expect(res.json().error).toBe(reason);
        expect(fileCount(r)).toBe(0);
        expect(counts(r.db)).toMatchObject({ packages: 0, versions: 0, blobs: 0, outbox: 0 });
      });
    }

    it("refuses uploads to someone else's project with 403 and the PyPI sentence", async () => {
      await post(makeWheel(name, '1.0.0'));
      const res = await post(makeWheel(name, '1.1.0'), { version: '1.1.0' }, basic('bob', r.bob.token));
      expect(res.statusCode).toBe(403);
      expect(res.raw.res.statusMessage).toBe(`The user 'bob' isn't allowed to upload to project '${project}'.`);
      expect(fileCount(r)).toBe(1);
    });

    it('missing or wrong credentials get 401 with a Basic challenge; a read-only token 403', async () => {
      const f = uploadForm(makeWheel(name, '1.0.0'), name, '1.0.0');
      const none = await r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: f.headers, payload: f.payload });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="pypi"');
      const wrong = await post(makeWheel(name, '1.0.0'), {}, basic('alice', 'elk_not_a_real_token'));
      expect(wrong.statusCode).toBe(401);
      const otherUser = await post(makeWheel(name, '1.0.0'), {}, basic('bob', r.alice.token));
      expect(otherUser.statusCode).toBe(401);
      const ro = await post(makeWheel(name, '1.0.0'), {}, basic('alice', r.alice.readonlyToken));
      expect(ro.statusCode).toBe(403);
      expect(fileCount(r)).toBe(0);
    });
  });
}

describe('PyPI upload size limit', () => {
  it('answers 413 with the limit in the reason phrase and stores nothing', async () => {
    const r = await buildTestRegistry({ BODY_LIMIT_MB: '1' });
    try {
      const big = makeWheel('big-pkg', '1.0.0');
      const dist = { filename: big.filename, bytes: Buffer.concat([big.bytes, Buffer.alloc(1024 * 1024 + 10)]) };
      const f = uploadForm(dist, 'big-pkg', '1.0.0');
      const res = await r.app.inject({
        method: 'POST',
        url: '/pypi/legacy/',
        headers: { ...f.headers, ...basic('alice', r.alice.token) },
        payload: f.payload,
      });
      expect(res.statusCode).toBe(413);
      expect(res.raw.res.statusMessage).toBe('File too large. Limit is 1 MB.');
      expect(fileCount(r)).toBe(0);
    } finally {
      await r.app.close();
    }
  });
});
