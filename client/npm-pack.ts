// Which files go into an npm tarball, by npm pack's rules ("files", .npmignore / .gitignore, always-in and always-out
// lists), and building the tarball itself. The selection is pure so it is unit-tested without a disk.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';

/** Never packed, whatever "files" or .npmignore say (npm-packlist's strict defaults). */
const ALWAYS_OUT = [
  '.git',
  'CVS',
  '.svn',
  '.hg',
  '.lock-wscript',
  '.wafpickle-*',
  '.*.swp',
  '.DS_Store',
  '._*',
  'npm-debug.log',
  '.npmrc',
  'node_modules',
  'config.gypi',
  '*.orig',
  '/package-lock.json',
  '/yarn.lock',
  '/pnpm-lock.yaml',
  '/bun.lockb',
  '.npmignore',
  '.gitignore',
];
/** Always packed when present at the root. */
const ALWAYS_IN = /^(package\.json|readme(\.[^/]*)?|licen[cs]e(\.[^/]*)?|copying(\.[^/]*)?)$/i;

interface Rule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** One gitignore-style line -> a rule, or undefined for blanks and comments. */
export function parseRule(line: string): Rule | undefined {
  let p = line.replace(/\s+$/, '');
  if (!p || p.startsWith('#')) return undefined;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  if (p.startsWith('./')) p = p.slice(2);
  // A pattern with a slash (other than a trailing one) is anchored where the ignore file is; otherwise it matches at any depth.
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  const body = globToRegex(p);
  return { re: new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`, 'i'), negate, dirOnly };
}

export const parseIgnoreFile = (text: string) =>
  text
    .split(/\r?\n/)
    .map(parseRule)
    .filter((r): r is Rule => r !== undefined);

/** Does a rule list exclude this path? A rule on a directory excludes everything below it; the last match wins. */
export function ignoredBy(rules: Rule[], rel: string): boolean | undefined {
  const parts = rel.split('/');
  let verdict: boolean | undefined;
  for (const r of rules) {
    for (let i = 1; i <= parts.length; i++) {
      const isDir = i < parts.length;
      if (r.dirOnly && !isDir) continue;
      if (r.re.test(parts.slice(0, i).join('/'))) {
        verdict = !r.negate;
        break;
      }
    }
  }
  return verdict;
}

export interface PackInput {
  /** Every file under the project, relative POSIX paths. */
  files: string[];
  pkg: { files?: unknown; main?: unknown; bin?: unknown };
  /** Ignore-file contents by the folder they sit in ('' for the root): .npmignore, else .gitignore. */
  ignoreFiles: Record<string, string>;
}

export function selectPackFiles(input: PackInput): string[] {
  const always = parseIgnoreFile(ALWAYS_OUT.join('\n'));
  const filesField = Array.isArray(input.pkg.files) ? input.pkg.files.filter((f): f is string => typeof f === 'string') : undefined;
  const include = filesField
    ? parseIgnoreFile(filesField.map((f) => (f.startsWith('!') ? f : `/${f.replace(/^\.?\//, '')}`)).join('\n'))
    : [];
  const forced = new Set<string>();
  const norm = (p: string) => path.posix.normalize(p.replace(/^\.\//, ''));
  if (typeof input.pkg.main === 'string') forced.add(norm(input.pkg.main));
  if (typeof input.pkg.bin === 'string') forced.add(norm(input.pkg.bin));
  else if (input.pkg.bin && typeof input.pkg.bin === 'object')
    for (const b of Object.values(input.pkg.bin)) if (typeof b === 'string') forced.add(norm(b));
  const dirs = Object.keys(input.ignoreFiles).sort((a, b) => a.length - b.length);
  const rulesOf = new Map(dirs.map((d) => [d, parseIgnoreFile(input.ignoreFiles[d])]));

  const picked = input.files.filter((rel) => {
    if (ignoredBy(always, rel)) return false;
    if (!rel.includes('/') && ALWAYS_IN.test(rel)) return true;
    if (forced.has(rel)) return true;
    // "files" replaces the root ignore file; ignore files in subfolders still apply inside them.
    if (filesField && !ignoredBy(include, rel)) return false;
    for (const d of dirs) {
      if (d === '' && filesField) continue;
      if (d !== '' && !rel.startsWith(`${d}/`)) continue;
      if (ignoredBy(rulesOf.get(d) ?? [], d === '' ? rel : rel.slice(d.length + 1))) return false;
    }
    return true;
  });
  return picked.sort();
}

/** Walks a project: every file (not node_modules or .git), and its ignore files (.npmignore wins over .gitignore). */
export function readProject(dir: string): { files: string[]; ignoreFiles: Record<string, string> } {
  const files: string[] = [];
  const ignoreFiles: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = path.join(dir, rel);
    const entries = fs.readdirSync(abs, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    const ignore = names.has('.npmignore') ? '.npmignore' : names.has('.gitignore') ? '.gitignore' : undefined;
    if (ignore) ignoreFiles[rel] = fs.readFileSync(path.join(abs, ignore), 'utf8');
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') walk(r);
      } else if (e.isFile()) files.push(r);
    }
  };
  walk('');
  return { files, ignoreFiles };
}

export interface Tarball {
  data: Buffer;
  files: string[];
  shasum: string;
  integrity: string;
}

/** A gzipped tarball with every entry under package/, fixed mtimes (reproducible, like npm pack). */
export async function buildTarball(dir: string, files: string[]): Promise<Tarball> {
  const chunks: Buffer[] = [];
  const stream = tar.create({ gzip: true, cwd: dir, prefix: 'package', portable: true, mtime: new Date('1985-10-26T08:15:00Z') }, files);
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  const data = Buffer.concat(chunks);
  return {
    data,
    files,
    shasum: createHash('sha1').update(data).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
  };
}
