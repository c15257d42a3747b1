// Seed step: real published OSV advisories (seed-advisories.json, verbatim records of the GitHub Advisory Database,
// CC-BY 4.0) for packages the seed publishes: lodash 4.17.20 (GHSA-35jh-r3h4-6jhm, GHSA-29mw-wpgm-hmr9, fixed in
// 4.17.21) and the PyPI requests 2.30.0 (GHSA-j8r2-6x86-q33q, fixed in 2.31.0). Imported through the registry's
// admin import after the packages, so the owners get their package.vulnerable events as for any import. Idempotent:
// a record already stored with the same `modified` is left unchanged.
import fs from 'node:fs';
import { type SeedStepContext, withSeedSession } from '../seed-session.ts';

export const SEED_ADVISORIES_FILE = new URL('./seed-advisories.json', import.meta.url);

export async function seedAdvisories(ctx: SeedStepContext) {
  const body = fs.readFileSync(SEED_ADVISORIES_FILE);
  await withSeedSession(ctx, 'advisories', async ({ registry, internal }) => {
    const res = await registry.inject({
      method: 'POST',
      url: '/internal/security/advisories',
      headers: { ...internal, 'content-type': 'application/json' },
      payload: body,
    });
    if (res.statusCode !== 200) throw new Error(`could not import the seed advisories: ${res.statusCode} ${res.body}`);
    const r = res.json() as { imported: number; skipped: { entry: string; reason: string }[] };
    if (r.skipped.length > 0) throw new Error(`seed advisories refused: ${r.skipped.map((x) => `${x.entry}: ${x.reason}`).join('; ')}`);
    if (r.imported > 0) ctx.report.changes.push(`imported ${r.imported} security advisories (OSV) for the seeded packages`);
  });
}
