// twine uploads a detached GPG signature (dist/*.asc beside the distribution, or `twine upload --sign`) as a second
// file part named gpg_signature. pypi.org ignores it since 2023; this registry used to answer 413 "File too large"
// because the form allowed one file. Also: a form with too many parts is a malformed upload, not a large one; and
// the repository root takes uploads too, as the upload URL of Nexus, devpi and Artifactory is their root.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const SIGNATURE = '-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n';

/** twine's form with more file parts after `content`, as twine 4 adds gpg_signature. */
function withFileParts(form: ReturnType<typeof uploadForm>, files: [field: string, filename: string, text: string][]) {
  const boundary = form.headers['content-type'].split('boundary=')[1];
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const head = form.payload.subarray(0, form.payload.length - closing.length);
  const parts = files.map(([field, filename, text]) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${text}\r\n`,
    ),
  );
  return { headers: form.headers, payload: Buffer.concat([head, ...parts, closing]) };
}

describe('PyPI upload with a detached signature', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const post = (f: { headers: Record<string, string>; payload: Buffer }) =>
    r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: { ...f.headers, ...basic('alice', r.alice.token) }, payload: f.payload });

  it('stores the distribution and ignores gpg_signature, as pypi.org does', async () => {
    const wheel = makeWheel('signed-pkg', '1.0.0');
    const res = await post(
      withFileParts(uploadForm(wheel, 'signed-pkg', '1.0.0'), [['gpg_signature', `${wheel.filename}.asc`, SIGNATURE]]),
    );
    expect(res.statusCode, res.body).toBe(200);
    const served = await r.app.inject({ method: 'GET', url: `/pypi/files/signed-pkg/${wheel.filename}` });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(wheel.bytes)).toBe(true);
    // The signature is not a distribution: nothing else is listed.
    const page = await r.app.inject({
      method: 'GET',
      url: '/pypi/simple/signed-pkg/',
      headers: { accept: 'application/vnd.pypi.simple.v1+json' },
    });
    expect((page.json() as { files: { filename: string }[] }).files.map((f) => f.filename)).toEqual([wheel.filename]);
  });

  it('a second content part is refused, and too many file parts are a 400 that says so, not "File too large"', async () => {
    const wheel = makeWheel('signed-pkg', '1.0.0');
    const twice = await post(withFileParts(uploadForm(wheel, 'signed-pkg', '1.0.0'), [['content', wheel.filename, 'other bytes']]));
    expect(twice.statusCode).toBe(400);
    expect(twice.raw.res.statusMessage).toBe('Upload one distribution per request, as twine does.');
    const crowded = await post(
      withFileParts(uploadForm(wheel, 'signed-pkg', '1.0.0'), [
        ['gpg_signature', 'a.asc', SIGNATURE],
        ['gpg_signature', 'b.asc', SIGNATURE],
      ]),
    );
    expect(crowded.statusCode).toBe(400);
    expect(crowded.raw.res.statusMessage).toBe('Too many parts in the upload form: send one distribution and its metadata fields.');
    const listed = await r.app.inject({ method: 'GET', url: '/pypi/simple/signed-pkg/' });
    expect(listed.statusCode).toBe(404);
  });
});

describe('PyPI upload URL', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  it.each(['/pypi/', '/pypi'])(
    'twine --repository-url at the repository root (%s), as Nexus, devpi and Artifactory use, uploads',
    async (url) => {
      const wheel = makeWheel('root-pkg', '1.0.0');
      const f = uploadForm(wheel, 'root-pkg', '1.0.0');
      const res = await r.app.inject({
        method: 'POST',
        url,
        headers: { ...f.headers, ...basic('alice', r.alice.token) },
        payload: f.payload,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect((await r.app.inject({ method: 'GET', url: `/pypi/files/root-pkg/${wheel.filename}` })).rawPayload.equals(wheel.bytes)).toBe(
        true,
      );
    },
  );
});
