#!/usr/bin/env -S node --import tsx
// `npm run seed`: fills a data folder with the demo content of the seed README. Idempotent: a second run
// changes nothing and says so. It runs each owner's own code in-process (buildApp + inject), so it works
// whether or not the suite is running and every row goes through the same rules as a user's request.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildApp as buildApiApp } from '../api/app.ts';
import { openApiDatabase } from '../api/db.ts';
import { systemClock } from '../lib/clock.ts';
import { type Config, ConfigError, loadConfig } from '../lib/config.ts';
import { EXIT_CONFIG } from '../lib/run-service.ts';
import { loadSecrets, type Secrets } from '../lib/secrets.ts';
import { seedMarketplace } from '../marketplace/seed.ts';
import { seedFormatPackages } from '../registry/multiformat/seed.ts';
import { seedNpmPackages } from '../registry/npm/seed.ts';
import { seedAdvisories } from '../registry/security/seed-advisories.ts';

export interface SeedReport {
  changes: string[];
}

interface SeedContext {
  config: Config;
  secrets: Secrets;
  report: SeedReport;
}

async function seedAccounts(ctx: SeedContext) {
  const app = await buildApiApp({
    config: ctx.config,
    secrets: ctx.secrets,
    clock: systemClock,
    logger: 'silent',
    db: openApiDatabase(ctx.config.DATABASE_PATH),
  });
  try {
    const ensure = async (body: Record<string, string>) => {
      const res = await app.inject({
        method: 'POST',
        url: '/internal/users/ensure',
        headers: { 'x-internal-token': ctx.secrets.internalToken },
        payload: body,
      });
      if (res.statusCode !== 200) throw new Error(`could not create user ${body.username}: ${res.body}`);
      return res.json() as { created: boolean };
    };
    const adminPassword = ctx.config.ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
    const admin = await ensure({
      username: 'admin',
      email: 'admin@elide.local',
      password: adminPassword,
      role: 'admin',
      plan: 'enterprise',
    });
    if (admin.created) {
      ctx.report.changes.push('created user admin (admin, Enterprise plan)');
      // A generated password goes to a 0600 file, never to the output: under npm start the output is a log, and
      // logs are kept, shipped and read by people who must not get the admin account (journald, CI, log services).
      if (!ctx.config.ADMIN_PASSWORD) {
        const file = writeAdminPassword(ctx.config, adminPassword);
        ctx.report.changes.push(`admin password generated into ${file} (mode 0600): read it, log in, then delete the file`);
      }
    }
    const demo = await ensure({ username: 'demo', email: 'demo@elide.local', password: 'demo123', role: 'publisher', plan: 'team' });
    if (demo.created) ctx.report.changes.push('created user demo / demo123 (publisher, Team plan)');
    // The seed README's @elide packages need a home: the org @elide, owned by admin, with demo as a member.
    const org = await app.inject({
      method: 'POST',
      url: '/internal/orgs/ensure',
      headers: { 'x-internal-token': ctx.secrets.internalToken },
      payload: { name: 'elide', owner: 'admin', members: [{ username: 'demo', role: 'member' }] },
    });
    if (org.statusCode !== 200) throw new Error(`could not create org @elide: ${org.body}`);
    ctx.report.changes.push(...(org.json() as { changes: string[] }).changes);
  } finally {
    await app.close();
  }
}

/** Writes the generated admin password beside the other secrets, readable by this user only. */
function writeAdminPassword(config: Config, password: string): string {
  const file = path.join(config.DATA_DIR, 'secrets', 'admin-password');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
  return file;
}

/** Seed steps in order; later features append theirs (packages, services, advisories...). */
export const SEED_STEPS: ((ctx: SeedContext) => Promise<void>)[] = [
  seedAccounts,
  seedMarketplace,
  seedNpmPackages,
  seedFormatPackages,
  // After the packages it concerns: their owners get package.vulnerable events, as for any import.
  seedAdvisories,
];

export async function seed(config: Config): Promise<SeedReport> {
  const ctx: SeedContext = { config, secrets: loadSecrets(config), report: { changes: [] } };
  for (const step of SEED_STEPS) await step(ctx);
  return ctx.report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`seed: ${err.message}`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  let report: SeedReport;
  try {
    report = await seed(config);
  } catch (err) {
    // An unusable DATA_DIR is found by loadSecrets, inside seed(): one sentence, not a stack trace.
    if (err instanceof ConfigError) {
      console.error(`seed: ${err.message}`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  if (report.changes.length === 0) console.log(`nothing to change: ${config.DATA_DIR} is already seeded`);
  else for (const c of report.changes) console.log(c);
}
