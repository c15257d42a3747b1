// service-cli list and info: the marketplace catalog, grouped by category.
import { type Command, Option } from 'commander';
import { tierPrice } from '../../lib/tier-price.ts';
import { CliError } from '../http.ts';
import { colour, formatFields, formatMoney, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';

export interface ServiceSummary {
  id: string;
  name: string;
  slug: string;
  category: string;
  description: string;
  averageRating: number;
  ratingCount: number;
  startingPrice: number;
  /** Whether one tier costs nothing at all (a $0 metered tier still bills usage); absent from older servers. */
  hasFreeTier?: boolean;
  regions: string[];
}

export interface TierDetail {
  id: string;
  name: string;
  price: number;
  period: string;
  /** free: $0; flat: the monthly price; metered: pay-as-you-go on `usage` only. */
  model?: 'free' | 'flat' | 'metered';
  features: string[];
  usage?: { unit: string; included: number; pricePer: number; price: number } | null;
  regions: string[];
}

/** The FROM column: a service whose cheapest tier is $0 a month is "free" only when that tier bills nothing. */
const startingAt = (s: ServiceSummary) =>
  s.startingPrice > 0 ? `${formatMoney(s.startingPrice)}/mo` : s.hasFreeTier === false ? 'pay as you go' : 'free';

export interface ServiceDetail extends ServiceSummary {
  publisher?: string;
  pricing: {
    model: string;
    currency: string;
    tiers: TierDetail[];
  };
  specifications: { regions: string[]; sla?: unknown; versions?: string[]; provisioningSeconds?: unknown };
}

export async function fetchService(ctx: Ctx, slug: string): Promise<ServiceDetail> {
  const s = await ctx.client.request<ServiceDetail | undefined>('marketplace', `/api/services/${encodeURIComponent(slug)}`, {
    auth: 'none',
    allow404: true,
  });
  if (!s) throw new CliError(`no service "${slug}" in the catalog: run service-cli list to see them`, 1, 'UNKNOWN_SERVICE', 404);
  return s;
}

/** One table per category, in the catalog's order (featured first within each). */
export function catalogTables(services: ServiceSummary[], bold: (s: string) => string): string {
  const groups = new Map<string, ServiceSummary[]>();
  for (const s of services) groups.set(s.category, [...(groups.get(s.category) ?? []), s]);
  return [...groups]
    .map(
      ([cat, list]) =>
        `${bold(cat.toUpperCase())}\n${formatTable(list, [
          { header: 'SLUG', get: (s) => s.slug },
          { header: 'NAME', get: (s) => s.name },
          { header: 'FROM', get: startingAt, align: 'right' },
          { header: 'RATING', get: (s) => (s.ratingCount ? `${s.averageRating.toFixed(1)} (${s.ratingCount})` : '-') },
          { header: 'REGIONS', get: (s) => s.regions.join(','), max: 40 },
        ])}`,
    )
    .join('\n\n');
}

async function list(ctx: Ctx) {
  const o = ctx.flags as { category?: string; region?: string; search?: string; sort?: string };
  const services: ServiceSummary[] = [];
  let total = 0;
  // The API pages at 100; the catalog is small, so read it all.
  do {
    const page = await ctx.client.request<{ services: ServiceSummary[]; total: number }>('marketplace', '/api/services', {
      query: { category: o.category, region: o.region, q: o.search, sort: o.sort, limit: 100, offset: services.length },
      auth: 'none',
    });
    services.push(...page.services);
    total = page.total;
    if (page.services.length === 0) break;
  } while (services.length < total);
  if (ctx.json) return printJson({ services, total });
  if (services.length === 0) return print('No services match.');
  print(catalogTables(services, (s) => colour.bold(ctx.colour, s)));
}

async function info(ctx: Ctx, slug: string) {
  const s = await fetchService(ctx, slug);
  if (ctx.json) return printJson(s);
  print(`${colour.bold(ctx.colour, s.name)} (${s.slug}, ${s.category})`);
  print(s.description);
  print('');
  const sla = s.specifications.sla as { uptime?: number | string } | string | undefined;
  print(
    formatFields([
      ['Publisher', s.publisher],
      ['Rating', s.ratingCount ? `${s.averageRating.toFixed(1)} / 5 from ${s.ratingCount} reviews` : 'no reviews yet'],
      ['Regions', s.specifications.regions.join(', ')],
      ['SLA', typeof sla === 'object' && sla ? (sla.uptime !== undefined ? `${sla.uptime}% uptime` : JSON.stringify(sla)) : sla],
      ['Versions', s.specifications.versions?.join(', ')],
    ]),
  );
  print('');
  print(
    formatTable(s.pricing.tiers, [
      { header: 'TIER', get: (t) => t.id },
      { header: 'NAME', get: (t) => t.name },
      { header: 'PRICE', get: tierPrice, align: 'right' },
      { header: 'REGIONS', get: (t) => t.regions.join(','), max: 30 },
      { header: 'FEATURES', get: (t) => t.features.join(', '), max: 60 },
    ]),
  );
}

export function registerCatalogCommands(program: Command, cli: string) {
  examples(
    program
      .command('list')
      .alias('ls')
      .description('the service catalog, by category')
      // The seed README's five categories: a typo is a usage error naming them, not the server's validation text.
      .addOption(new Option('-c, --category <category>', 'only this category').choices(['database', 'ml', 'api', 'storage', 'compute']))
      .option('-r, --region <region>', 'only services offered in this region')
      .option('-s, --search <words>', 'match name, description, category or tier (every word)')
      .addOption(
        new Option(
          '--sort <order>',
          'order within each category: featured first, by name, cheapest first, best rated, most deployed',
        ).choices(['featured', 'name', 'price', 'rating', 'popular']),
      )
      .action(action(cli, list)),
    [
      `${cli} list`,
      `${cli} list --category database --region eu-west-1`,
      `${cli} list --search database --sort price`,
      `${cli} list --json`,
    ],
  );
  examples(program.command('info <slug>').description('tiers, prices, regions, SLA and rating of a service').action(action(cli, info)), [
    `${cli} info postgres-managed`,
  ]);
}
