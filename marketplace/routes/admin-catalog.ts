// PUT /api/admin/services/:slug/listing {listing}: an admin places a service in the catalog as featured,
// premium or standard (the catalog orders and marks services by it).
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { findTemplate } from '../../services/templates/index.ts';
import type { Catalog } from '../catalog.ts';
import { LISTINGS, type ListingsRepo } from '../catalog-listings.ts';

export function adminCatalogRoutes(app: TypedApp, guards: AuthGuards, catalog: Catalog, listings: ListingsRepo, now: () => number) {
  app.put(
    '/api/admin/services/:slug/listing',
    { schema: { params: z.object({ slug: z.string().max(100) }), body: z.strictObject({ listing: z.enum(LISTINGS) }) } },
    async (req) => {
      const admin = guards.role(req, 'admin');
      guards.writer(req); // a read-only admin token browses, it does not change placements
      const t = findTemplate(req.params.slug);
      if (!t) throw notFound(`no service "${req.params.slug}": GET /api/services lists them`, 'SERVICE_NOT_FOUND');
      listings.set(t.id, req.body.listing, admin.userId, new Date(now()).toISOString());
      return catalog.detail(t);
    },
  );
}
