// The catalog as users browse it: the orchestrator's templates joined with ratings and live deployment
// counts, filtered (category, region, price, rating, words) and ordered featured, then premium, then by name
// (or by name, price, rating or popularity on request).
import { type Category, SERVICE_TEMPLATES, type ServiceTemplate, startingPriceCents } from '../services/templates/index.ts';
import { templateDetail } from '../services/templates/view.ts';
import type { ListingsRepo } from './catalog-listings.ts';
import type { DeploymentsRepo } from './deployments-repo.ts';
import type { RatingStats, ReviewsRepo } from './reviews-repo.ts';

export interface CatalogFilter {
  category?: Category;
  region?: string;
  /** Dollars, on the cheapest tier. */
  minPrice?: number;
  maxPrice?: number;
  minRating?: number;
  q?: string;
  /** featured (the default: featured, then premium, then by name), name, price (cheapest first), rating, popular. */
  sort?: CatalogSort;
  limit: number;
  offset: number;
}

export const CATALOG_SORTS = ['featured', 'name', 'price', 'rating', 'popular'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];

const PLACEMENT = { featured: 0, premium: 1, standard: 2 } as const;
// What people type for a category: the seed README's headings ("Database-as-a-Service", "ML-Model-as-a-Service").
const CATEGORY_WORDS: Record<ServiceTemplate['category'], string> = {
  database: 'database databases db dbaas',
  ml: 'ml machine learning model models inference',
  api: 'api apis gateway',
  storage: 'storage object files',
  compute: 'compute serverless hosting',
};
/** Everything a search matches, lower case: name, description, slug, category, engine and tier names. */
const searchText = (t: ServiceTemplate) =>
  [t.name, t.description, t.slug, t.category, CATEGORY_WORDS[t.category], t.engine, ...t.tiers.map((x) => `${x.id} ${x.name}`)]
    .join(' ')
    .toLowerCase();
const ACTIVE_COUNTS_TTL_MS = 2_000;
const inPriceRange = (cents: number, f: { minPrice?: number; maxPrice?: number }) =>
  (f.minPrice === undefined || cents >= Math.round(f.minPrice * 100)) &&
  (f.maxPrice === undefined || cents <= Math.round(f.maxPrice * 100));
const UNRATED: RatingStats = { average: null, count: 0, distribution: [0, 0, 0, 0, 0] };

export function createCatalog(deps: {
  deployments: DeploymentsRepo;
  reviews: ReviewsRepo;
  templates?: ServiceTemplate[];
  /** Admin placements overriding the templates' own listing. */
  listings?: ListingsRepo;
  /** Changes whenever reviews or placements change (catalog-inputs.ts); without it listings are never reused. */
  inputsVersion?: () => number;
}) {
  const baseTemplates = deps.templates ?? SERVICE_TEMPLATES;
  // Live deployment counts are a GROUP BY over every deployment (6 ms at 10,000 on a busy machine, paid by every
  // catalog request); a count up to two seconds old is as useful to a person browsing, so it is reused that long.
  let active: { at: number; counts: Map<string, number> } | undefined;
  const activeByService = () => {
    const now = Date.now();
    if (!active || now - active.at > ACTIVE_COUNTS_TTL_MS) active = { at: now, counts: deps.deployments.activeByService() };
    return active.counts;
  };
  /** The templates with their current placement (an admin's choice, else the template's). */
  const placed = (t: ServiceTemplate, overrides: Map<string, ServiceTemplate['listing']>): ServiceTemplate => {
    const listing = overrides.get(t.id);
    return listing && listing !== t.listing ? { ...t, listing } : t;
  };

  /** The catalog's order; every sort falls back on placement then name, so a page never reshuffles between calls. */
  function order(sort: CatalogSort, ratings: Map<string, RatingStats>, active: Map<string, number>) {
    const key: Record<CatalogSort, (a: ServiceTemplate, b: ServiceTemplate) => number> = {
      featured: () => 0,
      name: (a, b) => a.name.localeCompare(b.name),
      price: (a, b) => startingPriceCents(a) - startingPriceCents(b),
      rating: (a, b) =>
        (ratings.get(b.id)?.average ?? 0) - (ratings.get(a.id)?.average ?? 0) ||
        (ratings.get(b.id)?.count ?? 0) - (ratings.get(a.id)?.count ?? 0),
      popular: (a, b) => (active.get(b.id) ?? 0) - (active.get(a.id) ?? 0),
    };
    return (a: ServiceTemplate, b: ServiceTemplate) =>
      key[sort](a, b) || PLACEMENT[a.listing] - PLACEMENT[b.listing] || a.name.localeCompare(b.name);
  }

  function summary(t: ServiceTemplate, ratings: Map<string, RatingStats>, active: Map<string, number>) {
    const r = ratings.get(t.id) ?? UNRATED;
    return {
      id: t.id,
      name: t.name,
      slug: t.slug,
      category: t.category,
      description: t.description,
      averageRating: r.average ?? 0,
      ratingCount: r.count,
      activeDeployments: active.get(t.id) ?? 0,
      listing: t.listing,
      featured: t.listing === 'featured',
      premium: t.listing !== 'standard',
      startingPrice: startingPriceCents(t) / 100,
      // A $0 starting price is either a free tier or a metered one that bills every request: say which.
      hasFreeTier: t.tiers.some((x) => x.model === 'free'),
      pricingModel: t.pricingModel,
      regions: t.regions,
    };
  }

  // Listing answers as JSON text, per filter, kept while their inputs stand: the same live counts (at most 2 s
  // old, as above) and no review or placement written since. The catalog is the marketplace's most read page.
  const LIST_CACHE_ENTRIES = 200;
  const listCache = new Map<string, { counts: Map<string, number>; version: number; json: string }>();

  function list(f: CatalogFilter) {
    const ratings = deps.reviews.stats();
    const active = activeByService();
    // Every word must match somewhere ("postgres database" finds PostgreSQL Managed, "database" all four).
    const words = f.q?.toLowerCase().split(/\s+/).filter(Boolean) ?? [];
    const overrides = deps.listings?.overrides() ?? new Map();
    const matched = baseTemplates
      .map((t) => placed(t, overrides))
      .filter((t) => !f.category || t.category === f.category)
      // Region ids are lower case (us-east-1): "EU-WEST-1" names the same region, not none.
      .filter((t) => !f.region || t.regions.includes(f.region.toLowerCase()))
      // A price range matches a service with one tier inside it (minPrice=20&maxPrice=25 is not a $19 tier and a
      // $50 one); either bound alone is the same rule.
      .filter((t) => (f.minPrice === undefined && f.maxPrice === undefined) || t.tiers.some((x) => inPriceRange(x.monthlyCents, f)))
      .filter((t) => f.minRating === undefined || (ratings.get(t.id)?.average ?? 0) >= f.minRating)
      .filter((t) => words.length === 0 || words.every((w) => searchText(t).includes(w)))
      .sort(order(f.sort ?? 'featured', ratings, active));
    return {
      services: matched.slice(f.offset, f.offset + f.limit).map((t) => summary(t, ratings, active)),
      total: matched.length,
      limit: f.limit,
      offset: f.offset,
    };
  }

  return {
    list,
    /** GET /api/services's body: the same as list(f), serialized once per filter while its inputs stand. */
    listJson(f: CatalogFilter): string {
      if (!deps.inputsVersion) return JSON.stringify(list(f));
      const key = JSON.stringify([f.category, f.region, f.minPrice, f.maxPrice, f.minRating, f.q, f.sort, f.limit, f.offset]);
      const counts = activeByService();
      const version = deps.inputsVersion();
      const hit = listCache.get(key);
      if (hit && hit.counts === counts && hit.version === version) return hit.json;
      const json = JSON.stringify(list(f));
      listCache.delete(key);
      listCache.set(key, { counts, version, json });
      if (listCache.size > LIST_CACHE_ENTRIES) listCache.delete(listCache.keys().next().value as string);
      return json;
    },
    detail(t: ServiceTemplate) {
      const listing = placed(t, deps.listings?.overrides() ?? new Map()).listing;
      const r = deps.reviews.stats().get(t.id) ?? UNRATED;
      return {
        // The template itself, not a placed copy: templateDetail caches its JSON schema per template object.
        ...templateDetail(t),
        listing,
        featured: listing === 'featured',
        premium: listing !== 'standard',
        averageRating: r.average ?? 0,
        ratingCount: r.count,
        ratingDistribution: r.distribution,
        activeDeployments: activeByService().get(t.id) ?? 0,
      };
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
