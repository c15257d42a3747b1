// Regenerates registry/security/well-known-names.json, the public names the typosquat check protects whether or not
// they are published here (registry/security/well-known-names.ts):
//   node --import tsx scripts/well-known-names.ts --npm <npm.tsv> --pypi <pypi.tsv>
// npm.tsv: one package per line, tab-separated `name  version  downloads_a_month ...` with a header line (npm's
// public download counts). pypi.tsv: `name  version  month  rank ...` with a header, rank being the place among
// PyPI's most downloaded projects. The RubyGems names are kept from the current file: they are picked by hand.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { WELL_KNOWN_NAMES_FILE, type WellKnownNamesFile } from '../registry/security/well-known-names.ts';

/** Names kept per ecosystem: the most used 1,000 (docs/SECURITY-SCANNING.md says why not more). */
const TAKE = 1000;
const { values } = parseArgs({ options: { npm: { type: 'string' }, pypi: { type: 'string' } } });
if (!values.npm || !values.pypi) throw new Error('usage: well-known-names.ts --npm <npm.tsv> --pypi <pypi.tsv>');

const rows = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cols) => cols[0]);

// Unscoped names only: a scoped target makes every internal package named like its bare part ("core", "node")
// look like an imitation (rule Y8).
const npm = rows(values.npm)
  .filter(([name, , downloads]) => /^[a-z0-9][a-z0-9._-]*$/.test(name) && Number(downloads) > 0)
  .sort((a, b) => Number(b[2]) - Number(a[2]))
  .map(([name]) => name);
const pypi = rows(values.pypi)
  .filter(([, , , rank]) => Number(rank) > 0)
  .sort((a, b) => Number(a[3]) - Number(b[3]))
  .map(([name]) => name.replace(/[-_.]+/g, '-').toLowerCase()); // PEP 503, as the registry stores them

const current = JSON.parse(fs.readFileSync(WELL_KNOWN_NAMES_FILE, 'utf8')) as WellKnownNamesFile;
const unique = (names: string[]) => [...new Set(names)].slice(0, TAKE);
const out: WellKnownNamesFile = {
  about: current.about,
  npm: unique(npm),
  pypi: unique(pypi),
  rubygems: current.rubygems,
};
fs.writeFileSync(WELL_KNOWN_NAMES_FILE, `${JSON.stringify(out, null, 1)}\n`);
console.log(`npm ${out.npm.length}, pypi ${out.pypi.length}, rubygems ${out.rubygems.length} names written`);
