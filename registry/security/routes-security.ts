// Internal security and score routes for the main API (x-internal-token only): the data behind
// GET /api/packages/:name/:version/security and the score of GET /api/packages/:name, the admin review queue
// and the admin advisory import. Scoped names come either as two segments (@scope/name) or as @scope%2fname.
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { installNpmBodyParser } from '../npm/body-parser.ts';
import type { RegistrySecurity } from './registry-security.ts';

const Params2 = z.object({ a: z.string(), b: z.string() });
const Params3 = z.object({ a: z.string(), b: z.string(), c: z.string() });
const Review = z.object({
  ecosystem: z.enum(['npm', 'pypi', 'maven', 'rubygems']).default('npm'),
  name: z.string().min(1),
  version: z.string().min(1),
  action: z.enum(['release', 'quarantine']),
  by: z.string().min(1),
});

/**
 * The score of a package as GET /internal/packages/:name/score answers it for npm (scored now if it never was),
 * or undefined when there is no such package. The internal details route embeds it on request (?score=1), for
 * every ecosystem.
 */
export function scoreReply(security: Pick<RegistrySecurity, 'scoreIn' | 'rescoreIn'>, name: string, ecosystem = 'npm') {
  const s = security.scoreIn(ecosystem, name) ?? (security.rescoreIn(ecosystem, name) ? security.scoreIn(ecosystem, name) : undefined);
  if (!s) return undefined;
  const { quality, popularity, maintenance, overall } = s;
  return {
    name,
    score: { quality, popularity, maintenance, overall },
    ...s.breakdown,
    scoringVersion: s.scoringVersion,
    computedAt: s.computedAt,
  };
}

export function registerSecurityRoutes(app: TypedApp, security: RegistrySecurity, internalToken: string, now: () => number) {
  const guard = requireInternalToken(internalToken);
  const report = (name: string, version: string) => {
    const r = security.report(name, version);
    if (!r) throw notFound(`version ${version} of ${name} was not found`, 'VERSION_NOT_FOUND');
    return r;
  };
  const score = (name: string) => {
    const s = scoreReply(security, name);
    if (!s) throw notFound(`package ${name} was not found`, 'PACKAGE_NOT_FOUND');
    return s;
  };

  app.get('/internal/packages/:a/:b/security', { preHandler: guard, schema: { params: Params2 } }, async (req) =>
    report(req.params.a, req.params.b),
  );
  app.get('/internal/packages/:a/:b/:c/security', { preHandler: guard, schema: { params: Params3 } }, async (req) =>
    report(`${req.params.a}/${req.params.b}`, req.params.c),
  );
  app.get('/internal/packages/:a/score', { preHandler: guard, schema: { params: z.object({ a: z.string() }) } }, async (req) =>
    score(req.params.a),
  );
  app.get('/internal/packages/:a/:b/score', { preHandler: guard, schema: { params: Params2 } }, async (req) =>
    score(`${req.params.a}/${req.params.b}`),
  );

  // The periodic job's entry point too, for an operator or a scheduler: rescore every package now.
  app.post('/internal/security/rescore', { preHandler: guard }, async () => ({ rescored: security.rescoreAll() }));

  app.get('/internal/security/reviews', { preHandler: guard }, async () => ({
    flagged: security.flagged().map((s) => ({
      ecosystem: s.ecosystem,
      name: s.name,
      version: s.version,
      verdict: s.verdict,
      findings: s.findings,
      scannedAt: s.scannedAt,
    })),
  }));
  app.post('/internal/security/reviews', { preHandler: guard, schema: { body: Review } }, async (req) => {
    const { ecosystem, name, version, action, by } = req.body;
    const state = action === 'release' ? 'released' : 'quarantined';
    if (!security.review(ecosystem, name, version, state, by, new Date(now()).toISOString()))
      throw notFound(`no scan of ${ecosystem} package ${name} ${version}`, 'SCAN_NOT_FOUND');
    security.flushRescores();
    return { ecosystem, name, version, reviewState: state };
  });
  // Admin import of OSV records (JSON object, array or NDJSON text); zip dumps go through `npm run advisories:import`.
  app.post('/internal/security/advisories', { preHandler: guard }, async (req) => {
    const body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null);
    return security.importAdvisories(Buffer.from(body));
  });

  // npm falls back to /audits/quick when the bulk request fails (Arborist audit-report.js); the body is the
  // gzip JSON lockfile tree, parsed like every npm body (an encapsulated scope keeps the parser local).
  app.register(async (scope) => {
    installNpmBodyParser(scope, 16 * 1024 * 1024);
    (scope as unknown as TypedApp).post('/npm/-/npm/v1/security/audits/quick', async (req) => security.auditQuick(req.body));
  });
}
