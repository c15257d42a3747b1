// Package paths under /npm/, parsed from the raw URL so every encoding npm and other clients send works the
// same (trap 3): "/@s%2fn", "/@s%2Fn", "/@s/n", tarballs with a literal slash, and the -rev forms.
import { badRequest } from '../../lib/errors.ts';

export type NpmPath =
  | { kind: 'doc'; name: string }
  | { kind: 'rev'; name: string; rev: string }
  | { kind: 'tarball'; name: string; filename: string }
  | { kind: 'tarball-rev'; name: string; filename: string; rev: string }
  | { kind: 'version'; name: string; spec: string };

function decode(seg: string): string {
  try {
    const d = decodeURIComponent(seg);
    // Decoded exactly once: a "%" that survives is double encoding (%252e), never a valid name (N10).
    if (d.includes('%') || d.includes('\u0000')) throw new Error('double-encoded');
    return d;
  } catch {
    throw badRequest(`invalid path segment "${seg.slice(0, 100)}"`, undefined, 'INVALID_PATH');
  }
}

/** Split the path after a prefix into the package name and the rest. */
export function splitName(rawPath: string): { name: string; rest: string[] } | undefined {
  const segs = rawPath.split('/');
  if (segs.length === 0 || segs[0] === '') return undefined;
  const first = decode(segs[0]);
  if (first.startsWith('@') && !first.includes('/')) {
    if (segs.length < 2 || segs[1] === '') return undefined;
    return { name: `${first}/${decode(segs[1])}`, rest: segs.slice(2) };
  }
  return { name: first, rest: segs.slice(1) };
}

/** rawPath: the URL path after "/npm/", query removed, not decoded. */
export function parseNpmPath(rawPath: string): NpmPath | undefined {
  const split = splitName(rawPath);
  if (!split) return undefined;
  const { name, rest } = split;
  if (rest.length === 0) return { kind: 'doc', name };
  if (rest.length === 2 && rest[0] === '-rev') return { kind: 'rev', name, rev: decode(rest[1]) };
  if (rest.length === 2 && rest[0] === '-') return { kind: 'tarball', name, filename: decode(rest[1]) };
  if (rest.length === 4 && rest[0] === '-' && rest[2] === '-rev')
    return { kind: 'tarball-rev', name, filename: decode(rest[1]), rev: decode(rest[3]) };
  if (rest.length === 1 && rest[0] !== '') return { kind: 'version', name, spec: decode(rest[0]) };
  return undefined;
}
