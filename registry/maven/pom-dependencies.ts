// The <dependencies> of a POM as Maven's model builder reads them for a consumer: ${property} references resolved
// from <properties> and the project's own coordinates, a missing version or scope taken from the POM's own
// <dependencyManagement>, scope defaulting to compile, <optional> and <exclusions>. A version that only a parent
// POM manages stays null (this registry does not assemble parent chains); the tree resolver reports it.
import type { PomDependency } from '../multiformat/dependency-rules.ts';

type Node = Record<string, unknown>;

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []) as Node[];

/** At most this many dependencies are kept from one POM (a real one has tens; the rest is noise or abuse). */
const MAX_DEPENDENCIES = 500;

export function pomDependencies(project: Node): PomDependency[] {
  const parent = (project.parent ?? {}) as Node;
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries((project.properties ?? {}) as Node)) {
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
  const managed = new Map<string, Node>();
  for (const d of list(((project.dependencyManagement as Node | undefined)?.dependencies as Node | undefined)?.dependency))
    managed.set(`${resolve(text(d.groupId))}:${resolve(text(d.artifactId))}`, d);

  return list((project.dependencies as Node | undefined)?.dependency)
    .slice(0, MAX_DEPENDENCIES)
    .flatMap((d) => {
      const groupId = resolve(text(d.groupId));
      const artifactId = resolve(text(d.artifactId));
      if (!groupId || !artifactId) return [];
      const m = managed.get(`${groupId}:${artifactId}`);
      const version = resolve(text(d.version) ?? text(m?.version));
      return [
        {
          groupId,
          artifactId,
          version: version && !version.includes('${') ? version : null,
          scope: resolve(text(d.scope) ?? text(m?.scope)) ?? 'compile',
          optional: text(d.optional) === 'true',
          exclusions: list((d.exclusions as Node | undefined)?.exclusion).map(
            (x) => `${resolve(text(x.groupId)) ?? '*'}:${resolve(text(x.artifactId)) ?? '*'}`,
          ),
        },
      ];
    });
}
