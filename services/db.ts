// The orchestrator's tables in marketplace.db (service templates, regions, health checks, metric samples).
import { fileURLToPath } from 'node:url';
import { type Db, openOwnedDatabase } from '../lib/db.ts';

export const openOrchestratorDatabase = (file: string): Db =>
  openOwnedDatabase(file, 'orchestrator', fileURLToPath(new URL('./migrations', import.meta.url)));
