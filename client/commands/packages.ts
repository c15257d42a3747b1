// publish-cli search and info: the main API's package REST API, falling back to the registry's npm search.
import type { Command } from 'commander';
import { CliError, type Client } from '../http.ts';
import { colour, formatCount, formatFields, formatInt, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { npmPath } from './registry-ops.ts';

export interface SearchRow {
  name: string;
  version: string | null;
  score: number | null;
  downloads: number;
  description: string | null;
}

interface NpmSearch {
  objects: {
    package: { name: string; version: string; description?: string };
    score?: { final?: number };
    downloads?: { monthly?: number };
  }[];
  total: number;
}

async function searchRows(client: Client, q: string, limit: number, ecosystem: string): Promise<{ results: SearchRow[]; total: number }> {
  const r = await client.request<{ results: SearchRow[]; total: number } | undefined>('api', '/api/packages/search', {
    query: { q, limit, ecosystem },
    auth: 'optional',
    allow404: true,
  });
  if (r)
    return {
      results: r.results.map(({ name, version, score, downloads, description }) => ({ name, version, score, downloads, description })),
      total: r.total,
    };
  const n = await client.request<NpmSearch>('registry', '/npm/-/v1/search', { query: { text: q, size: limit }, auth: 'optional' });
  return {
    results: n.objects.map((o) => ({
      name: o.package.name,
      version: o.package.version,
      score: o.score?.final ?? null,
      downloads: o.downloads?.monthly ?? 0,
      description: o.package.description ?? null,
    })),
    total: n.total,
  };
}

export const formatScore = (s: number | null) => (s === null ? '-' : (s > 1 ? s / 100 : s).toFixed(2));

export function searchTable(rows: SearchRow[]): string {
  return formatTable(rows, [
    { header: 'NAME', get: (r) => r.name },
    { header: 'VERSION', get: (r) => r.version ?? '-' },
    { header: 'SCORE', get: (r) => formatScore(r.score), align: 'right' },
    { header: 'DOWNLOADS', get: (r) => formatInt(r.downloads), align: 'right' },
    { header: 'DESCRIPTION', get: (r) => r.description ?? '', max: 60 },
  ]);
}

async function search(ctx: Ctx, words: string[]) {
  const o = ctx.flags as { limit?: string; ecosystem?: string };
  const limit = Number(o.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CliError('--limit must be a whole number from 1 to 100', 2, 'USAGE');
  const r = await searchRows(ctx.client, words.join(' '), limit, o.ecosystem ?? 'npm');
  if (ctx.json) return printJson(r);
  if (r.results.length === 0) return print(`No packages match "${words.join(' ')}".`);
  print(searchTable(r.results));
  if (r.total > r.results.length) print(colour.dim(ctx.colour, `${r.results.length} of ${r.total} shown (--limit to see more)`));
}

interface Details {
  name: string;
  ecosystem: string;
  description: string | null;
  license: string | null;
  maintainers: string[];
  keywords: string[];
  downloads: number;
  score: { quality: number; popularity: number; maintenance: number; overall: number } | null;
  distTags: Record<string, string>;
  versions: { version: string; publishedAt: string; deprecated: string | null; size: number }[];
}

interface Advisory {
  id?: number | string;
  title?: string;
  severity?: string;
  url?: string;
  vulnerable_versions?: string;
}

async function info(ctx: Ctx, name: string) {
  const ecosystem = (ctx.flags.ecosystem as string | undefined) ?? 'npm';
  const d = await ctx.client.request<Details | undefined>('api', `/api/packages/${npmPath(name)}`, {
    query: { ecosystem },
    auth: 'optional',
    allow404: true,
  });
  if (!d) throw new CliError(`package ${name} was not found (${ecosystem})`, 1, 'PACKAGE_NOT_FOUND', 404);
  // Known advisories for the latest version, through the registry's bulk audit endpoint.
  let vulnerabilities: Advisory[] = [];
  const latest = d.distTags.latest;
  if (ecosystem === 'npm' && latest) {
    const adv = await ctx.client
      .request<Record<string, Advisory[]>>('registry', '/npm/-/npm/v1/security/advisories/bulk', {
        body: { [name]: [latest] },
        auth: 'optional',
      })
      .catch(() => ({}) as Record<string, Advisory[]>);
    vulnerabilities = adv[name] ?? [];
  }
  const out = { ...d, vulnerabilities };
  if (ctx.json) return printJson(out);
  const b = (s: string) => colour.bold(ctx.colour, s);
  print(`${b(d.name)}${latest ? `@${latest}` : ''}${d.license ? ` | ${d.license}` : ''} | ${formatCount(d.downloads, 'download')}`);
  if (d.description) print(d.description);
  // As npm view shows it: the version an install gets is deprecated, with the author's words.
  const deprecated = d.versions.find((v) => v.version === latest)?.deprecated;
  if (deprecated) print(`${colour.yellow(ctx.colour, 'DEPRECATED')}: ${deprecated}`);
  print('');
  print(
    formatFields([
      [
        'dist-tags',
        Object.entries(d.distTags)
          .map(([t, v]) => `${t}: ${v}`)
          .join(', '),
      ],
      ['versions', d.versions.map((v) => v.version + (v.deprecated ? ' (deprecated)' : '')).join(', ')],
      ['maintainers', d.maintainers.join(', ')],
      ['keywords', d.keywords.join(', ')],
      [
        'score',
        d.score
          ? `${formatScore(d.score.overall)} (quality ${formatScore(d.score.quality)}, popularity ${formatScore(d.score.popularity)}, maintenance ${formatScore(d.score.maintenance)})`
          : 'not scored yet',
      ],
      ['vulnerabilities', vulnerabilities.length === 0 ? 'none known' : `${vulnerabilities.length}`],
    ]),
  );
  for (const v of vulnerabilities) print(`  ${colour.red(ctx.colour, v.severity ?? 'unknown')} ${v.title ?? ''} ${v.url ?? ''}`.trimEnd());
}

export function registerPackageCommands(program: Command, cli: string) {
  examples(
    program
      .command('search <words...>')
      .description('search packages (table: name, version, score, downloads, description)')
      .option('-l, --limit <n>', 'how many results (1-100)', '20')
      .option('-e, --ecosystem <name>', 'npm, pypi, maven or rubygems', 'npm')
      .action(action(cli, search)),
    [`${cli} search elide`, `${cli} search http client --limit 5 --json`],
  );
  examples(
    program
      .command('info <package>')
      .alias('view')
      .description('versions, tags, scores with breakdown, known vulnerabilities, license')
      .option('-e, --ecosystem <name>', 'npm, pypi, maven or rubygems', 'npm')
      .action(action(cli, info)),
    [`${cli} info @elide/http`, `${cli} info left-pad --json`],
  );
}
