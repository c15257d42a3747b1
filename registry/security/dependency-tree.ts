// Registry-side resolution of a version's transitive dependencies with npm's selection rules
// (npm-pick-manifest: dist-tag latest wins when it satisfies, then non-deprecated, then highest), aliases,
// git/http specs as external nodes, bundled dependencies, peers, cycles, and depth/size limits
// (reference section 3.1-3.2). The logical graph, not the node_modules layout.
import semver from 'semver';

export interface VersionManifest {
  name?: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  bundleDependencies?: string[] | boolean;
  bundledDependencies?: string[] | boolean;
  deprecated?: string;
  license?: unknown;
}
export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, VersionManifest>;
}
/** Synchronous on purpose: better-sqlite3 reads are synchronous, and the walk stays deterministic. */
export type PackumentSource = (name: string) => Packument | undefined;

export type EdgeType = 'prod' | 'optional' | 'peer' | 'dev';
export interface TreeNode {
  id: string;
  name: string;
  version: string;
  depth: number;
  bundled?: boolean;
  external?: { kind: 'git' | 'github' | 'http' | 'file'; spec: string };
  manifest?: VersionManifest;
}
export interface TreeEdge {
  from: string;
  to?: string;
  name: string;
  spec: string;
  type: EdgeType;
  skipped?: string;
}
export interface ResolveOptions {
  maxDepth: number;
  maxNodes: number;
  includeDev: boolean;
  /** Manifests of the root tarball's node_modules/<name>/package.json, for bundleDependencies. */
  bundled?: Record<string, VersionManifest>;
}
export interface ResolvedTree {
  root: string;
  nodes: Map<string, TreeNode>;
  edges: TreeEdge[];
  cycles: string[][];
  truncated: boolean;
  partial: boolean;
  alerts: { kind: string; from: string; name: string; spec: string }[];
  peerConflicts: { from: string; name: string; wanted: string; found: string }[];
}

export const DEFAULT_RESOLVE_OPTIONS: ResolveOptions = { maxDepth: 64, maxNodes: 20_000, includeDev: false };

/** npm-pick-manifest's choice for a spec, avoiding versions in `avoid` when possible. */
export function pickVersion(p: Packument, spec: string, avoid?: (v: string) => boolean): string | undefined {
  const tags = p['dist-tags'] ?? {};
  const s = spec.trim() === '' ? '*' : spec.trim();
  if (tags[s] && !semver.validRange(s, { loose: true })) return tags[s];
  if (semver.valid(s, { loose: true }))
    return p.versions[semver.clean(s, { loose: true }) ?? s] ? (semver.clean(s, { loose: true }) ?? s) : undefined;
  if (!semver.validRange(s, { loose: true })) return undefined;
  const latest = tags.latest;
  const ok = (v: string) => semver.satisfies(v, s, { loose: true });
  if (latest && p.versions[latest] && ok(latest) && !avoid?.(latest)) return latest;
  const candidates = Object.keys(p.versions).filter(ok);
  candidates.sort((a, b) => {
    const av = Number(Boolean(avoid?.(a))) - Number(Boolean(avoid?.(b)));
    if (av !== 0) return av;
    const dep = Number(Boolean(p.versions[a].deprecated)) - Number(Boolean(p.versions[b].deprecated));
    return dep !== 0 ? dep : semver.rcompare(a, b, { loose: true });
  });
  return candidates[0];
}

/** Non-registry specs are leaves: Socket's gitDependency / gitHubDependency / httpDependency alerts. */
export function externalKind(spec: string): TreeNode['external'] {
  if (/^(?:github:|gitlab:|bitbucket:)/.test(spec) || /^[\w.-]+\/[\w.-]+(?:#.*)?$/.test(spec)) return { kind: 'github', spec };
  if (/^git(?:\+[a-z]+)?:/.test(spec)) return { kind: 'git', spec };
  if (/^https?:/.test(spec)) return { kind: 'http', spec };
  if (/^(?:file|link):/.test(spec) || spec.startsWith('.') || spec.startsWith('/')) return { kind: 'file', spec };
  return undefined;
}

const idOf = (name: string, version: string) => `${name}@${version}`;
const bundleList = (m: VersionManifest): string[] => {
  const b = m.bundleDependencies ?? m.bundledDependencies;
  return b === true ? Object.keys(m.dependencies ?? {}) : Array.isArray(b) ? b : [];
};

/** Breadth-first resolution from a root manifest; terminates on cycles (nodes are unique by name@version). */
export function resolveTree(
  rootManifest: VersionManifest & { name: string },
  source: PackumentSource,
  options: Partial<ResolveOptions> = {},
): ResolvedTree {
  const opts = { ...DEFAULT_RESOLVE_OPTIONS, ...options };
  const root = idOf(rootManifest.name, rootManifest.version);
  const nodes = new Map<string, TreeNode>([
    [root, { id: root, name: rootManifest.name, version: rootManifest.version, depth: 0, manifest: rootManifest }],
  ]);
  const tree: ResolvedTree = { root, nodes, edges: [], cycles: [], truncated: false, partial: false, alerts: [], peerConflicts: [] };
  const parentOf = new Map<string, string>();
  const children = new Map<string, Map<string, string>>();
  const packuments = new Map<string, Packument | undefined>();
  const packument = (n: string) => {
    if (!packuments.has(n)) packuments.set(n, source(n));
    return packuments.get(n);
  };
  const queue: string[] = [root];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const node = nodes.get(id)!;
    const m = node.manifest;
    if (!m) continue;
    const bundled = id === root ? bundleList(m) : [];
    const deps: [string, string, EdgeType][] = [
      ...Object.entries(m.dependencies ?? {}).map(([n, s]): [string, string, EdgeType] => [n, s, 'prod']),
      ...Object.entries(m.optionalDependencies ?? {}).map(([n, s]): [string, string, EdgeType] => [n, s, 'optional']),
      ...Object.entries(m.peerDependencies ?? {}).map(([n, s]): [string, string, EdgeType] => [n, s, 'peer']),
      ...(id === root && opts.includeDev
        ? Object.entries(m.devDependencies ?? {}).map(([n, s]): [string, string, EdgeType] => [n, s, 'dev'])
        : []),
    ];
    for (const [depName, spec, type] of deps) {
      const edge: TreeEdge = { from: id, name: depName, spec, type };
      tree.edges.push(edge);
      if (node.depth + 1 > opts.maxDepth) {
        tree.truncated = true;
        edge.skipped = 'depth limit';
        continue;
      }
      const ext = externalKind(spec);
      if (ext) {
        const extId = `${depName}@${spec}`;
        if (!nodes.has(extId)) nodes.set(extId, { id: extId, name: depName, version: spec, depth: node.depth + 1, external: ext });
        edge.to = extId;
        tree.alerts.push({ kind: `${ext.kind === 'github' ? 'gitHub' : ext.kind}Dependency`, from: id, name: depName, spec });
        continue;
      }
      if (type === 'peer') {
        // A peer is satisfied by what an ancestor already provides (npm 7+ peer placement).
        let at: string | undefined = parentOf.get(id) ?? id;
        let found: string | undefined;
        while (at && !found) {
          found = children.get(at)?.get(depName);
          at = parentOf.get(at);
        }
        if (found) {
          const v = nodes.get(found)!.version;
          if (!semver.satisfies(v, spec, { loose: true })) tree.peerConflicts.push({ from: id, name: depName, wanted: spec, found: v });
          edge.to = found;
          continue;
        }
      }
      let realName = depName;
      let realSpec = spec;
      const alias = /^npm:((?:@[^/]+\/)?[^@]+)(?:@(.*))?$/.exec(spec);
      if (alias) [realName, realSpec] = [alias[1], alias[2] ?? '*'];
      let manifest: VersionManifest | undefined;
      let isBundled = false;
      if (bundled.includes(depName) && opts.bundled?.[depName]) {
        manifest = opts.bundled[depName];
        isBundled = true;
      } else {
        const p = packument(realName);
        const v = p ? pickVersion(p, realSpec) : undefined;
        manifest = v ? p!.versions[v] : undefined;
      }
      if (!manifest) {
        edge.skipped = type === 'optional' ? 'optional dependency not found' : 'no matching version';
        if (type !== 'optional') tree.alerts.push({ kind: 'missingDependency', from: id, name: depName, spec });
        continue;
      }
      const childId = idOf(realName, manifest.version);
      edge.to = childId;
      if (!children.has(id)) children.set(id, new Map());
      children.get(id)!.set(depName, childId);
      if (nodes.has(childId)) continue;
      if (nodes.size >= opts.maxNodes) {
        tree.partial = true;
        edge.skipped = 'node limit';
        edge.to = undefined;
        continue;
      }
      nodes.set(childId, {
        id: childId,
        name: realName,
        version: manifest.version,
        depth: node.depth + 1,
        manifest,
        bundled: isBundled || undefined,
      });
      parentOf.set(childId, id);
      queue.push(childId);
    }
  }
  tree.cycles = findCycles(tree);
  return tree;
}

/** Iterative DFS with white/gray/black colouring: an edge to a gray node closes a cycle. */
export function findCycles(tree: Pick<ResolvedTree, 'root' | 'edges'>): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of tree.edges) if (e.to && !e.skipped) adj.set(e.from, [...(adj.get(e.from) ?? []), e.to]);
  const color = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const stack: { id: string; i: number }[] = [{ id: tree.root, i: 0 }];
  const path: string[] = [tree.root];
  color.set(tree.root, 1);
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    const next = adj.get(top.id)?.[top.i++];
    if (next === undefined) {
      color.set(top.id, 2);
      stack.pop();
      path.pop();
      continue;
    }
    const c = color.get(next);
    if (c === 1) cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (c === undefined) {
      color.set(next, 1);
      stack.push({ id: next, i: 0 });
      path.push(next);
    }
  }
  return cycles;
}
