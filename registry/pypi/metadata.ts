// Core metadata (METADATA / PKG-INFO, RFC 822 style) read from a wheel or sdist in memory, within the archive
// reader's bounds. The archive is the truth for name, version, requires-python and dependencies: twine's form
// fields are only checked against it (the sdist form even omits requires_dist, multiformat-protocols.md 1.2).
import { validRange } from '@renovatebot/pep440';
import { badRequest } from '../../lib/errors.ts';
import { evaluateMarker, type MarkerEnvironment, PYPI_TARGET_ENVIRONMENT } from '../multiformat/pep508-markers.ts';
import { type ArchiveEntry, DEFAULT_ARCHIVE_LIMITS, readArchive } from '../security/archive-reader.ts';
import { type DistKind, normalizeName } from './names.ts';

export interface CoreMetadata {
  /** Header name (lowercase) -> values in order (Requires-Dist and Classifier repeat). */
  fields: Map<string, string[]>;
  description: string;
}

export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = new Map<string, string[]>();
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  let last: { key: string; idx: number } | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break;
    if (/^[ \t]/.test(line) && last) {
      const values = fields.get(last.key)!;
      values[last.idx] += `\n${line.replace(/^ {7,8}\|?/, '').trimStart()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = fields.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    fields.set(key, values);
    last = { key, idx: values.length - 1 };
  }
  return { fields, description: lines.slice(i + 1).join('\n') };
}

export const field = (m: CoreMetadata, key: string) => m.fields.get(key.toLowerCase())?.[0];
export const fieldAll = (m: CoreMetadata, key: string) => m.fields.get(key.toLowerCase()) ?? [];

export interface DistMetadata {
  /** The METADATA / PKG-INFO bytes exactly as in the archive (served as PEP 658 metadata for wheels). */
  raw: Buffer;
  meta: CoreMetadata;
}

const invalid = (why: string) => badRequest(`Invalid distribution file: ${why}.`, undefined, 'INVALID_DISTRIBUTION');

// Only a metadata file one folder down is read: a wheel's native libraries are checked by the walk, never held.
const isMetadataFile = (path: string) => /^[^/]+\/(?:METADATA|PKG-INFO)$/.test(path);
const MAX_METADATA_BYTES = 1024 * 1024;

/** Finds and parses the metadata file; throws 400 when the archive is unreadable or has none. */
export function readDistMetadata(bytes: Buffer, kind: DistKind, filenameName: string, filenameVersion: string): DistMetadata {
  let entries: ArchiveEntry[];
  try {
    const archive = readArchive(bytes, DEFAULT_ARCHIVE_LIMITS, (path, size) => isMetadataFile(path) && size <= MAX_METADATA_BYTES);
    if (kind === 'bdist_wheel' && archive.format !== 'zip') throw invalid('a wheel must be a zip archive');
    entries = archive.entries;
  } catch (err) {
    if ((err as { code?: string }).code === 'INVALID_DISTRIBUTION') throw err;
    throw invalid((err as Error).message.replace(/^archive refused: /, ''));
  }
  let found: ArchiveEntry | undefined;
  if (kind === 'bdist_wheel') {
    // PEP 427: {distribution}-{version}.dist-info/METADATA, the distribution as escaped in the filename.
    const want = normalizeName(`${filenameName}-${filenameVersion}.dist-info`);
    found = entries.find((e) => {
      const parts = e.path.split('/');
      return parts.length === 2 && parts[1] === 'METADATA' && normalizeName(parts[0]) === want;
    });
    if (!found) throw invalid(`the wheel has no ${filenameName}-${filenameVersion}.dist-info/METADATA`);
  } else {
    // An sdist holds {name}-{version}/PKG-INFO at its root.
    found = entries.find((e) => {
      const parts = e.path.split('/');
      return parts.length === 2 && parts[1] === 'PKG-INFO';
    });
    if (!found) throw invalid('the sdist has no PKG-INFO at its root');
  }
  if (found.size > MAX_METADATA_BYTES || !found.held) throw invalid('the metadata file is larger than 1 MB');
  return { raw: found.data, meta: parseCoreMetadata(found.data.toString('utf8')) };
}

/**
 * The fields that describe a release to people and tools, kept with the version (manifest `details`) for the JSON
 * API (json-api.ts) as the archive has them; absent ones are left out. Platform is pypi.org's one string: the first.
 */
export interface ReleaseDetails {
  author?: string;
  authorEmail?: string;
  maintainer?: string;
  maintainerEmail?: string;
  descriptionContentType?: string;
  keywords?: string;
  platform?: string;
  downloadUrl?: string;
  licenseExpression?: string;
  classifiers?: string[];
  /** Project-URL values as written: "Label, https://...". */
  projectUrls?: string[];
  providesExtra?: string[];
  licenseFiles?: string[];
  dynamic?: string[];
}

const SINGLE: [keyof ReleaseDetails, string][] = [
  ['author', 'Author'],
  ['authorEmail', 'Author-email'],
  ['maintainer', 'Maintainer'],
  ['maintainerEmail', 'Maintainer-email'],
  ['descriptionContentType', 'Description-Content-Type'],
  ['keywords', 'Keywords'],
  ['platform', 'Platform'],
  ['downloadUrl', 'Download-URL'],
  ['licenseExpression', 'License-Expression'],
];
const MULTIPLE: [keyof ReleaseDetails, string][] = [
  ['classifiers', 'Classifier'],
  ['projectUrls', 'Project-URL'],
  ['providesExtra', 'Provides-Extra'],
  ['licenseFiles', 'License-File'],
  ['dynamic', 'Dynamic'],
];

export function releaseDetails(m: CoreMetadata): ReleaseDetails {
  const out: Record<string, string | string[]> = {};
  for (const [key, header] of SINGLE) {
    const v = field(m, header);
    if (v) out[key] = v;
  }
  for (const [key, header] of MULTIPLE) {
    const v = fieldAll(m, header).filter(Boolean);
    if (v.length > 0) out[key] = v;
  }
  return out as ReleaseDetails;
}

// --- Validation of the dependency fields, as Warehouse does at upload ------------------------------------------
// pip parses every Requires-Dist of a candidate with packaging's strict PEP 508 grammar and stops with a traceback
// (InvalidRequirement) on one it cannot read: a release with such a line is uninstallable, and so is everything that
// depends on it. pypi.org refuses the upload instead ("... is an invalid value for Requires-Dist"); so does this.

const PEP508_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** name, [extras], then the rest (a specifier, parenthesised or not, or "@ url"). */
const PEP508_HEAD = /^\s*([^\s[(;@<>=!~]+)\s*(?:\[([^\]]*)\])?\s*(.*)$/s;

/** A specifier set as packaging reads it: comma-separated clauses, empty ones (a trailing comma) skipped. */
function isValidSpecifierSet(text: string): boolean {
  const clauses = text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return clauses.every((c) => /^(===|==|!=|<=|>=|~=|<|>)/.test(c) && validRange(c));
}

/**
 * Every variable set to a version, so that a marker is only undefined when it cannot be parsed (an unknown variable,
 * a missing operator or quote, unbalanced parentheses), never because of this registry's own target environment.
 */
const PARSE_ONLY_ENVIRONMENT = Object.fromEntries(Object.keys(PYPI_TARGET_ENVIRONMENT).map((k) => [k, '1.0'])) as MarkerEnvironment;

/** Why a Requires-Dist line is not PEP 508, or undefined when pip can read it. */
export function requirementError(line: string): string | undefined {
  const semi = line.indexOf(';');
  const requirement = semi < 0 ? line : line.slice(0, semi);
  const marker = semi < 0 ? undefined : line.slice(semi + 1).trim();
  const head = PEP508_HEAD.exec(requirement);
  if (!head || !PEP508_NAME.test(head[1])) return 'expected a project name first';
  const [, , extras, rest] = head;
  if (extras !== undefined && !extras.split(',').every((e) => e.trim() === '' || PEP508_NAME.test(e.trim())))
    return `invalid extras [${extras}]`;
  const spec = rest.trim();
  if (spec.startsWith('@')) {
    if (!/^@\s*\S+:\/\/?\S+\s*$/.test(spec)) return 'expected a URL after @';
    // A URL requirement needs a space before its marker, or the ";" is read as part of the URL.
    if (marker !== undefined && !/\s$/.test(requirement)) return 'expected a space between the URL and ";"';
  } else if (spec !== '') {
    const inner = /^\((.*)\)$/s.exec(spec)?.[1] ?? spec;
    if (!isValidSpecifierSet(inner)) return `invalid version specifier ${JSON.stringify(spec.slice(0, 60))}`;
  }
  if (marker !== undefined && evaluateMarker(marker, PARSE_ONLY_ENVIRONMENT) === undefined)
    return `invalid environment marker ${JSON.stringify(marker.slice(0, 60))}`;
  return undefined;
}

const invalidField = (value: string, field: string, why: string) =>
  badRequest(
    `'${value.slice(0, 100)}' is an invalid value for ${field}: ${why}. See https://packaging.python.org/specifications/core-metadata for more information.`,
    undefined,
    'INVALID_METADATA',
  );

/**
 * 400 for the first Requires-Dist pip could not parse. Requires-Python is left as written: pip ignores one it cannot
 * read ("Ignoring invalid Requires-Python"), and older packaging accepted forms such as ">=3.6.*" that newer rejects.
 */
export function assertValidRequirements(requiresDist: string[]): void {
  for (const line of requiresDist) {
    const why = requirementError(line);
    if (why) throw invalidField(line, 'Requires-Dist', why);
  }
}
