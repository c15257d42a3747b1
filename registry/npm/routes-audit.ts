// npm audit's one endpoint (npm-protocol.md fact 8, section 2.9): POST /-/npm/v1/security/advisories/bulk with a
// gzip body {"<name>":["<version>",...]}. Until advisories exist (issue "Scoring and security") it answers
// 200 {} ("no known vulnerabilities"), so `npm audit` runs clean instead of failing on a 404.
import { badRequest } from '../../lib/errors.ts';
import type { TypedApp } from '../../lib/service-app.ts';

/** Advisories per package for the versions asked about; the security issue replaces the default. */
export type AdvisoryLookup = (request: Record<string, string[]>) => Record<string, unknown[]>;

export function registerAuditRoutes(app: TypedApp, lookup: AdvisoryLookup = () => ({})) {
  app.post('/npm/-/npm/v1/security/advisories/bulk', async (req) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the audit body must be an object of package names to version lists', undefined, 'INVALID_AUDIT');
    const request: Record<string, string[]> = {};
    for (const [name, versions] of Object.entries(body as Record<string, unknown>)) {
      if (Array.isArray(versions)) request[name] = versions.filter((v): v is string => typeof v === 'string');
    }
    return lookup(request);
  });
}
