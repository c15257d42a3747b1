// GET /api/services (seed shape {services, total}) and GET /api/services/:slug (seed detail shape).
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { CATEGORIES, findTemplate } from '../../services/templates/index.ts';
import { CATALOG_SORTS, type Catalog } from '../catalog.ts';

const ListQuery = z
  .strictObject({
    category: z.enum(CATEGORIES).optional(),
    region: z.string().max(40).optional(),
    minPrice: z.coerce.number().min(0).max(1_000_000).optional(),
    maxPrice: z.coerce.number().min(0).max(1_000_000).optional(),
    minRating: z.coerce.number().min(0).max(5).optional(),
    q: z.string().max(100).optional(),
    sort: z.enum(CATALOG_SORTS).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not be above maxPrice',
    path: ['minPrice'],
  });

export function serviceRoutes(app: TypedApp, catalog: Catalog) {
  app.get('/api/services', { schema: { querystring: ListQuery } }, async (req, reply) =>
    reply.type('application/json; charset=utf-8').send(catalog.listJson(req.query)),
  );

  app.get('/api/services/:slug', { schema: { params: z.object({ slug: z.string().max(100) }) } }, async (req) => {
    const t = findTemplate(req.params.slug);
    if (!t) throw notFound(`no service "${req.params.slug}": GET /api/services lists them`, 'SERVICE_NOT_FOUND');
    return catalog.detail(t);
  });
}
