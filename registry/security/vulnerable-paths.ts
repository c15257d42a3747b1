// Vulnerable paths in a resolved tree, with npm audit's semantics (@npmcli/arborist vuln.js and
// metavuln-calculator): direct advisories, metavulns ("depends on vulnerable versions of X" only when
// every version the spec admits is vulnerable), via/effects, severity, up to 10 shortest paths from
// the root, and fixAvailable for top-level dependencies (reference 3.3, 2.3).
import semver from 'semver';
import { dedupeAliases, isAffected, npmRange } from './advisories.ts';
import type { StoredAdvisory } from './advisories-repo.ts';
import { maxSeverity, type Severity } from './cvss.ts';
import { type Packument, type PackumentSource, pickVersion, type ResolvedTree } from './dependency-tree.ts';

export interface ViaAdvisory {
  source: number;
  name: string;
  dependency: string;
  title: string;
  url: string;
  severity: Severity;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
  range: string;
}
export interface VulnerableNode {
  name: string;
  version: string;
  severity: Severity;
  isDirect: boolean;
  via: (ViaAdvisory | string)[];
  effects: string[];
  paths: string[][];
  fixAvailable: boolean | { name: string; version: string; isSemVerMajor: boolean };
  range: string;
  bundled: boolean;
}

export type AdvisoriesOf = (name: string) => StoredAdvisory[];
const MAX_PATHS = 10;

export function vulnerabilityReport(tree: ResolvedTree, source: PackumentSource, advisoriesOf: AdvisoriesOf): VulnerableNode[] {
  const advCache = new Map<string, StoredAdvisory[]>();
  const advs = (n: string) => {
    if (!advCache.has(n)) advCache.set(n, advisoriesOf(n));
    return advCache.get(n)!;
  };
  const direct = (name: string, version: string) => dedupeAliases(advs(name).filter((a) => isAffected('npm', a.affected, version)));
  const packuments = new Map<string, Packument | undefined>();
  const packument = (n: string) => {
    if (!packuments.has(n)) packuments.set(n, source(n));
    return packuments.get(n);
  };
  // A version is vulnerable when advisories hit it or one of its dependency specs only admits vulnerable
  // versions (recursive metavuln, memoised; a cycle counts as not vulnerable).
  const memo = new Map<string, boolean>();
  const versionVulnerable = (name: string, version: string, visiting: Set<string>): boolean => {
    const key = `${name}@${version}`;
    if (memo.has(key)) return memo.get(key)!;
    if (visiting.has(key)) return false;
    visiting.add(key);
    const m = packument(name)?.versions[version];
    const result = direct(name, version).length > 0 || Object.entries(m?.dependencies ?? {}).some(([d, spec]) => forced(d, spec, visiting));
    visiting.delete(key);
    memo.set(key, result);
    return result;
  };
  const forced = (name: string, spec: string, visiting: Set<string> = new Set()): boolean => {
    const p = packument(name);
    if (!p || !semver.validRange(spec, { loose: true })) return false;
    if (advs(name).length === 0 && !Object.values(p.versions).some((v) => Object.keys(v.dependencies ?? {}).length > 0)) return false;
    const admitted = Object.keys(p.versions).filter((v) => semver.satisfies(v, spec, { loose: true }));
    return admitted.length > 0 && admitted.every((v) => versionVulnerable(name, v, visiting));
  };

  const byNode = new Map<string, { via: (ViaAdvisory | string)[]; severity: Severity; effects: Set<string> }>();
  const nodeIds = [...tree.nodes.keys()].filter((id) => id !== tree.root && !tree.nodes.get(id)!.external);
  for (const id of nodeIds) {
    const n = tree.nodes.get(id)!;
    const hits = direct(n.name, n.version);
    if (hits.length === 0) continue;
    const via = hits.map((a) => ({
      source: a.num,
      name: n.name,
      dependency: n.name,
      title: a.title,
      url: a.url,
      severity: a.severity,
      cwe: a.cwe,
      cvss: a.cvss,
      range: npmRange(a.affected, 'npm'),
    }));
    byNode.set(id, { via, severity: via.map((v) => v.severity).reduce(maxSeverity), effects: new Set() });
  }
  // Propagate metavulns up the edges until nothing changes (bounded by the node count).
  for (let changed = true, rounds = 0; changed && rounds <= tree.nodes.size; rounds++) {
    changed = false;
    for (const e of tree.edges) {
      if (!e.to || e.skipped || e.from === tree.root || !byNode.has(e.to)) continue;
      const target = tree.nodes.get(e.to)!;
      const isForced = target.bundled ? semver.intersects(e.spec, rangeOf(byNode.get(e.to)!.via)) : forced(target.name, e.spec);
      if (!isForced) continue;
      const child = byNode.get(e.to)!;
      child.effects.add(tree.nodes.get(e.from)!.name);
      const entry = byNode.get(e.from) ?? { via: [], severity: 'info' as Severity, effects: new Set<string>() };
      if (!entry.via.includes(target.name)) {
        entry.via.push(target.name);
        changed = true;
      }
      const sev = maxSeverity(entry.severity, child.severity);
      if (sev !== entry.severity || !byNode.has(e.from)) changed = true;
      entry.severity = sev;
      byNode.set(e.from, entry);
    }
  }
  const rootEdges = tree.edges.filter((e) => e.from === tree.root && e.to);
  // A transitive node is fixable by a fresh resolution unless every parent's spec forces a vulnerable version.
  const transitiveFix = (id: string) => {
    const n = tree.nodes.get(id)!;
    const parents = tree.edges.filter((e) => e.to === id && !e.skipped);
    return parents.length > 0 && !parents.every((e) => forced(n.name, e.spec));
  };
  return [...byNode.entries()].map(([id, v]) => {
    const n = tree.nodes.get(id)!;
    const rootEdge = rootEdges.find((e) => e.to === id);
    const vulnerable = (ver: string) => versionVulnerable(n.name, ver, new Set());
    return {
      name: n.name,
      version: n.version,
      severity: v.severity,
      isDirect: Boolean(rootEdge),
      via: v.via,
      effects: [...v.effects].sort(),
      paths: pathsTo(tree, id),
      fixAvailable: rootEdge ? fixFor(packument(n.name), n.name, n.version, rootEdge.spec, vulnerable) : transitiveFix(id),
      range: rangeOf(v.via) || '*',
      bundled: Boolean(n.bundled),
    };
  });
}

const rangeOf = (via: (ViaAdvisory | string)[]) => [...new Set(via.flatMap((x) => (typeof x === 'string' ? [] : [x.range])))].join(' || ');

/** npm's order: a fixed version inside the declared range (true), then ^current, then any (semver-major). */
function fixFor(
  p: Packument | undefined,
  name: string,
  current: string,
  spec: string,
  vulnerable: (v: string) => boolean,
): VulnerableNode['fixAvailable'] {
  if (!p) return false;
  const within = pickVersion(p, spec, vulnerable);
  if (within && !vulnerable(within)) return true;
  for (const [range, major] of [
    [`^${current}`, false],
    ['*', true],
  ] as const) {
    const v = pickVersion(p, range, vulnerable);
    if (v && !vulnerable(v)) return { name, version: v, isSemVerMajor: major && semver.major(v) !== semver.major(current) };
  }
  return false;
}

/** Up to 10 shortest distinct paths root -> target, as name@version lists (reverse BFS). */
export function pathsTo(tree: Pick<ResolvedTree, 'root' | 'edges'>, target: string): string[][] {
  const parents = new Map<string, string[]>();
  for (const e of tree.edges) if (e.to && !e.skipped) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  const out: string[][] = [];
  const queue: string[][] = [[target]];
  let steps = 0;
  while (queue.length > 0 && out.length < MAX_PATHS && steps++ < 10_000) {
    const path = queue.shift()!;
    if (path[0] === tree.root) {
      out.push(path);
      continue;
    }
    for (const p of parents.get(path[0]) ?? []) if (!path.includes(p)) queue.push([p, ...path]);
  }
  return out;
}
