// Maven repository paths (maven2 layout) parsed into validated coordinates before anything else happens: every
// segment is checked (no "..", "%", "\", empty or control characters: Reposilite CVE-2024-36117, Nexus
// CVE-2024-4956), and a file must be named artifactId-version[-classifier].ext in its version directory.
import { badRequest } from '../../lib/errors.ts';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+~-]*$/;
export const CHECKSUMS = ['sha1', 'md5', 'sha256', 'sha512'] as const;
export type ChecksumAlg = (typeof CHECKSUMS)[number];
const SNAPSHOT_TS = /^(\d{8}\.\d{6})-(\d+)/;

export const isSnapshot = (version: string) => version.endsWith('-SNAPSHOT');

export interface ArtifactCoords {
  kind: 'artifact';
  groupId: string;
  artifactId: string;
  /** The directory version ("1.0.0" or "1.0.0-SNAPSHOT"). */
  version: string;
  filename: string;
  classifier: string | null;
  extension: string;
  /** Timestamped SNAPSHOT builds: "20261126.010125" and the build number. */
  timestamp: string | null;
  buildNumber: number | null;
}

export interface MetadataCoords {
  kind: 'metadata';
  groupId: string;
  artifactId: string;
  /** Set for version-level (SNAPSHOT) metadata. */
  version: string | null;
  /**
   * The same path read as group-level metadata (the plugins of a group): com/acme/maven-metadata.xml is artifact
   * com:acme's metadata or group com.acme's, and the artifact wins when it exists. Null for version-level metadata.
   */
  group: string | null;
}

/** Group-level metadata of a one-segment group (acme/maven-metadata.xml), which can name no artifact. */
export interface GroupMetadataCoords {
  kind: 'group-metadata';
  groupId: string;
}

export type Coords = (ArtifactCoords | MetadataCoords | GroupMetadataCoords) & {
  /** The repository path without the checksum suffix. */
  path: string;
  checksum: ChecksumAlg | null;
};

export const packageName = (c: { groupId: string; artifactId: string }) => `${c.groupId}:${c.artifactId}`;

const bad = (path: string, why: string) =>
  badRequest(`invalid Maven repository path "${path.slice(0, 200)}": ${why}`, undefined, 'INVALID_MAVEN_PATH');

/** Parses "com/example/lib/1.0.0/lib-1.0.0.jar[.sha1]"; throws 400 INVALID_MAVEN_PATH for anything else. */
export function parseMavenPath(raw: string): Coords {
  if (raw.length > 1024) throw bad(raw, 'longer than 1024 characters');
  const segments = raw.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw bad(raw, 'empty, "." and ".." segments are not allowed');
    if (!SEGMENT.test(s) || s.length > 200) throw bad(raw, `segment "${s.slice(0, 60)}" has characters outside A-Z a-z 0-9 . _ - + ~`);
  }
  let file = segments[segments.length - 1];
  let checksum: ChecksumAlg | null = null;
  for (const alg of CHECKSUMS) {
    if (file.endsWith(`.${alg}`)) {
      checksum = alg;
      file = file.slice(0, -alg.length - 1);
      break;
    }
  }
  const dirs = segments.slice(0, -1);
  const path = [...dirs, file].join('/');
  if (file === 'maven-metadata.xml') {
    const last = dirs[dirs.length - 1];
    if (last && isSnapshot(last)) {
      if (dirs.length < 3) throw bad(raw, 'expected groupId/artifactId/version/maven-metadata.xml');
      const [groupId, artifactId] = [dirs.slice(0, -2).join('.'), dirs[dirs.length - 2]];
      return { kind: 'metadata', groupId, artifactId, version: last, group: null, path, checksum };
    }
    if (dirs.length === 1) return { kind: 'group-metadata', groupId: last, path, checksum };
    if (dirs.length < 2) throw bad(raw, 'expected groupId/artifactId/maven-metadata.xml or groupId/maven-metadata.xml');
    return {
      kind: 'metadata',
      groupId: dirs.slice(0, -1).join('.'),
      artifactId: last,
      version: null,
      group: dirs.join('.'),
      path,
      checksum,
    };
  }
  if (dirs.length < 3) throw bad(raw, 'expected groupId/artifactId/version/artifactId-version[-classifier].ext');
  const version = dirs[dirs.length - 1];
  const artifactId = dirs[dirs.length - 2];
  const groupId = dirs.slice(0, -2).join('.');
  if (!file.startsWith(`${artifactId}-`)) throw bad(raw, `the file name must start with "${artifactId}-"`);
  let rest = file.slice(artifactId.length + 1);
  let timestamp: string | null = null;
  let buildNumber: number | null = null;
  if (rest.startsWith(version)) rest = rest.slice(version.length);
  else if (isSnapshot(version) && rest.startsWith(`${version.slice(0, -'SNAPSHOT'.length)}`)) {
    const m = SNAPSHOT_TS.exec(rest.slice(version.length - 'SNAPSHOT'.length));
    if (!m) throw bad(raw, `a SNAPSHOT file is named ${artifactId}-${version} or uses a yyyyMMdd.HHmmss-N timestamp`);
    timestamp = m[1];
    buildNumber = Number(m[2]);
    rest = rest.slice(version.length - 'SNAPSHOT'.length + m[0].length);
  } else throw bad(raw, `the file name must carry the version "${version}" of its directory`);
  let classifier: string | null = null;
  if (rest.startsWith('-')) {
    const dot = rest.indexOf('.');
    if (dot < 2) throw bad(raw, 'a classifier must be followed by an extension');
    classifier = rest.slice(1, dot);
    rest = rest.slice(dot);
  }
  if (!rest.startsWith('.') || rest.length < 2) throw bad(raw, 'the file needs an extension');
  return {
    kind: 'artifact',
    groupId,
    artifactId,
    version,
    filename: file,
    classifier,
    extension: rest.slice(1),
    timestamp,
    buildNumber,
    path,
    checksum,
  };
}
