// The marketplace's tables in marketplace.db (deployments, operations, credentials, billing, reviews, outbox).
import { fileURLToPath } from 'node:url';
import { type Db, openOwnedDatabase } from '../lib/db.ts';

export const openMarketplaceDatabase = (file: string): Db =>
  openOwnedDatabase(file, 'marketplace', fileURLToPath(new URL('./migrations', import.meta.url)));
