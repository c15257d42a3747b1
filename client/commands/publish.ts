// publish-cli publish [dir]: detects the project kind and publishes it through the registry's own protocol.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import semver from 'semver';
import { CliError, notLoggedIn, usageError } from '../http.ts';
import { buildTarball, readProject, selectPackFiles } from '../npm-pack.ts';
import { colour, formatInt, print, printJson, spinner } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { publishOther } from './publish-other.ts';
import { npmPath } from './registry-ops.ts';

export type ProjectKind = 'npm' | 'pypi' | 'maven' | 'rubygems';

export function detectProject(dir: string): ProjectKind | undefined {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has('package.json')) return 'npm';
  if (has('pyproject.toml') || has('setup.py')) return 'pypi';
  if (has('pom.xml')) return 'maven';
  if (fs.readdirSync(dir).some((f) => f.endsWith('.gemspec'))) return 'rubygems';
  return undefined;
}

const NPM_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;

/** The npm name rules, so a bad name is refused here rather than by the registry halfway through. */
export function npmNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'package.json has no "name"';
  if (name.length > 214) return `the name "${name.slice(0, 40)}…" is longer than 214 characters`;
  if (name !== name.toLowerCase()) return `the name "${name}" must be lowercase`;
  if (!NPM_NAME.test(name)) return `the name "${name}" may only contain URL-safe characters and cannot start with . or _`;
  return undefined;
}

async function publishNpm(ctx: Ctx, dir: string) {
  const o = ctx.flags as { tag?: string; access?: string; dryRun?: boolean };
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch (e) {
    throw new CliError(`${path.join(dir, 'package.json')} is not valid JSON: ${(e as Error).message}`, 1, 'INVALID_MANIFEST');
  }
  const problem = npmNameProblem(pkg.name);
  if (problem) throw new CliError(`${problem}: nothing was uploaded`, 1, 'INVALID_NAME');
  const name = pkg.name as string;
  if (typeof pkg.version !== 'string' || !semver.valid(pkg.version))
    throw new CliError(
      `the version ${JSON.stringify(pkg.version ?? null)} of ${name} is not a valid semver version (like 1.0.0): nothing was uploaded`,
      1,
      'INVALID_VERSION',
    );
  const version = semver.clean(pkg.version) as string;
  if (pkg.private === true)
    throw new CliError(`${name} is marked "private": true in package.json: remove it to publish`, 1, 'PRIVATE_PACKAGE');
  const tag = o.tag ?? (semver.prerelease(version) ? 'next' : 'latest');
  if (semver.validRange(tag) && semver.valid(tag)) throw usageError(`--tag "${tag}" looks like a version: use a name such as beta`);
  if (o.access && o.access !== 'public' && o.access !== 'restricted') throw usageError('--access must be public or restricted');

  const project = readProject(dir);
  const files = selectPackFiles({ files: project.files, pkg, ignoreFiles: project.ignoreFiles });
  const tarball = await buildTarball(dir, files);
  const summary = {
    name,
    version,
    tag,
    files: files.length,
    size: tarball.data.length,
    shasum: tarball.shasum,
    integrity: tarball.integrity,
  };
  if (!ctx.json) {
    print(`📦 ${name}@${version}`);
    for (const f of files) print(colour.dim(ctx.colour, `  ${f}`));
    print(`${files.length} files, ${formatInt(tarball.data.length)} bytes packed, shasum ${tarball.shasum}`);
  }
  if (o.dryRun) return ctx.json ? printJson({ ...summary, files, dryRun: true }) : print('Dry run: nothing was uploaded.');

  const base = `${ctx.client.urls.registry}/npm`;
  const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
  // The registry shows the README the version object carries (as the npm client sends it), not the tarball's:
  // without these two fields the package page says "No README". npm's choice: a top-level readme, .md first.
  const readmes = files.filter((f) => /^readme(\.[^/.]*)?$/i.test(f));
  const readmeFilename = readmes.find((f) => /\.md$/i.test(f)) ?? readmes[0];
  const readme = readmeFilename ? { readme: fs.readFileSync(path.join(dir, readmeFilename), 'utf8'), readmeFilename } : {};
  const body = {
    _id: name,
    name,
    description: typeof pkg.description === 'string' ? pkg.description : undefined,
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        ...pkg,
        ...readme,
        version,
        _id: `${name}@${version}`,
        dist: { shasum: tarball.shasum, integrity: tarball.integrity, tarball: `${base}/${name}/-/${file}` },
      },
    },
    access: o.access ?? null,
    _attachments: {
      [`${name}-${version}.tgz`]: {
        content_type: 'application/octet-stream',
        data: tarball.data.toString('base64'),
        length: tarball.data.length,
      },
    },
  };
  const spin = spinner(`publishing ${name}@${version} to ${base}/`, { json: ctx.json });
  try {
    await ctx.client.request('registry', `/npm/${npmPath(name)}`, { method: 'PUT', body, timeoutMs: 120_000 });
  } finally {
    spin.stop();
  }
  if (ctx.json) return printJson({ ...summary, ecosystem: 'npm', registry: `${base}/` });
  print(`${colour.green(ctx.colour, '+')} ${name}@${version} (tag ${tag})`);
}

async function publish(ctx: Ctx, dirArg: string | undefined) {
  const dir = path.resolve(dirArg ?? '.');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw usageError(`${dir} is not a folder`);
  const kind = detectProject(dir);
  if (!kind)
    throw new CliError(`no package.json, pyproject.toml, setup.py, pom.xml or *.gemspec in ${dir}: nothing to publish`, 1, 'NO_PROJECT');
  // Before packing or building: a missing login should not cost a Python or gem build first.
  if (!ctx.flags.dryRun && !ctx.client.credential) throw notLoggedIn();
  if (kind === 'npm') return publishNpm(ctx, dir);
  return publishOther(ctx, kind, dir);
}

export function registerPublishCommand(program: Command, cli: string) {
  examples(
    program
      .command('publish [dir]')
      .description(
        'publish the project in dir (default .): npm (package.json), Python (pyproject.toml/setup.py), Maven (pom.xml), Ruby (*.gemspec)',
      )
      .option('-t, --tag <tag>', 'npm dist-tag for this version (default latest, next for prereleases)')
      .option('--access <access>', 'npm scoped packages: public or restricted')
      .option('--dry-run', 'show what would be published, upload nothing')
      .option('--no-build', 'Python and Ruby: upload what is already built (dist/*, *.gem) without building')
      .action(action(cli, publish)),
    [`${cli} publish`, `${cli} publish ./my-package --tag beta`, `${cli} publish --dry-run --json`],
  );
}
