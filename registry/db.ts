// The registry's own database: registry.db (packages, versions, blobs index, scans, scores, outbox).
import { fileURLToPath } from 'node:url';
import { type Db, openOwnedDatabase } from '../lib/db.ts';

export const openRegistryDatabase = (file: string): Db =>
  openOwnedDatabase(file, 'registry', fileURLToPath(new URL('./migrations', import.meta.url)));
