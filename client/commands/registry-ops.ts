// publish-cli deprecate, dist-tag and unpublish, through the registry's npm protocol exactly as the npm CLI sends them.
import type { Command } from 'commander';
import semver from 'semver';
import { CliError, usageError } from '../http.ts';
import { formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { confirm } from '../prompt.ts';

/** "@scope/name" -> "@scope%2fname", as npm writes it in registry URLs. */
export const npmPath = (name: string) => (name.startsWith('@') ? name.replace('/', '%2f') : encodeURIComponent(name));

/** "name@1.2.3", "@scope/name@^1" -> [name, spec]. */
export function splitSpec(spec: string): [string, string | undefined] {
  const at = spec.lastIndexOf('@');
  if (at > 0) return [spec.slice(0, at), spec.slice(at + 1) || undefined];
  return [spec, undefined];
}

interface Packument {
  _id: string;
  _rev: string;
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, { deprecated?: string } & Record<string, unknown>>;
}

async function packument(ctx: Ctx, name: string): Promise<Packument> {
  const p = await ctx.client.request<Packument | undefined>('registry', `/npm/${npmPath(name)}`, {
    allow404: true,
    query: { write: 'true' },
  });
  if (!p) throw new CliError(`package ${name} was not found in the registry`, 1, 'PACKAGE_NOT_FOUND', 404);
  return p;
}

async function deprecate(ctx: Ctx, spec: string, message: string) {
  const [name, range] = splitSpec(spec);
  if (range && !semver.validRange(range)) throw usageError(`"${range}" is not a version or range`);
  const doc = await packument(ctx, name);
  const matched = Object.keys(doc.versions).filter((v) => !range || semver.satisfies(v, range, { includePrerelease: true }));
  if (matched.length === 0) throw new CliError(`no version of ${name} matches ${range}`, 1, 'VERSION_NOT_FOUND');
  for (const v of matched) doc.versions[v].deprecated = message;
  await ctx.client.request('registry', `/npm/${npmPath(name)}`, {
    method: 'PUT',
    body: { _id: doc._id, _rev: doc._rev, name: doc.name, versions: doc.versions },
  });
  if (ctx.json) return printJson({ name, versions: matched, message });
  print(message ? `Deprecated ${name} ${matched.join(', ')}: ${message}` : `Removed the deprecation of ${name} ${matched.join(', ')}`);
}

async function distTagLs(ctx: Ctx, name: string) {
  const tags = await ctx.client.request<Record<string, string>>('registry', `/npm/-/package/${npmPath(name)}/dist-tags`, {
    auth: 'optional',
  });
  if (ctx.json) return printJson({ name, distTags: tags });
  print(
    formatTable(Object.entries(tags), [
      { header: 'TAG', get: ([t]) => t },
      { header: 'VERSION', get: ([, v]) => v },
    ]),
  );
}

async function distTagAdd(ctx: Ctx, spec: string, tag: string) {
  const [name, version] = splitSpec(spec);
  if (!version || !semver.valid(version)) throw usageError('give the exact version to tag: <package>@<version> <tag>');
  if (semver.validRange(tag) && !/^[a-z]/i.test(tag)) throw usageError(`"${tag}" looks like a version: a tag must be a name such as beta`);
  await ctx.client.request('registry', `/npm/-/package/${npmPath(name)}/dist-tags/${encodeURIComponent(tag)}`, {
    method: 'PUT',
    body: version,
  });
  if (ctx.json) return printJson({ name, tag, version });
  print(`+${tag}: ${name}@${version}`);
}

async function distTagRm(ctx: Ctx, name: string, tag: string) {
  await ctx.client.request('registry', `/npm/-/package/${npmPath(name)}/dist-tags/${encodeURIComponent(tag)}`, { method: 'DELETE' });
  if (ctx.json) return printJson({ name, tag, removed: true });
  print(`-${tag}: ${name}`);
}

async function unpublish(ctx: Ctx, spec: string) {
  const [name, version] = splitSpec(spec);
  if (version && !semver.valid(version)) throw usageError(`"${version}" is not an exact version`);
  const doc = await packument(ctx, name);
  if (version && !doc.versions[version]) throw new CliError(`${name}@${version} does not exist`, 1, 'VERSION_NOT_FOUND', 404);
  const all = !version || Object.keys(doc.versions).length === 1;
  await confirm(
    all ? `Unpublish every version of ${name}? This cannot be undone` : `Unpublish ${name}@${version}? This cannot be undone`,
    ctx.flags.yes,
  );
  let removed: unknown;
  if (all) {
    const r = await ctx.client.request<{ removed?: unknown }>('registry', `/npm/${npmPath(name)}/-rev/${encodeURIComponent(doc._rev)}`, {
      method: 'DELETE',
    });
    removed = r?.removed ?? Object.keys(doc.versions);
  } else {
    const { [version as string]: _gone, ...versions } = doc.versions;
    const r = await ctx.client.request<{ removed?: unknown }>('registry', `/npm/${npmPath(name)}/-rev/${encodeURIComponent(doc._rev)}`, {
      method: 'PUT',
      body: { _id: doc._id, _rev: doc._rev, name: doc.name, 'dist-tags': doc['dist-tags'], versions },
    });
    removed = r?.removed ?? [version];
  }
  if (ctx.json) return printJson({ name, removed });
  print(`- ${name}${all ? '' : `@${version}`}`);
}

export function registerRegistryOpsCommands(program: Command, cli: string) {
  examples(
    program
      .command('deprecate <package[@range]> <message>')
      .description('mark versions deprecated (an empty message removes the deprecation)')
      .action(action(cli, deprecate)),
    [`${cli} deprecate my-pkg@"<2" "please upgrade to 2.x"`, `${cli} deprecate my-pkg@1.0.0 ""`],
  );
  const dt = program.command('dist-tag').description('list, add and remove dist-tags');
  examples(dt.command('ls <package>').alias('list').description('list the dist-tags of a package').action(action(cli, distTagLs)), [
    `${cli} dist-tag ls my-pkg`,
  ]);
  examples(dt.command('add <package@version> <tag>').description('point a tag at a version').action(action(cli, distTagAdd)), [
    `${cli} dist-tag add my-pkg@2.0.0-rc.1 next`,
  ]);
  examples(dt.command('rm <package> <tag>').description('remove a tag').action(action(cli, distTagRm)), [`${cli} dist-tag rm my-pkg next`]);
  examples(
    program
      .command('unpublish <package[@version]>')
      .description('remove a version (or the whole package) from the registry; asks first unless --yes')
      .action(action(cli, unpublish)),
    [`${cli} unpublish my-pkg@1.0.1`, `${cli} unpublish my-pkg --yes`],
  );
}
