// Admin-chosen catalog placement per service (mkt_catalog_listings), read by the catalog on every listing.
import type { Db } from '../lib/db.ts';
import type { ServiceTemplate } from '../services/templates/index.ts';
import { bumpCatalogInputs } from './catalog-inputs.ts';

export type Listing = ServiceTemplate['listing'];
export const LISTINGS = ['featured', 'premium', 'standard'] as const satisfies readonly Listing[];

export function createListingsRepo(db: Db) {
  const all = db.prepare<[], { service_id: string; listing: Listing }>('SELECT service_id, listing FROM mkt_catalog_listings');
  const upsert = db.prepare(
    `INSERT INTO mkt_catalog_listings (service_id, listing, updated_by, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (service_id) DO UPDATE SET listing = excluded.listing, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
  );
  return {
    /** service id -> listing, for the services an admin has placed. */
    overrides: () => new Map(all.all().map((r) => [r.service_id, r.listing])),
    set: (serviceId: string, listing: Listing, by: string, at: string) => {
      bumpCatalogInputs(db);
      upsert.run(serviceId, listing, by, at);
    },
  };
}

export type ListingsRepo = ReturnType<typeof createListingsRepo>;
