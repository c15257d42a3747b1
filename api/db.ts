// The main API's database: marketplace.db, where it owns identity, webhooks, events and analytics.
import { fileURLToPath } from 'node:url';
import { type Db, openOwnedDatabase } from '../lib/db.ts';

export const openApiDatabase = (file: string): Db =>
  openOwnedDatabase(file, 'api', fileURLToPath(new URL('./migrations', import.meta.url)));
