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

// The names npm still installs although a new package may no longer take them (validate-npm-package-name's
// validForOldPackages): upper case ("JSONStream", "Base64"), core module names and the URL-safe characters ~'!()*.
// Reads accept them, so that such a package of the uplink (UPLINK_URL) resolves; publishes keep NAME_RE.
const LEGACY_NAME_RE = /^(?:@([A-Za-z0-9-~][A-Za-z0-9-._~]*)\/)?([A-Za-z0-9-~'!()*][A-Za-z0-9-._~'!()*]*)$/;

/** A name to read (a packument, a version, a tarball): new packages' names, and the legacy ones npm still installs. */
export function parseNpmReadName(name: unknown): NpmName {
  const m = typeof name === 'string' ? LEGACY_NAME_RE.exec(name) : null;
  if (!m || BLOCKED.has(m[2]) || BLOCKED.has(name as string)) return parseNpmName(name);
  return { name: name as string, scope: m[1], bare: m[2] };
}

const MAX_VERSION_LENGTH = 256;
const MAX_TAG_LENGTH = 128;

/**
 * A strict semver version ("1.2.3", "2.0.0-beta.1") exactly as npm stores it: no "v" prefix, no spaces, no build
 * metadata. Versions become file names and URL segments, so only this form is ever used for them.
 */
export function isStrictVersion(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_VERSION_LENGTH && semver.valid(v) === v;
}

/** Why a version is not acceptable, or undefined when it is. */
export function versionProblem(v: unknown): string | undefined {
  if (isStrictVersion(v)) return undefined;
  if (typeof v !== 'string' || v === '') return 'a version is required, such as 1.0.0';
  if (v.length > MAX_VERSION_LENGTH) return `a version can be at most ${MAX_VERSION_LENGTH} characters long`;
  const parsed = semver.parse(v);
  // npm ignores build metadata: `npm publish` strips it (semver.clean) and 1.0.0+a and 1.0.0+b are the same
  // version to every install, so the registry knows only 1.0.0 (the tarball's package.json may keep the "+...").
  if (parsed && parsed.build.length > 0 && v === `${parsed.version}+${parsed.build.join('.')}`)
    return `build metadata ("+${parsed.build.join('.')}") is not part of an npm version (npm publish drops it and installs ignore it): use ${parsed.version}`;
  const clean = semver.clean(v);
  if (clean) return `write it as ${clean}`;
  return 'versions must be valid semver such as 1.0.0 or 2.0.0-beta.1';
}

export function assertVersion(v: unknown): string {
  const problem = versionProblem(v);
  if (problem) throw badRequest(`invalid version "${String(v).slice(0, 100)}": ${problem}`, undefined, 'INVALID_VERSION');
  return v as string;
}

/** Why a dist-tag is not acceptable, or undefined when it is. */
export function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string' || tag === '') return 'a tag is required, such as "latest" or "beta"';
  if (tag.length > MAX_TAG_LENGTH) return `a tag can be at most ${MAX_TAG_LENGTH} characters long (this one has ${tag.length})`;
  const bad = /[^A-Za-z0-9._-]/u.exec(tag);
  if (bad) return `a tag can only contain letters, digits, ".", "_" and "-": ${JSON.stringify(bad[0])} is not allowed`;
  if (!/^[A-Za-z0-9]/.test(tag)) return 'a tag must start with a letter or a digit';
  // npm refuses tags that are semver ranges ("1", "v1", "x"), since `npm install pkg@<tag>` would read them as one.
  if (semver.validRange(tag) !== null)
    return 'it looks like a version or range, which npm install would read as one: use a word such as "beta"';
  return undefined;
}

export function assertTag(tag: unknown): string {
  const problem = tagProblem(tag);
  if (problem) throw badRequest(`invalid dist-tag "${String(tag).slice(0, 100)}": ${problem}`, undefined, 'INVALID_TAG');
  return tag as string;
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
