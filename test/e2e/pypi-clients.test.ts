// The real Debian 12 Python clients against the registry at /pypi/ (main API + registry processes): build a wheel
// and an sdist with python3 -m build, twine upload (Basic username + token), an identical re-upload, a tampered
// re-upload (409 + the reason twine prints, --skip-existing), wrong credentials, then pip install / pip download
// in a venv with --isolated, checking the bytes. Offline recipe: multiformat-protocols.md 1.9.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, pipEnv, plain, run } from '../fixtures/pypi/client-env.ts';
import { makeWheel } from '../fixtures/pypi/pypi-fixtures.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

const PY = '/usr/bin/python3';
let suite: Suite;
let work: string;
let env: Record<string, string>;
let token: string;
let upload: string;
let index: string;
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const dist = (f: string) => path.join(work, 'proj', 'dist', f);
const WHEEL = 'Acc_Hello-0.1.1-py3-none-any.whl';
const SDIST = 'Acc_Hello-0.1.1.tar.gz';

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pypi-e2e-'));
  env = pipEnv(work);
  const proj = path.join(work, 'proj');
  fs.mkdirSync(path.join(proj, 'src', 'acc_hello'), { recursive: true });
  fs.writeFileSync(
    path.join(proj, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "Acc_Hello"\nversion = "0.1.1"\nrequires-python = ">=3.7"\ndescription = "acceptance package"\n',
  );
  fs.writeFileSync(path.join(proj, 'src', 'acc_hello', '__init__.py'), 'def hi():\n    return "hi"\n');
  // The suite boots while the distributions build. The venv sees Debian's pip 23.0.1 through the system site
  // packages (no ensurepip: faster), and setuptools for the sdist build without isolation.
  const [build, venv, started] = await Promise.all([
    run(PY, ['-m', 'build', '--no-isolation', '--sdist', '--wheel', '.'], { cwd: proj, env }),
    run(PY, ['-m', 'venv', '--without-pip', '--system-site-packages', path.join(work, 'venv')], { cwd: work, env }),
    startSuite({ only: ['api', 'registry'] }),
  ]);
  suite = started;
  expect(build.code, build.output).toBe(0);
  expect(venv.code, venv.output).toBe(0);
  token = await createPublisher(suite, 'pyalice');
  upload = `${suite.urls.registry}/pypi/legacy/`;
  index = `${suite.urls.registry}/pypi/simple/`;
}, 180_000);

afterAll(async () => {
  await suite?.stopAll();
});

const pip = (args: string[]) => run(path.join(work, 'venv', 'bin', 'python'), ['-m', 'pip', ...args], { cwd: work, env });
/** pip download --isolated of one requirement from an index URL (credentials in it, as pip takes them) into work/<dir>. */
const pipDownload = (indexUrl: string, dir: string, extra: string[] = []) =>
  pip(['download', '--isolated', '--no-deps', ...extra, '--index-url', indexUrl, '-d', path.join(work, dir), 'acc-hello==0.1.1']);
const withUser = (user: string, secret: string) => index.replace('http://', `http://${user}:${encodeURIComponent(secret)}@`);
const twine = (args: string[], password = token) =>
  run(
    'twine',
    ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', upload, '-u', 'pyalice', '-p', password, ...args],
    {
      cwd: work,
      env,
    },
  );

describe('twine upload and pip install against /pypi/', () => {
  it('twine uploads the wheel and the sdist; the index lists both with their sha256', async () => {
    const res = await twine([dist(WHEEL), dist(SDIST)]);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain(`Uploading ${WHEEL}`);
    const page = await fetch(`${index}acc-hello/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    const body = (await page.json()) as { files: { filename: string; hashes: { sha256: string } }[] };
    expect(body.files.map((f) => [f.filename, f.hashes.sha256])).toEqual([
      [WHEEL, sha256(dist(WHEEL))],
      [SDIST, sha256(dist(SDIST))],
    ]);
  });

  it('an identical re-upload succeeds, as on PyPI', async () => {
    const res = await twine([dist(WHEEL)]);
    expect(res.code, res.output).toBe(0);
  });

  it('other bytes under a used filename: twine shows 409 and the reason; --skip-existing skips it', async () => {
    const tampered = path.join(work, 'tampered');
    fs.mkdirSync(tampered, { recursive: true });
    fs.copyFileSync(dist(WHEEL), path.join(tampered, WHEEL));
    const add = await run(
      PY,
      ['-c', `import zipfile; zipfile.ZipFile(${JSON.stringify(path.join(tampered, WHEEL))}, 'a').writestr('acc_hello/evil.py', 'x = 1')`],
      { cwd: work, env },
    );
    expect(add.code, add.output).toBe(0);
    const res = await twine([path.join(tampered, WHEEL)]);
    expect(res.code).toBe(1);
    // twine 4 prints "<code> <phrase> from <url>" and then the reason phrase the registry set.
    expect(plain(res.output)).toContain(
      `HTTPError: 409 Conflict from ${upload} File already exists: ${WHEEL} was uploaded before with other bytes.`,
    );
    const skip = await twine(['--skip-existing', path.join(tampered, WHEEL)]);
    expect(skip.code, skip.output).toBe(0);
    expect(skip.output).toContain('Skipping');
  });

  it('a wrong token is refused with 401 and nothing is stored', async () => {
    const res = await twine([dist(WHEEL)], 'elk_wrongwrongwrongwrongwrongwrong');
    expect(res.code).toBe(1);
    expect(plain(res.output)).toContain(`HTTPError: 401 Unauthorized from ${upload}`);
    const page = await fetch(`${index}acc-hello/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    expect(((await page.json()) as { files: unknown[] }).files).toHaveLength(2);
  });

  it('pip install --isolated from the index installs the wheel, which imports and runs', async () => {
    const res = await pip(['install', '--isolated', '--no-deps', '--index-url', index, 'acc-hello==0.1.1']);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain(`Downloading ${suite.urls.registry}/pypi/files/acc-hello/${WHEEL}`);
    expect(res.output).toContain('Successfully installed acc-hello-0.1.1');
    const py = await run(path.join(work, 'venv', 'bin', 'python'), ['-c', 'import acc_hello; print(acc_hello.hi())'], { cwd: work, env });
    expect(py.stdout.trim()).toBe('hi');
  });

  it('pip download fetches the exact wheel bytes, and the exact sdist with --no-binary', async () => {
    const wheels = path.join(work, 'dl-wheel');
    const res = await pip(['download', '--isolated', '--no-deps', '--index-url', index, '-d', wheels, 'ACC.hello==0.1.1']);
    expect(res.code, res.output).toBe(0);
    expect(sha256(path.join(wheels, WHEEL))).toBe(sha256(dist(WHEEL)));
    const sdists = path.join(work, 'dl-sdist');
    const src = await pip([
      'download',
      '--isolated',
      '--no-deps',
      '--no-binary',
      ':all:',
      '--no-build-isolation',
      '--index-url',
      index,
      '-d',
      sdists,
      'acc-hello==0.1.1',
    ]);
    expect(src.code, src.output).toBe(0);
    expect(sha256(path.join(sdists, SDIST))).toBe(sha256(dist(SDIST)));
  });

  it('the security report resolves the same dependency versions pip downloads, and names the vulnerable one on its path', async () => {
    // tree-app needs tree-base>=1.0 and tree-mid; tree-mid needs tree-base<2: pip settles on tree-base 1.5, not 2.5.
    // Its requirements for old Pythons and for Windows do not apply to pip here (Linux, Python 3.8+), nor to the
    // report (CPython 3.13 on Linux): tree-base<1.2 would force 1.0, and tree-win is not even in the registry.
    const wheels = path.join(work, 'tree-wheels');
    fs.mkdirSync(wheels);
    const dists = [
      makeWheel('tree-base', '1.0'),
      makeWheel('tree-base', '1.5'),
      makeWheel('tree-base', '2.5'),
      makeWheel('tree-mid', '1.0', { requiresDist: ['tree-base<2', 'pytest; extra == "test"'] }),
      makeWheel('tree-app', '1.0', {
        requiresDist: ['tree-base>=1.0', 'tree-mid', 'tree-base<1.2; python_version < "3.8"', 'tree-win; sys_platform == "win32"'],
      }),
    ];
    for (const d of dists) fs.writeFileSync(path.join(wheels, d.filename), d.bytes);
    const up = await twine(dists.map((d) => path.join(wheels, d.filename)));
    expect(up.code, up.output).toBe(0);
    const advisory = {
      schema_version: '1.3.0',
      id: 'GHSA-e2e-tree-base',
      modified: '2026-01-01T00:00:00Z',
      summary: 'tree-base before 2.0 is vulnerable (test record)',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'tree-base' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
        },
      ],
    };
    const internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const imported = await fetch(`${suite.urls.registry}/internal/security/advisories`, {
      method: 'POST',
      headers: { 'x-internal-token': internalToken, 'content-type': 'application/json' },
      body: JSON.stringify(advisory),
    });
    expect(imported.status).toBe(200);

    const dir = path.join(work, 'dl-tree');
    const res = await pip(['download', '--isolated', '--index-url', index, '-d', dir, 'tree-app==1.0']);
    expect(res.code, res.output).toBe(0);
    // tree_app-1.0-py3-none-any.whl -> tree-app@1.0
    const pipChose = fs.readdirSync(dir).map((f) => {
      const [name, version] = f.split('-');
      return `${name.replace(/_/g, '-')}@${version}`;
    });
    expect(pipChose.sort()).toEqual(['tree-app@1.0', 'tree-base@1.5', 'tree-mid@1.0']);
    const report = await fetch(`${suite.urls.api}/api/packages/tree-app/1.0/security?ecosystem=pypi`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(report.status).toBe(200);
    const body = await report.json();
    expect([...body.dependencies.packages].sort()).toEqual(pipChose.sort());
    expect(body.vulnerabilities.transitive).toEqual([
      expect.objectContaining({
        name: 'tree-base',
        version: '1.5',
        isDirect: true,
        effects: ['tree-app', 'tree-mid'],
        paths: [
          ['tree-app@1.0', 'tree-base@1.5'],
          ['tree-app@1.0', 'tree-mid@1.0', 'tree-base@1.5'],
        ],
        fixAvailable: { name: 'tree-base', version: '2.5' },
      }),
    ]);
  });

  it('a private project: pip with credentials in the index URL downloads it; anonymous pip finds nothing (401)', async () => {
    const res = await fetch(`${suite.urls.registry}/pypi/-/access`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`pyalice:${token}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acc_Hello', access: 'restricted' }),
    });
    expect(res.status).toBe(200);
    const ok = await pipDownload(withUser('pyalice', token), 'dl-private');
    expect(ok.code, ok.output).toBe(0);
    expect(sha256(path.join(work, 'dl-private', WHEEL))).toBe(sha256(dist(WHEEL)));
    const anon = await pipDownload(index, 'dl-anon', ['--no-input']);
    // pip treats the 401 of an index page as "no links" and says so; the registry's answer carries the challenge.
    expect(anon.code).toBe(1);
    expect(anon.output).toContain('Could not find a version that satisfies the requirement acc-hello==0.1.1 (from versions: none)');
    const page = await fetch(`${index}acc-hello/`);
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toBe('Basic realm="pypi"');
  });

  it('a private project of an org: pip of an org member downloads it; pip of a user outside the org finds nothing', async () => {
    const api = (method: string, url: string, bearer: string, body?: unknown) =>
      fetch(`${suite.urls.api}${url}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const [carol, dave] = await Promise.all([createPublisher(suite, 'pycarol'), createPublisher(suite, 'pydave')]);
    expect((await api('POST', '/api/orgs', token, { name: 'pyorg' })).status).toBe(201);
    expect((await api('PUT', '/api/orgs/pyorg/members/pycarol', token, { role: 'member' })).status).toBe(200);
    const give = await fetch(`${suite.urls.registry}/pypi/-/access`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`pyalice:${token}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acc_Hello', access: 'restricted', org: 'pyorg' }),
    });
    expect(await give.json()).toMatchObject({ name: 'acc-hello', access: 'restricted', org: 'pyorg' });
    const ok = await pipDownload(withUser('pycarol', carol), 'dl-org-member');
    expect(ok.code, ok.output).toBe(0);
    expect(sha256(path.join(work, 'dl-org-member', WHEEL))).toBe(sha256(dist(WHEEL)));
    const outsider = await pipDownload(withUser('pydave', dave), 'dl-org-outsider');
    expect(outsider.code).toBe(1);
    expect(outsider.output).toContain('Could not find a version that satisfies the requirement acc-hello==0.1.1 (from versions: none)');
    // What pip was told: 404, the answer for any name the caller may not see.
    const page = await fetch(`${index}acc-hello/`, {
      headers: { authorization: `Basic ${Buffer.from(`pydave:${dave}`).toString('base64')}` },
    });
    expect(page.status).toBe(404);
  });
});
