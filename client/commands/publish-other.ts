// publish for Python (PyPI legacy upload), Maven (PUTs under /maven2/) and Ruby (POST /rubygems/api/v1/gems) projects,
// building with the machine's python/gem when present, else uploading what is already built.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { valid as pep440Valid } from '@renovatebot/pep440';
import { XMLParser } from 'fast-xml-parser';
import { CliError, notLoggedIn } from '../http.ts';
import { print, printJson, spinner } from '../output.ts';
import type { Ctx } from '../program.ts';
import type { ProjectKind } from './publish.ts';

const hash = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
const works = (cmd: string, args: string[], cwd?: string) => spawnSync(cmd, args, { cwd, stdio: 'ignore', timeout: 300_000 }).status === 0;

function token(ctx: Ctx): string {
  if (!ctx.client.credential) throw notLoggedIn();
  return ctx.client.credential.token;
}

/** "my_pkg-1.0.0-py3-none-any.whl" / "my-pkg-1.0.0.tar.gz" -> name, version, filetype. */
export function parseDistFilename(
  file: string,
): { name: string; version: string; filetype: 'bdist_wheel' | 'sdist'; pyversion: string } | undefined {
  const wheel = /^([A-Za-z0-9_.]+)-([^-]+)-(?:\d[^-]*-)?([^-]+)-[^-]+-[^-]+\.whl$/.exec(file);
  if (wheel) return { name: wheel[1], version: wheel[2], filetype: 'bdist_wheel', pyversion: wheel[3] };
  const sdist = /^(.+)-([^-]+)\.(?:tar\.gz|zip)$/.exec(file);
  if (sdist) return { name: sdist[1], version: sdist[2], filetype: 'sdist', pyversion: 'source' };
  return undefined;
}

/** The first python (PYTHON, python3, python) that has the build module, if any. */
function pythonWithBuild(): string | undefined {
  return [process.env.PYTHON, 'python3', 'python'].find((p): p is string => !!p && works(p, ['-m', 'build', '--version']));
}

async function publishPython(ctx: Ctx, dir: string) {
  let distDir = path.join(dir, 'dist');
  const python = ctx.flags.build === false ? undefined : pythonWithBuild();
  if (python) {
    distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-dist-'));
    // With setuptools already installed, build without an isolated env: no download of build requirements (works offline).
    const isolation = works(python, ['-c', 'import setuptools']) ? ['--no-isolation'] : [];
    const s = spinner(`building sdist and wheel with ${python} -m build`, { json: ctx.json });
    const r = spawnSync(python, ['-m', 'build', ...isolation, '--sdist', '--wheel', '--outdir', distDir, dir], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    s.stop();
    if (r.status !== 0)
      throw new CliError(
        `${python} -m build failed:\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`,
        1,
        'BUILD_FAILED',
      );
  }
  const files = fs.existsSync(distDir) ? fs.readdirSync(distDir).filter((f) => parseDistFilename(f)) : [];
  if (files.length === 0)
    throw new CliError(
      `nothing to upload in ${distDir}: install the build module (pip install build) or build the sdist and wheel into dist/`,
      1,
      'NOTHING_BUILT',
    );
  const parsed = files.map((f) => ({ file: f, ...(parseDistFilename(f) as NonNullable<ReturnType<typeof parseDistFilename>>) }));
  for (const p of parsed)
    if (!pep440Valid(p.version))
      throw new CliError(`${p.file}: "${p.version}" is not a valid PEP 440 version: nothing was uploaded`, 1, 'INVALID_VERSION');
  const auth = `Basic ${Buffer.from(`__token__:${token(ctx)}`).toString('base64')}`;
  const uploaded: string[] = [];
  for (const p of parsed) {
    const bytes = fs.readFileSync(path.join(distDir, p.file));
    const form = new FormData();
    for (const [k, v] of Object.entries({
      ':action': 'file_upload',
      protocol_version: '1',
      metadata_version: '2.1',
      name: p.name,
      version: p.version,
      filetype: p.filetype,
      pyversion: p.pyversion,
      md5_digest: hash('md5', bytes),
      sha256_digest: hash('sha256', bytes),
    }))
      form.append(k, v);
    form.append('content', new Blob([bytes]), p.file);
    await ctx.client.request('registry', '/pypi/legacy/', {
      method: 'POST',
      form,
      auth: 'none',
      headers: { authorization: auth },
      timeoutMs: 120_000,
      text: true,
    });
    uploaded.push(p.file);
    if (!ctx.json) print(`+ ${p.file}`);
  }
  if (ctx.json)
    printJson({
      ecosystem: 'pypi',
      name: parsed[0].name.toLowerCase().replace(/[-_.]+/g, '-'),
      version: parsed[0].version,
      files: uploaded,
    });
}

async function publishMaven(ctx: Ctx, dir: string) {
  const pomText = fs.readFileSync(path.join(dir, 'pom.xml'), 'utf8');
  const pom = (new XMLParser().parse(pomText) as { project?: Record<string, unknown> }).project ?? {};
  const parent = (pom.parent ?? {}) as Record<string, unknown>;
  const groupId = String(pom.groupId ?? parent.groupId ?? '');
  const artifactId = String(pom.artifactId ?? '');
  const version = String(pom.version ?? parent.version ?? '');
  const packaging = String(pom.packaging ?? 'jar');
  if (
    !/^[A-Za-z0-9_.-]+$/.test(groupId) ||
    !/^[A-Za-z0-9_.-]+$/.test(artifactId) ||
    !/^[A-Za-z0-9_.+-]+$/.test(version) ||
    version.includes('${')
  )
    throw new CliError(
      `pom.xml needs a plain groupId, artifactId and version (got "${groupId}:${artifactId}:${version}"): nothing was uploaded`,
      1,
      'INVALID_NAME',
    );
  const jar = path.join(dir, 'target', `${artifactId}-${version}.jar`);
  if (packaging === 'jar' && !fs.existsSync(jar)) throw new CliError(`${jar} is missing: run mvn package first`, 1, 'NOTHING_BUILT');
  const base = `/maven2/${groupId.replace(/\./g, '/')}/${artifactId}/${version}/${artifactId}-${version}`;
  const uploads: [string, Buffer][] = [[`${base}.pom`, Buffer.from(pomText)]];
  if (packaging === 'jar') uploads.unshift([`${base}.jar`, fs.readFileSync(jar)]);
  // Maven sends Basic user:token; with ELIDE_TOKEN the user name comes from the API.
  const user = ctx.client.credential?.username ?? (await ctx.client.request<{ username: string }>('api', '/api/auth/me')).username;
  const auth = `Basic ${Buffer.from(`${user}:${token(ctx)}`).toString('base64')}`;
  for (const [p, bytes] of uploads) {
    for (const [suffix, body] of [
      ['', bytes],
      ['.sha1', Buffer.from(hash('sha1', bytes))],
      ['.md5', Buffer.from(hash('md5', bytes))],
    ] as const) {
      await ctx.client.request('registry', p + suffix, {
        method: 'PUT',
        rawBody: body,
        auth: 'none',
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        timeoutMs: 120_000,
        text: true,
      });
    }
    if (!ctx.json) print(`+ ${p.slice('/maven2/'.length)}`);
  }
  if (ctx.json) printJson({ ecosystem: 'maven', groupId, artifactId, version, files: uploads.map(([p]) => p.split('/').pop()) });
}

async function publishGem(ctx: Ctx, dir: string) {
  const spec = fs.readdirSync(dir).find((f) => f.endsWith('.gemspec')) as string;
  if (ctx.flags.build !== false && works('gem', ['--version'])) {
    const r = spawnSync('gem', ['build', spec], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0)
      throw new CliError(
        `gem build ${spec} failed:\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`,
        1,
        'BUILD_FAILED',
      );
  }
  const gems = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.gem'))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }));
  if (gems.length === 0) throw new CliError(`no .gem file in ${dir}: install RubyGems (gem) or run gem build ${spec}`, 1, 'NOTHING_BUILT');
  const newest = gems.sort((a, b) => b.t - a.t)[0].f;
  if (!/^[A-Za-z0-9_.-]+-\d[A-Za-z0-9.]*(-[a-z0-9_-]+)?\.gem$/.test(newest))
    throw new CliError(`${newest}: not a name-version.gem file: nothing was uploaded`, 1, 'INVALID_NAME');
  await ctx.client.request('registry', '/rubygems/api/v1/gems', {
    method: 'POST',
    rawBody: fs.readFileSync(path.join(dir, newest)),
    auth: 'none',
    headers: { authorization: token(ctx), 'content-type': 'application/octet-stream' },
    timeoutMs: 120_000,
    text: true,
  });
  if (ctx.json) return printJson({ ecosystem: 'rubygems', file: newest });
  print(`+ ${newest}`);
}

export async function publishOther(ctx: Ctx, kind: Exclude<ProjectKind, 'npm'>, dir: string): Promise<void> {
  if (kind === 'pypi') return publishPython(ctx, dir);
  if (kind === 'maven') return publishMaven(ctx, dir);
  return publishGem(ctx, dir);
}
