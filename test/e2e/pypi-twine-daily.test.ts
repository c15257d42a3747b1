// Debian 12's twine 4.0.2 and pip 23.0.1 against /pypi/ in two daily situations an earlier pass missed:
// - `twine upload dist/*` where dist/ holds detached signatures (*.asc, as `gpg --detach-sign -a` or `twine upload
//   --sign` leave them): twine sends each as a gpg_signature part beside its distribution. pypi.org ignores them;
//   this registry answered 413 "File too large", so the upload failed.
// - a wheel whose Requires-Dist pip cannot parse (`foo (>=1`): stored, it made pip stop with an InvalidRequirement
//   traceback for the project and everything depending on it. twine now shows pypi.org's refusal instead.
// - --repository-url at the repository root, the upload URL of Nexus, devpi and Artifactory: it answered 404.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, pipEnv, plain, run } from '../fixtures/pypi/client-env.ts';
import { makeWheel } from '../fixtures/pypi/pypi-fixtures.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let work: string;
let env: Record<string, string>;
let token: string;
let upload: string;
let index: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pypi-daily-'));
  env = pipEnv(work);
  suite = await startSuite({ only: ['api', 'registry'] });
  token = await createPublisher(suite, 'pydaily');
  upload = `${suite.urls.registry}/pypi/legacy/`;
  index = `${suite.urls.registry}/pypi/simple/`;
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
});

const twine = (files: string[], url = upload) =>
  run('twine', ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', url, '-u', 'pydaily', '-p', token, ...files], {
    cwd: work,
    env,
  });
const pipDownload = (requirement: string, dir: string) =>
  run('/usr/bin/python3', ['-m', 'pip', 'download', '--no-deps', '--index-url', index, '-d', path.join(work, dir), requirement], {
    cwd: work,
    env,
  });
function writeDist(dir: string, files: { filename: string; bytes: Buffer | string }[]): string[] {
  fs.mkdirSync(path.join(work, dir), { recursive: true });
  return files.map((f) => {
    const file = path.join(work, dir, f.filename);
    fs.writeFileSync(file, f.bytes);
    return file;
  });
}

describe('twine upload of everyday dist folders', () => {
  it('a wheel with its detached .asc signature uploads, and pip downloads the exact wheel', async () => {
    const wheel = makeWheel('daily-signed', '1.0.0');
    const signature = '-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n';
    const files = writeDist('signed', [wheel, { filename: `${wheel.filename}.asc`, bytes: signature }]);
    const res = await twine(files);
    expect(res.code, res.output).toBe(0);
    expect(plain(res.output)).toContain(`Uploading ${wheel.filename}`);
    const dl = await pipDownload('daily-signed==1.0.0', 'signed-dl');
    expect(dl.code, dl.output).toBe(0);
    expect(fs.readFileSync(path.join(work, 'signed-dl', wheel.filename)).equals(wheel.bytes)).toBe(true);
  });

  it('the repository root as upload URL (Nexus, devpi and Artifactory style, with or without the slash) uploads', async () => {
    const root = `${suite.urls.registry}/pypi`;
    const a = makeWheel('daily-root', '1.0.0');
    const b = makeWheel('daily-root', '1.0.1');
    const [first, second] = [await twine(writeDist('root-a', [a]), `${root}/`), await twine(writeDist('root-b', [b]), root)];
    expect(first.code, first.output).toBe(0);
    expect(second.code, second.output).toBe(0);
    const dl = await pipDownload('daily-root==1.0.1', 'root-dl');
    expect(dl.code, dl.output).toBe(0);
    expect(fs.readFileSync(path.join(work, 'root-dl', b.filename)).equals(b.bytes)).toBe(true);
  });

  it('a wheel whose Requires-Dist pip cannot parse is refused with the reason, so pip never meets it', async () => {
    const wheel = makeWheel('daily-badreq', '1.0.0', { requiresDist: ['requests>=2', 'foo (>=1'] });
    const res = await twine(writeDist('badreq', [wheel]));
    expect(res.code).toBe(1);
    expect(plain(res.output)).toContain(
      `HTTPError: 400 Bad Request from ${upload} 'foo (>=1' is an invalid value for Requires-Dist: invalid version specifier "(>=1".`,
    );
    const dl = await pipDownload('daily-badreq', 'badreq-dl');
    expect(dl.code).toBe(1);
    expect(dl.output).toContain('No matching distribution found for daily-badreq');
    expect(dl.output).not.toContain('InvalidRequirement');
  });
});
