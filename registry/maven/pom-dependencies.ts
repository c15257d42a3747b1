// The <dependencies> of a POM as Maven's model builder reads them for a consumer: the parent chain stored in this
// registry inherited (properties, <dependencyManagement> and <dependencies>, the child winning), ${property}
// references resolved from the merged <properties> and the project's own coordinates, a missing version or scope
// taken from the managed dependencies, then from the BOMs they import (<scope>import</scope>, each resolved in its
// own model), scope defaulting to compile, <optional> and <exclusions>. A version nothing in this registry manages
// (a parent or BOM that was never deployed here) stays null; the tree resolver reports it.
import type { PomDependency } from '../multiformat/dependency-rules.ts';

type Node = Record<string, unknown>;

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []) as Node[];

/** At most this many dependencies are kept from one POM (a real one has tens; the rest is noise or abuse). */
const MAX_DEPENDENCIES = 500;
/** Parent chains and BOM imports are bounded: a real build has a handful, a loop or a hostile chain stops here. */
const MAX_PARENTS = 10;
const MAX_IMPORTS = 20;
const MAX_IMPORT_DEPTH = 3;

/** The <project> of a POM deployed to this registry that the deployer may read, or undefined. */
export type PomLoader = (groupId: string, artifactId: string, version: string) => Promise<Node | undefined>;

interface Managed {
  version?: string;
  scope?: string;
}

/** What a POM inherits: its stored ancestors (nearest first) and the managed versions of the BOMs it imports. */
export interface PomInheritance {
  ancestors: Node[];
  imported: Map<string, Managed>;
}

const NOTHING_INHERITED: PomInheritance = { ancestors: [], imported: new Map() };

/** The effective model's lookups: property resolution and the managed dependencies, explicit then imported. */
function effectiveModel(project: Node, inherited: PomInheritance) {
  const lineage = [...inherited.ancestors].reverse().concat(project); // farthest ancestor first: the child wins
  const parent = (project.parent ?? {}) as Node;
  const properties: Record<string, string> = {};
  for (const p of lineage)
    for (const [k, v] of Object.entries((p.properties ?? {}) as Node)) {
      const t = text(v);
      if (t !== undefined) properties[k] = t;
    }
  const own = {
    'project.groupId': text(project.groupId) ?? text(parent.groupId),
    'project.artifactId': text(project.artifactId),
    'project.version': text(project.version) ?? text(parent.version),
    'project.parent.version': text(parent.version),
    'project.parent.groupId': text(parent.groupId),
  };
  for (const [k, v] of Object.entries(own)) if (v !== undefined) properties[k] = v;
  // Properties may refer to properties; a few rounds settle every real POM, and a cycle just stays unresolved.
  const resolve = (s: string | undefined) => {
    let out = s;
    for (let i = 0; i < 5 && out?.includes('${'); i++) out = out.replace(/\$\{([^}]+)\}/g, (m, key: string) => properties[key] ?? m);
    return out;
  };
  const key = (d: Node) => `${resolve(text(d.groupId))}:${resolve(text(d.artifactId))}`;
  const managedNodes = new Map<string, Node>();
  const imports: Node[] = [];
  for (const p of lineage)
    for (const d of list(((p.dependencyManagement as Node | undefined)?.dependencies as Node | undefined)?.dependency)) {
      if (resolve(text(d.scope)) === 'import') imports.push(d);
      else managedNodes.set(key(d), d);
    }
  const managed = (k: string): Managed | undefined => {
    const d = managedNodes.get(k);
    if (d) return { version: resolve(text(d.version)), scope: resolve(text(d.scope)) };
    return inherited.imported.get(k);
  };
  // Inherited <dependencies> too, a child's declaration replacing its parent's for the same artifact.
  const declared = new Map<string, Node>();
  for (const p of lineage) for (const d of list((p.dependencies as Node | undefined)?.dependency)) declared.set(key(d), d);
  return { resolve, managed, managedNodes, imports, declared: [...declared.values()] };
}

const concrete = (v: string | undefined) => (v && !v.includes('${') ? v : undefined);

/**
 * Loads what a POM inherits from this registry: its parent chain and the BOMs its managed dependencies import
 * (each BOM with its own parents, up to MAX_IMPORT_DEPTH imports deep). A missing parent ends the chain.
 */
export async function loadPomInheritance(project: Node, load: PomLoader, depth = 0): Promise<PomInheritance> {
  const ancestors: Node[] = [];
  const seen = new Set<string>();
  for (let p = project.parent as Node | undefined; p && typeof p === 'object' && ancestors.length < MAX_PARENTS; ) {
    const [g, a, v] = [text(p.groupId), text(p.artifactId), concrete(text(p.version))];
    if (!g || !a || !v || seen.has(`${g}:${a}:${v}`)) break;
    seen.add(`${g}:${a}:${v}`);
    const found = await load(g, a, v);
    if (!found) break;
    ancestors.push(found);
    p = found.parent as Node | undefined;
  }
  const imported = new Map<string, Managed>();
  if (depth >= MAX_IMPORT_DEPTH) return { ancestors, imported };
  const model = effectiveModel(project, { ancestors, imported });
  for (const d of model.imports.slice(0, MAX_IMPORTS)) {
    const [g, a, v] = [model.resolve(text(d.groupId)), model.resolve(text(d.artifactId)), concrete(model.resolve(text(d.version)))];
    if (!g || !a || !v || (text(d.type) ?? 'jar') !== 'pom') continue;
    const bom = await load(g, a, v);
    if (!bom) continue;
    const bomModel = effectiveModel(bom, await loadPomInheritance(bom, load, depth + 1));
    // The first import that manages an artifact wins (Maven's order of declaration).
    for (const k of bomModel.managedNodes.keys()) if (!imported.has(k)) imported.set(k, bomModel.managed(k)!);
  }
  return { ancestors, imported };
}

export function pomDependencies(project: Node, inherited: PomInheritance = NOTHING_INHERITED): PomDependency[] {
  const { resolve, managed, declared } = effectiveModel(project, inherited);
  return declared.slice(0, MAX_DEPENDENCIES).flatMap((d) => {
    const groupId = resolve(text(d.groupId));
    const artifactId = resolve(text(d.artifactId));
    if (!groupId || !artifactId) return [];
    const m = managed(`${groupId}:${artifactId}`);
    return [
      {
        groupId,
        artifactId,
        version: concrete(resolve(text(d.version)) ?? m?.version) ?? null,
        scope: resolve(text(d.scope)) ?? m?.scope ?? 'compile',
        optional: text(d.optional) === 'true',
        exclusions: list((d.exclusions as Node | undefined)?.exclusion).map(
          (x) => `${resolve(text(x.groupId)) ?? '*'}:${resolve(text(x.artifactId)) ?? '*'}`,
        ),
      },
    ];
  });
}
