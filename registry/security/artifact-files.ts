// Which files of an artifact the scanner reads: the package root is stripped (npm's package/, an sdist's
// name-1.0/), shipped code is scanned, tests/docs/examples are skipped unless an entry point or an
// install hook reaches them (reference 4.5 point 1: "scan only what ships and runs").
import type { ArchiveEntry } from './archive-reader.ts';
import type { Manifest } from './malware-manifest.ts';
import { HASH_EXT, JS_EXT } from './source-text.ts';

/** An archive entry: `data` is its content only when `held` (readsByContent), else size and head tell what it is. */
export type ArtifactFile = ArchiveEntry;

/** Strips one leading folder when every entry shares it (npm tarballs, sdists). */
export function stripRoot(entries: ArchiveEntry[]): ArtifactFile[] {
  const roots = new Set(entries.map((e) => (e.path.includes('/') ? e.path.split('/')[0] : '')));
  if (roots.size !== 1 || roots.has('')) return entries;
  const root = [...roots][0].length + 1;
  return entries.map((e) => ({ ...e, path: e.path.slice(root) }));
}

/** Code files larger than this are not scanned (largeFile; reference 4.4 "per-file scan cap 5 MB"). */
export const SCAN_CAP_BYTES = 5 * 1024 * 1024;
/** Top-level files up to this size are held whatever they are: licence texts (any file SEE LICENSE IN names). */
export const SMALL_FILE_BYTES = 256 * 1024;
// Read by name whatever their size (up to the archive reader's held bound): the manifest and the README, which the
// typosquat rules hash. METADATA and PKG-INFO are read by registry/pypi/metadata.ts with its own `hold`.
const READ_BY_NAME = /(?:^|\/)(?:package\.json|readme(?:\.\w+)?)$/i;

/**
 * The archive reader's `hold` for the scanner: the entries it reads by content. Code up to the scan cap, the
 * manifest and README, and small files at the top (one folder down: before stripRoot); not native libraries,
 * class files, images or data files, whose size and first bytes (binaryKind) are all the rules use.
 */
export function readsByContent(path: string, size: number): boolean {
  if (isCode(path)) return size <= SCAN_CAP_BYTES;
  return READ_BY_NAME.test(path) || (size <= SMALL_FILE_BYTES && path.split('/').length <= 2);
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
