// The catalog as users browse it: the orchestrator's templates joined with ratings and live deployment
// counts, filtered (category, region, price, rating) and ordered featured, then premium, then by name.
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
  limit: number;
  offset: number;
}

const PLACEMENT = { featured: 0, premium: 1, standard: 2 } as const;
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
    const q = f.q?.toLowerCase();
    const overrides = deps.listings?.overrides() ?? new Map();
    const matched = baseTemplates
      .map((t) => placed(t, overrides))
      .filter((t) => !f.category || t.category === f.category)
      .filter((t) => !f.region || t.regions.includes(f.region))
      // A price range matches a service with one tier inside it (minPrice=20&maxPrice=25 is not a $19 tier and a
      // $50 one); either bound alone is the same rule.
      .filter((t) => (f.minPrice === undefined && f.maxPrice === undefined) || t.tiers.some((x) => inPriceRange(x.monthlyCents, f)))
      .filter((t) => f.minRating === undefined || (ratings.get(t.id)?.average ?? 0) >= f.minRating)
      .filter((t) => !q || t.name.toLowerCase().includes(q) || t.description.toLowerCase().includes(q) || t.slug.includes(q))
      .sort((a, b) => PLACEMENT[a.listing] - PLACEMENT[b.listing] || a.name.localeCompare(b.name));
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
      const key = JSON.stringify([f.category, f.region, f.minPrice, f.maxPrice, f.minRating, f.q, f.limit, f.offset]);
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
