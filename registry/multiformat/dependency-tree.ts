// Dependency trees of PyPI, Maven and RubyGems versions, resolved against this registry (issue #6 point 3). Unlike
// npm, these ecosystems install one version per name: pip's and Bundler's resolvers look for one version that meets
// every requirement on the name; Maven mediates by "nearest declaration wins". So the walk is breadth-first with one
// node per name. For pip and Bundler it is repeated with every requirement seen in the previous walk until the
// choices settle (a bounded stand-in for their backtracking); requirements no single version can meet are reported
// as conflicts, as `pip check` and Bundler would. Cycles close on an existing node; depth and size are bounded.
import { type EdgeType, findCycles, type TreeEdge } from '../security/dependency-tree.ts';
import type { DeclaredDependency, DependencyRules } from './dependency-rules.ts';

export interface AvailableVersion {
  version: string;
  manifest: Record<string, unknown>;
  /** PEP 592: chosen only for an exact "==" pin when nothing else matches. */
  yanked: boolean;
}
/** The installable versions of a package, or undefined when this registry does not have it. */
export type VersionSource = (name: string) => AvailableVersion[] | undefined;

export interface FormatNode {
  id: string;
  name: string;
  version: string;
  depth: number;
  license?: unknown;
  /** A URL requirement: a leaf. */
  external?: string;
}
export interface FormatTree {
  root: string;
  nodes: Map<string, FormatNode>;
  edges: TreeEdge[];
  cycles: string[][];
  truncated: boolean;
  partial: boolean;
  alerts: { kind: string; from: string; name: string; spec: string; reason?: string }[];
  /** Requirements the chosen version does not meet (no single version meets them all). */
  conflicts: { from: string; name: string; wanted: string; found: string }[];
  /** Nodes whose dependencies are unknown (a Maven version whose POM was never uploaded). */
  unknown: string[];
  /** Every requirement on each name, for the fix advice. */
  requirements: Map<string, string[]>;
}

export interface FormatResolveOptions {
  maxDepth: number;
  maxNodes: number;
}
const DEFAULTS: FormatResolveOptions = { maxDepth: 64, maxNodes: 5_000 };
/** Walks for pip/Bundler mediation; real trees settle in two. */
const MAX_ROUNDS = 4;
const PROD: EdgeType = 'prod';

const idOf = (name: string, version: string) => `${name}@${version}`;

/** Maven exclusion patterns ("group:artifact" with "*" for either part). */
const excluded = (name: string, patterns: readonly string[]) => {
  const [g, a] = name.split(':');
  return patterns.some((p) => {
    const [pg, pa] = p.split(':');
    return (pg === '*' || pg === g) && (pa === '*' || pa === a);
  });
};

/** The highest version meeting every requirement: final releases first, yanked ones only for an exact pin. */
export function chooseVersion(rules: DependencyRules, available: AvailableVersion[], specs: string[]): AvailableVersion | undefined {
  const meets = available.filter((v) => specs.every((s) => rules.admits(s, v.version)));
  const live = meets.filter((v) => !v.yanked);
  const pinned = specs.some((s) => /^===?/.test(s));
  const pool = live.length > 0 ? live : pinned ? meets : [];
  const finals = pool.filter((v) => !rules.prerelease(v.version));
  return (finals.length > 0 ? finals : pool).sort((a, b) => rules.compare(b.version, a.version))[0];
}

function walk(
  root: { name: string; version: string; manifest: Record<string, unknown> },
  rules: DependencyRules,
  versionsOf: VersionSource,
  opts: FormatResolveOptions,
  earlier: Map<string, string[]>,
): FormatTree {
  const rootId = idOf(root.name, root.version);
  const tree: FormatTree = {
    root: rootId,
    nodes: new Map([[rootId, { id: rootId, name: root.name, version: root.version, depth: 0, license: root.manifest.license }]]),
    edges: [],
    cycles: [],
    truncated: false,
    partial: false,
    alerts: [],
    conflicts: [],
    unknown: [],
    requirements: new Map(),
  };
  const chosen = new Map<string, string>([[root.name, rootId]]);
  const queue: { id: string; manifest: Record<string, unknown>; exclusions: string[] }[] = [
    { id: rootId, manifest: root.manifest, exclusions: [] },
  ];
  const missing = (from: string, d: DeclaredDependency, edge: TreeEdge, reason: string, kind = 'missingDependency') => {
    edge.skipped = reason;
    tree.alerts.push({ kind, from, name: d.name, spec: d.spec, reason });
  };
  while (queue.length > 0) {
    const item = queue.shift()!;
    const node = tree.nodes.get(item.id)!;
    const declared = rules.declared(item.manifest, item.id !== rootId);
    if (!declared) {
      tree.unknown.push(item.id);
      continue;
    }
    for (const d of declared) {
      if (excluded(d.name, item.exclusions)) continue;
      const edge: TreeEdge = { from: item.id, name: d.name, spec: d.spec, type: PROD };
      tree.edges.push(edge);
      if (node.depth + 1 > opts.maxDepth) {
        tree.truncated = true;
        edge.skipped = 'depth limit';
        continue;
      }
      if (d.external) {
        const extId = `${d.name}@${d.external}`;
        if (!tree.nodes.has(extId))
          tree.nodes.set(extId, { id: extId, name: d.name, version: d.external, depth: node.depth + 1, external: d.external });
        edge.to = extId;
        tree.alerts.push({ kind: 'urlDependency', from: item.id, name: d.name, spec: d.spec });
        continue;
      }
      if (d.unresolved) {
        missing(item.id, d, edge, d.unresolved, 'unresolvedVersion');
        continue;
      }
      tree.requirements.set(d.name, [...(tree.requirements.get(d.name) ?? []), d.spec]);
      const existing = chosen.get(d.name);
      if (existing) {
        edge.to = existing;
        const found = tree.nodes.get(existing)!.version;
        // Maven's mediation settles on the nearest declaration by design: a farther one is not a conflict.
        if (rules.mediation === 'every-requirement' && !rules.admits(d.spec, found))
          tree.conflicts.push({ from: item.id, name: d.name, wanted: d.spec, found });
        continue;
      }
      const available = versionsOf(d.name);
      if (!available) {
        missing(item.id, d, edge, 'not in this registry');
        continue;
      }
      const pick =
        (rules.mediation === 'every-requirement' ? chooseVersion(rules, available, [d.spec, ...(earlier.get(d.name) ?? [])]) : undefined) ??
        chooseVersion(rules, available, [d.spec]);
      if (!pick) {
        missing(item.id, d, edge, 'no matching version');
        continue;
      }
      if (tree.nodes.size >= opts.maxNodes) {
        tree.partial = true;
        edge.skipped = 'node limit';
        continue;
      }
      const childId = idOf(d.name, pick.version);
      tree.nodes.set(childId, { id: childId, name: d.name, version: pick.version, depth: node.depth + 1, license: pick.manifest.license });
      chosen.set(d.name, childId);
      edge.to = childId;
      queue.push({ id: childId, manifest: pick.manifest, exclusions: [...item.exclusions, ...(d.exclusions ?? [])] });
    }
  }
  tree.cycles = findCycles(tree);
  return tree;
}

const cachedSources = new WeakSet<VersionSource>();
/** The source asked once per name; wrapping an already cached source returns it as it is. */
export function cachedSource(versionsOf: VersionSource): VersionSource {
  if (cachedSources.has(versionsOf)) return versionsOf;
  const memo = new Map<string, AvailableVersion[] | undefined>();
  const cached: VersionSource = (n) => {
    if (!memo.has(n)) memo.set(n, versionsOf(n));
    return memo.get(n);
  };
  cachedSources.add(cached);
  return cached;
}

const choices = (t: FormatTree) => [...t.nodes.keys()].sort().join('\n');

export function resolveFormatTree(
  root: { name: string; version: string; manifest: Record<string, unknown> },
  rules: DependencyRules,
  versionsOf: VersionSource,
  options: Partial<FormatResolveOptions> = {},
): FormatTree {
  const opts = { ...DEFAULTS, ...options };
  const cached = cachedSource(versionsOf);
  let tree = walk(root, rules, cached, opts, new Map());
  for (let round = 1; round < MAX_ROUNDS && rules.mediation === 'every-requirement'; round++) {
    const next = walk(root, rules, cached, opts, tree.requirements);
    const settled = choices(next) === choices(tree);
    tree = next;
    if (settled) break;
  }
  return tree;
}
