// Which files of an artifact the scanner reads: the package root is stripped (npm's package/, an sdist's
// name-1.0/), shipped code is scanned, tests/docs/examples are skipped unless an entry point or an
// install hook reaches them (reference 4.5 point 1: "scan only what ships and runs").
import type { ArchiveEntry } from './archive-reader.ts';
import type { Manifest } from './malware-manifest.ts';
import { HASH_EXT, JS_EXT } from './source-text.ts';

export interface ArtifactFile {
  path: string;
  data: Buffer;
}

/** Strips one leading folder when every entry shares it (npm tarballs, sdists). */
export function stripRoot(entries: ArchiveEntry[]): ArtifactFile[] {
  const roots = new Set(entries.map((e) => (e.path.includes('/') ? e.path.split('/')[0] : '')));
  if (roots.size !== 1 || roots.has('')) return entries;
  const root = [...roots][0].length + 1;
  return entries.map((e) => ({ path: e.path.slice(root), data: e.data }));
}

const EXCLUDED = [
  /(^|\/)(?:test|tests|__tests__|spec|example|examples|docs|fixtures|__fixtures__|node_modules)\//,
  /\.(?:test|spec)\.[cm]?[jt]sx?$/,
  /\.d\.[cm]?ts$/,
  /\.map$/,
];
const rel = (p: string) => p.replace(/^\.\//, '');

/** Paths that run: main, bin, exports leaves (npm), plus the install-hook targets given by the caller. */
export function entryPoints(m: Manifest, hookTargets: string[]): Set<string> {
  const out = new Set(hookTargets.map(rel));
  if (typeof m.main === 'string')
    out
      .add(rel(m.main))
      .add(rel(`${m.main}.js`))
      .add(rel(`${m.main}/index.js`));
  if (typeof m.bin === 'string') out.add(rel(m.bin));
  else if (m.bin && typeof m.bin === 'object') for (const v of Object.values(m.bin)) if (typeof v === 'string') out.add(rel(v));
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.add(rel(v));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(m.exports);
  return out;
}

export const isCode = (p: string) => JS_EXT.test(p) || HASH_EXT.test(p);

export function shouldScan(path: string, reachable: Set<string>): boolean {
  if (!isCode(path)) return false;
  return reachable.has(path) || !EXCLUDED.some((re) => re.test(path));
}

/** Install-time code of other ecosystems: setup.py of an sdist, extconf.rb of a gem's native extension. */
export const isEcosystemInstallFile = (p: string) => p === 'setup.py' || /(^|\/)extconf\.rb$/.test(p);
