#!/usr/bin/env -S node --import tsx
// `npm run advisories:import -- <file> [file...]`: imports OSV advisories (a JSON record, a JSON array,
// NDJSON, or an OSV all.zip dump) into registry.db. Malformed entries are listed and skipped; the valid ones
// are written in one transaction; owners of affected packages get a package.vulnerable event.
import fs from 'node:fs';
import { systemClock } from '../lib/clock.ts';
import { ConfigError, loadConfig } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { databaseFailure, EXIT_CONFIG } from '../lib/run-service.ts';
import { openRegistryDatabase } from '../registry/db.ts';
import { createPackagesRepo } from '../registry/packages-repo.ts';
import { isZipArchive } from '../registry/security/advisories.ts';
import { createRegistrySecurity } from '../registry/security/registry-security.ts';

function main(argv: string[]): number {
  const files = argv.filter((a) => !a.startsWith('-'));
  if (files.length === 0) {
    console.error('usage: npm run advisories:import -- <osv.json|osv.ndjson|all.zip> [more files...]');
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return EXIT_CONFIG;
    }
    throw err;
  }
  // The registry creates its database at its first start. Opening a missing one here would make an empty registry
  // wherever a mistyped DATA_DIR points, and report the advisories as imported into it.
  if (!fs.existsSync(config.REGISTRY_DATABASE_PATH)) {
    console.error(
      `there is no registry database at ${config.REGISTRY_DATABASE_PATH}: set DATA_DIR (or REGISTRY_DATABASE_PATH) to the suite's data folder, or start the suite once first`,
    );
    return EXIT_CONFIG;
  }
  let db: Db;
  try {
    db = openRegistryDatabase(config.REGISTRY_DATABASE_PATH);
  } catch (err) {
    const reason = databaseFailure(config, err);
    if (!reason) throw err;
    console.error(reason);
    return EXIT_CONFIG;
  }
  const security = createRegistrySecurity(db, createPackagesRepo(db), systemClock);
  let failed = false;
  try {
    for (const file of files) {
      let input: Buffer;
      try {
        input = fs.readFileSync(file);
      } catch (err) {
        console.error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        failed = true;
        continue;
      }
      // Named as an OSV dump but not one (a download cut short, an HTML error page saved as all.zip): say so once,
      // rather than read it as NDJSON and skip every line of it as "not valid JSON".
      if (/\.zip$/i.test(file) && !isZipArchive(input)) {
        console.error(`${file}: is not a zip archive (it does not start with a zip header): download the OSV dump again`);
        failed = true;
        continue;
      }
      try {
        const r = security.importAdvisories(input);
        console.log(
          `${file}: ${r.imported} imported, ${r.unchanged} unchanged, ${r.skipped.length} skipped, ${r.touched.length} packages affected`,
        );
        for (const s of r.skipped) console.error(`  skipped ${s.entry}: ${s.reason}`);
        if (r.skipped.length > 0) failed = true;
      } catch (err) {
        console.error(`${file}: ${(err as Error).message}`);
        failed = true;
      }
    }
  } finally {
    db.close();
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
