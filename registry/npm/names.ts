// npm package names, versions, tags and tarball filenames, validated before any use (npm-protocol.md trap 34,
// reliability-security.md section 3). Rules follow validate-npm-package-name for new packages.
import { builtinModules } from 'node:module';
import semver from 'semver';
import { badRequest } from '../../lib/errors.ts';

// The registry's own name pattern: lowercase, URL-safe, no leading "." or "_", at most one scope.
const NAME_RE = /^(?:@([a-z0-9-~][a-z0-9-._~]*)\/)?([a-z0-9-~][a-z0-9-._~]*)$/;
const BLOCKED = new Set(['node_modules', 'favicon.ico', '__proto__', 'constructor', 'prototype']);
const BUILTINS = new Set(builtinModules);

export interface NpmName {
  name: string;
  scope: string | undefined;
  /** The part after the scope: "http" for "@elide/http". */
  bare: string;
}

/** Why a name is not acceptable, or undefined when it is. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a package name is required';
  if (name.length > 214) return 'a package name can be at most 214 characters long';
  if (name !== name.trim()) return 'a package name cannot have leading or trailing spaces';
  if (name.toLowerCase() !== name) return 'a package name must be lowercase';
  const m = NAME_RE.exec(name);
  if (!m) return 'a package name can only contain URL-safe characters (a-z, 0-9, "-", ".", "_", "~") and cannot start with "." or "_"';
  const bare = m[2];
  if (BLOCKED.has(bare) || BLOCKED.has(name)) return `"${bare}" is a reserved name`;
  if (!m[1] && BUILTINS.has(bare)) return `"${bare}" is a Node.js core module name`;
  if (bare === '.' || bare === '..' || m[1] === '.' || m[1] === '..') return 'a package name cannot be "." or ".."';
  return undefined;
}

export function parseNpmName(name: unknown): NpmName {
  const problem = nameProblem(name);
  if (problem) throw badRequest(`invalid package name "${String(name).slice(0, 240)}": ${problem}`, undefined, 'INVALID_PACKAGE_NAME');
  const n = name as string;
  const m = NAME_RE.exec(n)!;
  return { name: n, scope: m[1], bare: m[2] };
}

/** A strict semver version ("1.2.3", "2.0.0-beta.1"): no "v" prefix, no build-only differences. */
export function isStrictVersion(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 256 && semver.valid(v) === v;
}

export function assertVersion(v: unknown): string {
  if (!isStrictVersion(v))
    throw badRequest(
      `invalid version "${String(v).slice(0, 100)}": versions must be valid semver such as 1.0.0`,
      undefined,
      'INVALID_VERSION',
    );
  return v;
}

/** npm refuses tags that are semver ranges ("1", "v1", "^2"), since `npm install pkg@<tag>` would be ambiguous. */
export function assertTag(tag: unknown): string {
  if (typeof tag !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(tag) || semver.validRange(tag) !== null)
    throw badRequest(
      `invalid dist-tag "${String(tag).slice(0, 100)}": a tag is a word such as "latest" or "beta", not a version or range`,
      undefined,
      'INVALID_TAG',
    );
  return tag;
}

/** The tarball filename of a version: "http-1.0.0.tgz" for "@elide/http" (scoped names are normalized, trap 15). */
export function tarballFilename(n: NpmName, version: string): string {
  return `${n.bare}-${version}.tgz`;
}

/** The version a tarball filename names for this package, or undefined when it is not one of its files. */
export function versionFromFilename(n: NpmName, filename: string): string | undefined {
  const prefix = `${n.bare}-`;
  if (!filename.startsWith(prefix) || !filename.endsWith('.tgz')) return undefined;
  const v = filename.slice(prefix.length, -4);
  return isStrictVersion(v) ? v : undefined;
}

/** The path of a tarball under the npm root: "@elide/http/-/http-1.0.0.tgz" (literal slash, as npm writes it). */
export function tarballPath(n: NpmName, version: string): string {
  return `${n.name}/-/${tarballFilename(n, version)}`;
}
