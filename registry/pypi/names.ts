// PyPI names, versions and distribution filenames: PEP 503 normalisation, PEP 440 versions, wheel (PEP 427) and
// sdist filenames. Filenames are kept verbatim (Debian 12's setuptools 66 writes non-PEP-625 sdist names, so the
// Warehouse rule that refuses them is deliberately not copied: multiformat-protocols.md 1.7).
import { clean, eq, explain, valid } from '@renovatebot/pep440';
import { badRequest } from '../../lib/errors.ts';

/** PEP 503: re.sub(r"[-_.]+", "-", name).lower() */
export const normalizeName = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();

// PEP 508 / core metadata "Name": ASCII letters and digits, with . _ - inside.
const NAME_RE = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
export const isValidName = (name: string) => name.length <= 200 && NAME_RE.test(name);
export const isValidVersion = (v: string) => v.length <= 100 && valid(v) !== null;
/** A valid version with a local segment ("1.0+ubuntu1"), which public indexes refuse. */
export const isLocalVersion = (v: string) => isValidVersion(v) && explain(v)?.local != null;
/** Canonical form of a version, so "1.0" and "1.0.0" of the same release compare equal where PEP 440 says so. */
export const sameVersion = (a: string, b: string) => isValidVersion(a) && isValidVersion(b) && eq(a, b);
export const canonicalVersion = (v: string) => clean(v) ?? v;

export type DistKind = 'bdist_wheel' | 'sdist';

export interface ParsedFilename {
  kind: DistKind;
  /** The name part as written in the filename. */
  name: string;
  version: string;
  /** A wheel's Python tag (PEP 427 "py3", "cp311.cp312"): what twine sends as pyversion; sdists have none. */
  pythonTag?: string;
}

const WHEEL_RE = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/;
const SDIST_EXT = /\.(tar\.gz|zip)$/;

/** Warehouse's _validate_filename: no path separators or control characters, and a known extension. */
export function checkFilename(filename: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point (Warehouse)
  if (!filename || filename.length > 255 || /[/\\]/.test(filename) || /[\x00-\x1f\x7f]/.test(filename))
    throw badRequest(`Invalid filename: ${JSON.stringify(filename.slice(0, 100))}.`, undefined, 'INVALID_FILENAME');
  if (!filename.endsWith('.whl') && !SDIST_EXT.test(filename))
    throw badRequest(`Invalid file extension: use .tar.gz, .whl or .zip (PEP 527).`, undefined, 'INVALID_FILENAME');
}

/**
 * Splits a filename into name and version. For sdists the split point is the "-" whose left side normalises to
 * the project being uploaded (names may contain "-" in old sdists; versions never do).
 */
export function parseFilename(filename: string, project: string): ParsedFilename | undefined {
  const wheel = WHEEL_RE.exec(filename);
  if (wheel) return { kind: 'bdist_wheel', name: wheel[1], version: wheel[2], pythonTag: wheel[3] };
  const ext = SDIST_EXT.exec(filename);
  if (!ext) return undefined;
  const base = filename.slice(0, -ext[0].length);
  for (let i = base.lastIndexOf('-'); i > 0; i = base.lastIndexOf('-', i - 1)) {
    if (normalizeName(base.slice(0, i)) === normalizeName(project))
      return { kind: 'sdist', name: base.slice(0, i), version: base.slice(i + 1) };
  }
  const i = base.lastIndexOf('-');
  return i > 0 ? { kind: 'sdist', name: base.slice(0, i), version: base.slice(i + 1) } : undefined;
}
