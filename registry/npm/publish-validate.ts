// Validation of an npm publish body (npm-protocol.md section 2.4), before anything is stored: one version, one
// attachment, strict base64, integrity and shasum recomputed from the bytes, and the tarball's own
// package/package.json compared with the manifest (no manifest confusion, reliability-security.md N1-N17).
import { createHash } from 'node:crypto';
import path from 'node:path';
import semver from 'semver';
import { AppError, badRequest } from '../../lib/errors.ts';
import { ArchiveError, readTarGz } from '../tar-reader.ts';
import { assertTag, assertVersion, type NpmName, parseNpmName, tarballFilename } from './names.ts';

export interface PreparedPublish {
  pkg: NpmName;
  version: string;
  tag: string;
  access: 'public' | 'restricted' | null;
  /** The version object to store (server-built dist, no readme, no client-controlled underscore fields). */
  manifest: Record<string, unknown>;
  readme: string;
  description: string;
  keywords: string[];
  tarball: Buffer;
  integrity: string;
  shasum: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (message: string, code = 'INVALID_PUBLISH') => badRequest(message, undefined, code);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// Client fields that only the server may set (trap 19) or that describe the client's local state.
const DROPPED = [
  '_npmUser',
  '_resolved',
  '_from',
  '_integrity',
  '_shasum',
  '_where',
  '_args',
  '_inBundle',
  'readme',
  'deprecated',
  'maintainers',
  'dist',
];

export function integrityOf(bytes: Buffer): { integrity: string; shasum: string } {
  return {
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
}

/** Does the body carry a tarball (publish) rather than a metadata change (deprecate, star)? Trap 20. */
export function isPublishBody(body: unknown): boolean {
  return isObj(body) && isObj(body._attachments) && Object.keys(body._attachments).length > 0;
}

export function preparePublish(urlName: string, body: unknown, maxTarballBytes: number): PreparedPublish {
  if (!isObj(body)) throw bad('the publish body must be a JSON object');
  const pkg = parseNpmName(urlName);
  if (body.name !== pkg.name)
    throw bad(`the package name in the body ("${String(body.name)}") does not match the URL ("${pkg.name}")`, 'NAME_MISMATCH');
  if (body._id !== undefined && body._id !== pkg.name) throw bad('the _id in the body does not match the package name', 'NAME_MISMATCH');
  if (!isObj(body.versions) || Object.keys(body.versions).length !== 1) throw bad('a publish must carry exactly one version');
  const [version] = Object.keys(body.versions);
  assertVersion(version);
  const v = body.versions[version];
  if (!isObj(v)) throw bad('the version entry must be an object');
  if (v.name !== pkg.name || v.version !== version) throw bad('the version object must name the same package and version', 'NAME_MISMATCH');

  const tags = isObj(body['dist-tags']) ? body['dist-tags'] : {};
  const tagEntries = Object.entries(tags);
  if (tagEntries.length > 1) throw bad('a publish may set only one dist-tag');
  const tag = tagEntries.length === 1 ? assertTag(tagEntries[0][0]) : 'latest';
  if (tagEntries.length === 1 && tagEntries[0][1] !== version) throw bad('the dist-tag must point at the published version');

  const access = body.access ?? null;
  if (access !== null && access !== 'public' && access !== 'restricted') throw bad('access must be "public" or "restricted"');
  if (access === 'restricted' && !pkg.scope) throw bad('unscoped packages are always public: only scoped packages can be restricted');

  // --provenance adds a JSON ".sigstore" attachment next to the tarball; it is not stored (yet).
  const attachments = Object.entries(body._attachments as Obj).filter(([k]) => !k.endsWith('.sigstore'));
  if (attachments.length !== 1) throw bad('a publish must carry exactly one tarball attachment');
  const [key, att] = attachments[0];
  const expected = tarballFilename(pkg, version);
  if (key !== expected && key !== `${pkg.name}-${version}.tgz`) throw bad(`the attachment must be named ${expected}, not "${key}"`);
  if (!isObj(att) || typeof att.data !== 'string') throw bad('the attachment has no data');
  if (att.data.length % 4 !== 0 || !BASE64.test(att.data)) throw bad('the attachment data is not valid base64', 'INVALID_BASE64');
  if (att.data.length === 0) throw bad('the attachment is empty');
  if (att.data.length * 0.75 > maxTarballBytes + 3)
    throw new AppError(413, 'BODY_TOO_LARGE', `the tarball is larger than ${maxTarballBytes} bytes`);
  const tarball = Buffer.from(att.data, 'base64');
  if (att.length !== undefined && att.length !== tarball.length)
    throw bad(`the attachment length (${String(att.length)}) does not match its data (${tarball.length} bytes)`);

  const { integrity, shasum } = integrityOf(tarball);
  const dist = isObj(v.dist) ? v.dist : {};
  if (typeof dist.integrity === 'string') {
    const sha512 = dist.integrity.split(/\s+/).find((h) => h.startsWith('sha512-'));
    if (sha512 && sha512 !== integrity) throw bad('dist.integrity does not match the uploaded tarball', 'INTEGRITY_MISMATCH');
  }
  if (typeof dist.shasum === 'string' && dist.shasum.toLowerCase() !== shasum)
    throw bad('dist.shasum does not match the uploaded tarball', 'INTEGRITY_MISMATCH');

  const { inner, fileCount, unpackedSize, hasGyp } = readPackageJson(tarball);
  assertSameManifest(pkg, v, inner, hasGyp);

  const manifest: Obj = {};
  for (const [k, val] of Object.entries(v)) if (!DROPPED.includes(k)) manifest[k] = val;
  manifest._id = `${pkg.name}@${version}`;
  const scripts = isObj(v.scripts) ? v.scripts : {};
  if (hasGyp || scripts.preinstall || scripts.install || scripts.postinstall) manifest.hasInstallScript = true;
  manifest.dist = { integrity, shasum, tarball: '', fileCount, unpackedSize };
  const readme = typeof v.readme === 'string' && v.readme !== 'ERROR: No README data found!' ? v.readme : '';
  const keywords = Array.isArray(v.keywords) ? v.keywords.filter((k): k is string => typeof k === 'string').slice(0, 50) : [];
  const description = typeof v.description === 'string' ? v.description.slice(0, 1000) : '';
  return { pkg, version, tag, access, manifest, readme, description, keywords, tarball, integrity, shasum };
}

function readPackageJson(tarball: Buffer): { inner: Obj; fileCount: number; unpackedSize: number; hasGyp: boolean } {
  let entries: ReturnType<typeof readTarGz>;
  try {
    entries = readTarGz(tarball, (p) => p === 'package/package.json');
  } catch (err) {
    if (err instanceof ArchiveError) throw bad(err.message, 'INVALID_TARBALL');
    throw err;
  }
  const files = entries.filter((e) => e.type === 'file');
  const pj = files.find((e) => e.path === 'package/package.json');
  if (!pj) throw bad('the tarball has no package/package.json', 'INVALID_TARBALL');
  if (pj.size > 1024 * 1024) throw bad('package/package.json is larger than 1 MiB', 'INVALID_TARBALL');
  let inner: unknown;
  try {
    inner = JSON.parse(pj.data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw bad('package/package.json in the tarball is not valid JSON', 'INVALID_TARBALL');
  }
  if (!isObj(inner)) throw bad('package/package.json in the tarball is not an object', 'INVALID_TARBALL');
  return {
    inner,
    fileCount: files.length,
    unpackedSize: files.reduce((n, e) => n + e.size, 0),
    hasGyp: files.some((e) => e.path === 'package/binding.gyp'),
  };
}

function normalizeBin(pkg: NpmName, bin: unknown): Record<string, string> {
  const raw: Obj = typeof bin === 'string' ? { [pkg.bare]: bin } : isObj(bin) ? bin : {};
  const out: Record<string, string> = {};
  for (const [k, p] of Object.entries(raw)) {
    if (typeof p !== 'string') throw bad(`bin "${k}" must be a path`, 'INVALID_MANIFEST');
    const n = path.posix.normalize(p.replace(/\\/g, '/'));
    if (n.startsWith('/') || n === '..' || n.startsWith('../') || /^[A-Za-z]:/.test(n))
      throw bad(`bin "${k}" points outside the package (${p})`, 'INVALID_MANIFEST');
    out[path.posix.basename(k)] = n.replace(/^\.\//, '');
  }
  return out;
}

const effectiveDeps = (m: Obj) => ({
  ...(isObj(m.dependencies) ? m.dependencies : {}),
  ...(isObj(m.optionalDependencies) ? m.optionalDependencies : {}),
});
const asMap = (v: unknown) => (isObj(v) ? v : {});

function sameMap(a: Obj, b: Obj): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** The manifest npm shows and installs from must say what the tarball says (manifest confusion, N2/N3). */
function assertSameManifest(pkg: NpmName, manifest: Obj, inner: Obj, hasGyp: boolean) {
  const mismatch = (field: string) =>
    bad(`the ${field} in the manifest differs from package/package.json in the tarball`, 'MANIFEST_MISMATCH');
  if (inner.name !== manifest.name) throw mismatch('name');
  // npm publishes the version without its build metadata (libnpmpublish runs semver.clean) while the packed
  // package.json keeps it: 1.0.0+build.1 inside is the published 1.0.0.
  if (typeof inner.version !== 'string' || semver.clean(inner.version) !== manifest.version) throw mismatch('version');
  if (!sameMap(effectiveDeps(manifest), effectiveDeps(inner))) throw mismatch('dependencies');
  if (!sameMap(asMap(manifest.peerDependencies), asMap(inner.peerDependencies))) throw mismatch('peerDependencies');
  const innerScripts = { ...asMap(inner.scripts) };
  // npm adds "install": "node-gyp rebuild" for packages with a binding.gyp and no install script.
  if (hasGyp && !innerScripts.install && !innerScripts.preinstall) innerScripts.install = 'node-gyp rebuild';
  if (!sameMap(asMap(manifest.scripts), innerScripts)) throw mismatch('scripts');
  const binDir = isObj(inner.directories) && inner.directories.bin !== undefined && inner.bin === undefined;
  if (!binDir && !sameMap(normalizeBin(pkg, manifest.bin), normalizeBin(pkg, inner.bin))) throw mismatch('bin');
}
