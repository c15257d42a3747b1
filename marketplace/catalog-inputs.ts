// A change counter for what the catalog listing is computed from besides live counts (reviews and admin
// placements), per database: every writer of those tables bumps it, so the catalog can keep its answers until then.
import type { Db } from '../lib/db.ts';

const versions = new WeakMap<Db, number>();

export const catalogInputsVersion = (db: Db): number => versions.get(db) ?? 0;

export function bumpCatalogInputs(db: Db): void {
  versions.set(db, catalogInputsVersion(db) + 1);
}
