// GET /api/templates and /api/templates/:slug: the catalog's source, read by the marketplace, dashboard and CLI.
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { CATEGORIES, findTemplate, SERVICE_TEMPLATES } from '../templates/index.ts';
import { templateDetail } from '../templates/view.ts';

export function templateRoutes(app: TypedApp) {
  app.get('/api/templates', { schema: { querystring: z.object({ category: z.enum(CATEGORIES).optional() }) } }, async (req) => {
    const list = SERVICE_TEMPLATES.filter((t) => !req.query.category || t.category === req.query.category).map(templateDetail);
    return { templates: list, total: list.length };
  });
  app.get('/api/templates/:slug', { schema: { params: z.object({ slug: z.string().max(100) }) } }, async (req) => {
    const t = findTemplate(req.params.slug);
    if (!t) throw notFound(`no service template "${req.params.slug}": GET /api/templates lists them`, 'SERVICE_NOT_FOUND');
    return templateDetail(t);
  });
}
