// The catalog: every seed service template, looked up by id or slug.
import { badRequest } from '../../lib/errors.ts';
import { apiTemplates } from './api.ts';
import { computeTemplates } from './compute.ts';
import { databaseTemplates } from './databases.ts';
import { mlTemplates } from './ml.ts';
import { storageTemplates } from './storage.ts';
import type { ServiceTemplate, Tier } from './types.ts';

export * from './types.ts';

export const SERVICE_TEMPLATES: ServiceTemplate[] = [
  ...databaseTemplates,
  ...mlTemplates,
  ...apiTemplates,
  ...storageTemplates,
  ...computeTemplates,
];

const byKey = new Map<string, ServiceTemplate>();
for (const t of SERVICE_TEMPLATES) {
  byKey.set(t.id, t);
  byKey.set(t.slug, t);
}

// The seed README's CLI deploys "ml-inference" with a { model: { framework, version, modelPath } } block:
// that is Custom Model Hosting, which accepts every framework.
for (const [alias, id] of [['ml-inference', 'svc-custom-model']] as const) byKey.set(alias, byKey.get(id)!);

/** A template by its id ("svc-postgres") or slug ("postgres-managed"). */
export const findTemplate = (idOrSlug: string): ServiceTemplate | undefined => byKey.get(idOrSlug);

export const findTier = (t: ServiceTemplate, tierId: string): Tier | undefined => t.tiers.find((x) => x.id === tierId);

/** The tier a request names, or the one 400 every route answers for a tier the service does not have. */
export function requireTier(t: ServiceTemplate, tierId: string): Tier {
  const tier = findTier(t, tierId);
  if (tier) return tier;
  const allowed = t.tiers.map((x) => x.id);
  throw badRequest(`${t.name} has no tier "${tierId}": choose one of ${allowed.join(', ')}`, { allowed }, 'UNKNOWN_TIER');
}

/** Regions where a tier can be deployed. */
export const tierRegions = (t: ServiceTemplate, tier: Tier): string[] => tier.regions ?? t.regions;

/** The lowest monthly price of a service's tiers, in cents (price filters and sorting). */
export const startingPriceCents = (t: ServiceTemplate): number => Math.min(...t.tiers.map((x) => x.monthlyCents));
