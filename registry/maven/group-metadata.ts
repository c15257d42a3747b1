// Which plugins the group-level maven-metadata.xml of a group lists (com/acme/maven-metadata.xml, read by Maven's
// plugin prefix resolution for <pluginGroup>com.acme</pluginGroup>). Chosen from the stored files, never from the
// client's copy, like the artifact-level metadata: a plugin is an artifact of the group whose latest release (with
// only SNAPSHOTs: its newest build) has a main jar whose plugin descriptor named a goalPrefix (plugin-descriptor.ts,
// read at deploy) and a POM, when one is deployed, of packaging maven-plugin, as Nexus rebuilds group metadata.
import type { Principal } from '../../lib/auth.ts';
import { perConnection } from '../../lib/db.ts';
import { canReadPackage, type PkgRef } from '../multiformat/access.ts';
import type { FormatContext } from '../multiformat/context.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import { isSnapshot } from './coordinates.ts';
import { compareMaven, type GroupPlugin } from './metadata.ts';
import type { PluginFacts } from './plugin-descriptor.ts';

// Names are "<groupId>:<artifactId>" and ';' follows ':', so [group:, group;) holds exactly the group's artifacts
// (not its subgroups', "com.acme.tools:x"), a range of the packages (ecosystem, name) index. Only artifacts that
// ever stored a jar with a prefix can list one: the others are not read further.
const pluginCandidatesOf = perConnection((db) =>
  db.prepare<[string, string], PkgRef>(
    `SELECT p.id, p.name, p.scope, p.access FROM packages p
     WHERE p.ecosystem = 'maven' AND p.name >= ? AND p.name < ?
       AND EXISTS (SELECT 1 FROM artifact_files f WHERE f.package_id = p.id AND f.kind = 'jar'
                   AND json_extract(f.meta, '$.plugin.prefix') IS NOT NULL)
     ORDER BY p.id`,
  ),
);

interface FileMeta {
  classifier?: string | null;
  buildNumber?: number | null;
  /** Main jars: the plugin descriptor's prefix and name (deploy.ts). */
  plugin?: PluginFacts;
  /** POMs: their <packaging> and <name>. */
  packaging?: string;
  name?: string | null;
}

const metaOf = (r: FileRow) => JSON.parse(r.meta) as FileMeta;

/** The plugin an artifact is, judged by the version Maven resolves for it; undefined when that version is no plugin. */
function pluginOf(artifactId: string, rows: FileRow[]): GroupPlugin | undefined {
  const versions = [...new Set(rows.map((r) => r.version))];
  const releases = versions.filter((v) => !isSnapshot(v));
  const version = (releases.length > 0 ? releases : versions).sort(compareMaven).at(-1);
  // That version's files with their meta parsed once.
  const files = rows.filter((r) => r.version === version).map((r) => ({ kind: r.kind, meta: metaOf(r) }));
  // The main file of a kind, of the newest SNAPSHOT build when there are several (rows come in upload order).
  const main = (kind: string) =>
    files
      .filter((f) => f.kind === kind && !f.meta.classifier)
      .sort((a, b) => (a.meta.buildNumber ?? 0) - (b.meta.buildNumber ?? 0))
      .at(-1)?.meta;
  const plugin = main('jar')?.plugin;
  if (!plugin) return undefined;
  const pomMeta = main('pom');
  // POMs deployed before the registry kept their packaging say nothing, and neither does a POM not yet deployed
  // (mvn deploys the jar first): the descriptor decides then.
  if (pomMeta?.packaging !== undefined && pomMeta.packaging !== 'maven-plugin') return undefined;
  const pomName = pomMeta?.name && !pomMeta.name.includes('${') ? pomMeta.name : undefined;
  return { name: plugin.name ?? pomName ?? artifactId, prefix: plugin.prefix, artifactId };
}

/**
 * The plugins of `group` that `who` may read, by artifactId, and whether the group has plugins hidden from them (an
 * anonymous caller then gets the challenge, as for a private artifact's metadata). Two plugins claiming one prefix:
 * the first deployed keeps it, as Maven's own merge of group metadata keeps the prefix already listed.
 */
export function groupPlugins(ctx: FormatContext, group: string, who: Principal | undefined): { plugins: GroupPlugin[]; hidden: boolean } {
  const plugins: GroupPlugin[] = [];
  let hidden = false;
  for (const pkg of pluginCandidatesOf(ctx.db).all(`${group}:`, `${group};`)) {
    const plugin = pluginOf(pkg.name.slice(group.length + 1), ctx.files.served(pkg.id));
    if (!plugin) continue;
    if (!canReadPackage(ctx, pkg, who)) hidden = true;
    else if (!plugins.some((p) => p.prefix === plugin.prefix)) plugins.push(plugin);
  }
  return { plugins: plugins.sort((a, b) => (a.artifactId < b.artifactId ? -1 : a.artifactId > b.artifactId ? 1 : 0)), hidden };
}
