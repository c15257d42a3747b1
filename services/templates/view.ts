// How a template looks on the wire: the seed README's service detail shape ({id, name, description,
// pricing:{model, tiers:[{id,name,price,period,features}]}, specifications:{regions, sla}}) plus richer fields.
import { z } from 'zod';
import { type ServiceTemplate, startingPriceCents, tierRegions } from './index.ts';

const jsonSchemaCache = new WeakMap<ServiceTemplate, unknown>();

function configJsonSchema(t: ServiceTemplate): unknown {
  let s = jsonSchemaCache.get(t);
  if (!s) {
    s = z.toJSONSchema(t.configSchema, { unrepresentable: 'any' });
    jsonSchemaCache.set(t, s);
  }
  return s;
}

export function templateDetail(t: ServiceTemplate) {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    category: t.category,
    engine: t.engine,
    publisher: t.publisher,
    description: t.description,
    listing: t.listing,
    featured: t.listing === 'featured',
    premium: t.listing !== 'standard',
    startingPrice: startingPriceCents(t) / 100,
    pricing: {
      model: t.pricingModel,
      currency: 'USD',
      tiers: t.tiers.map((tier) => ({
        id: tier.id,
        name: tier.name,
        price: tier.monthlyCents / 100,
        priceCents: tier.monthlyCents,
        period: 'month' as const,
        model: tier.model,
        features: tier.features,
        usage: tier.meter
          ? {
              meter: tier.meter.id,
              unit: tier.meter.unit,
              included: tier.meter.includedPerCycle,
              pricePer: tier.meter.per,
              price: tier.meter.unitPriceMicros / 100_000_000,
            }
          : null,
        instances: tier.instances,
        backups: tier.backups,
        regions: tierRegions(t, tier),
      })),
    },
    specifications: {
      versions: t.versions,
      regions: t.regions,
      sla: t.sla,
      limits: t.limits,
      provisioningSeconds: t.provisionSeconds,
    },
    configSchema: configJsonSchema(t),
  };
}

export type TemplateDetail = ReturnType<typeof templateDetail>;
