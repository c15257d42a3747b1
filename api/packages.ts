// The seed's package REST API, read side: the registry owns packages (DESIGN.md section 3), so search and
// details come from its internal API; this module adds who may see a restricted package and the seed shapes.
import type { Principal } from '../lib/auth.ts';
import { badRequest, notFound } from '../lib/errors.ts';
import type { PeerClient } from '../lib/http.ts';
import type { IdentityReader } from '../lib/identity.ts';
import { REGISTRY_GENERATION_HEADER, searchCountsWindow } from '../lib/internal.ts';
import { noRegistryChanges, type RegistryChanges } from './registry-changes.ts';

export interface RegistrySearch {
  results: {
    id: string;
    name: string;
    ecosystem: string;
    description: string | null;
    version: string | null;
    downloads: number;
    score: number | null;
    relevance: number;
    updatedAt: string;
  }[];
  total: number;
  limit: number;
  offset: number;
}

export interface RegistryPackage {
  /** Asked with ?score=1 (npm): the registry's score of the package, or null when it has none. */
  score?: unknown;
  id: string;
  name: string;
  ecosystem: string;
  description: string | null;
  access: 'public' | 'restricted';
  /** The org a PyPI, Maven or RubyGems package belongs to (its members read it when private), or the npm scope. */
  org?: string | null;
  maintainers: string[];
  license: string | null;
  keywords: string[];
  downloads: number;
  stars: number;
  distTags: Record<string, string>;
  readme: string;
  createdAt: string;
  updatedAt: string;
  versions: { version: string; publishedAt: string; deprecated: string | null; integrity: string; size: number; tarball: string }[];
}

/** GET /api/packages/search's parameters, passed to the registry's search as they are. */
export interface SearchParams {
  q: string;
  limit: number;
  offset: number;
  ecosystem: string;
  sort: string;
  keywords?: string;
  maintainer?: string;
}

/** The registry's GET /internal/packages/:name/score (docs/SCORING.md). */
export interface RegistryScore {
  name: string;
  score: { quality: number; popularity: number; maintenance: number; overall: number };
  breakdown?: Record<string, unknown>;
  flags?: Record<string, boolean>;
  alerts?: string[];
  missing?: string[];
  confidence?: number;
  scoringVersion?: string;
  computedAt?: string;
}

/** The registry's GET /internal/packages/:name/:version/security (docs/SECURITY-SCANNING.md), passed through. */
export type RegistrySecurityReport = Record<string, unknown> & { name: string; version: string };

/** "@scope/name", "@scope%2Fname" or "name", then what follows: [] or [version, "download"]. */
export function splitPackagePath(raw: string): { name: string; rest: string[] } {
  const segs = raw.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badRequest('invalid package path', undefined, 'INVALID_PATH');
    }
  });
  const flat = segs.flatMap((s, i) => (i === 0 && s.startsWith('@') && s.includes('/') ? s.split('/') : [s]));
  const take = flat[0]?.startsWith('@') ? 2 : 1;
  const name = flat.slice(0, take).join('/');
  // npm's rules: URL-safe characters, no leading dot or underscore (so never "." or "..").
  // Maven names are "groupId:artifactId": one ":" between two npm-safe parts.
  if (!/^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*(:[a-z0-9~-][a-z0-9._~-]*)?$/i.test(name) || name.length > 214) {
    throw badRequest(`invalid package name "${name.slice(0, 100)}"`, undefined, 'INVALID_PACKAGE_NAME');
  }
  return { name, rest: flat.slice(take) };
}

/**
 * A restricted package exists only for its maintainers and the members of its scope's org (or the user whose
 * scope it is); for anyone else it answers 404, so its name does not leak.
 */
export function canSeePackage(pkg: RegistryPackage, p: Principal | undefined, identity: IdentityReader): boolean {
  if (pkg.access !== 'restricted') return true;
  if (!p) return false;
  if (p.role === 'admin' || pkg.maintainers.includes(p.username)) return true;
  const scope = pkg.org ? `@${pkg.org}` : pkg.name.startsWith('@') ? pkg.name.slice(0, pkg.name.indexOf('/')) : undefined;
  return scope !== undefined && identity.canPublishToScope(scope, p.userId);
}

// The registry's routes take a scoped name as one segment, "@scope%2Fname".
const segment = (name: string) => name.replace('/', '%2F');

/** One package as the registry last answered it, with the details body built from it (once, on first use). */
interface CachedPackage {
  etag?: string;
  /** Reused without asking the registry while this equals RegistryChanges.current(). */
  stamp?: string;
  pkg: RegistryPackage;
  json?: string;
}

/**
 * The registry's answers per package, kept while its ETag holds (npm: the package's rev, downloads and score),
 * so a repeated GET costs the registry a 304 and this process no parse and no re-assembly. Only what the caller
 * may see is ever answered: the visibility check runs on every request, on the cached package's access,
 * maintainers and org, with the caller's current identity. Bounded by the size of the registry's bodies.
 */
export function createDetailsCache(maxBytes = 8 * 1024 * 1024) {
  const entries = new Map<string, CachedPackage & { bytes: number }>();
  let bytes = 0;
  const drop = (key: string) => {
    const e = entries.get(key);
    if (e) bytes -= e.bytes;
    entries.delete(key);
  };
  return {
    get(key: string): CachedPackage | undefined {
      const e = entries.get(key);
      if (e) {
        // Least recently used first: a hit moves to the end.
        entries.delete(key);
        entries.set(key, e);
      }
      return e;
    },
    set(key: string, e: CachedPackage, size: number) {
      drop(key);
      if (size > maxBytes / 4) return;
      entries.set(key, { ...e, bytes: size });
      bytes += size;
      for (const k of entries.keys()) {
        if (bytes <= maxBytes) break;
        drop(k);
      }
    },
    delete: drop,
    get size() {
      return entries.size;
    },
  };
}

// Searches kept per stamp (RegistryChanges): at most this many distinct queries, about 5 KB each.
const SEARCHES_KEPT = 500;

export function createPackagesReader(
  registry: PeerClient,
  identity: IdentityReader,
  cache = createDetailsCache(),
  changes: RegistryChanges = noRegistryChanges,
) {
  async function visible(name: string, ecosystem: string, p: Principal | undefined, requestId: string, withScore: boolean) {
    const scored = withScore;
    const key = `${ecosystem}\0${scored ? 'score' : ''}\0${name}`;
    const hit = cache.get(key);
    let entry: CachedPackage | undefined;
    if (hit?.stamp !== undefined && hit.stamp === changes.current()) entry = hit;
    else {
      const writes = changes.writes();
      const res = await registry.call<RegistryPackage>(
        `/internal/packages/${segment(name)}?ecosystem=${ecosystem}${scored ? '&score=1' : ''}`,
        {
          requestId,
          headers: hit?.etag ? { 'if-none-match': hit.etag } : undefined,
        },
      );
      const stamp = res && changes.stampOf(res.headers[REGISTRY_GENERATION_HEADER], writes);
      if (res?.status === 304 && hit) {
        entry = hit;
        entry.stamp = stamp;
      } else if (res && typeof res.body === 'object' && res.body) {
        const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
        entry = { etag, stamp, pkg: res.body };
        if (etag || stamp) cache.set(key, entry, Number(res.headers['content-length'] ?? 0) || 64 * 1024);
        else cache.delete(key);
      } else cache.delete(key);
    }
    if (!entry || !canSeePackage(entry.pkg, p, identity)) throw notFound(`package ${name} was not found`, 'PACKAGE_NOT_FOUND');
    return entry;
  }

  let searchesStamp: string | undefined;
  // The registry keeps its search answers across download counts for a window (lib/internal.ts): bodies kept
  // here go with that window too, or a count could stay missing for as long as the registry is otherwise unchanged.
  const searchesKey = (stamp: string | undefined) => (stamp === undefined ? undefined : `${stamp}:${searchCountsWindow(Date.now())}`);
  const searches = new Map<string, string>();

  return {
    /** GET /api/packages/search's body as JSON text, reused while the registry is unchanged (RegistryChanges). */
    async searchJson(q: SearchParams, requestId: string): Promise<string> {
      const params = new URLSearchParams({
        q: q.q,
        limit: String(q.limit),
        offset: String(q.offset),
        ecosystem: q.ecosystem,
        sort: q.sort,
      });
      if (q.keywords !== undefined) params.set('keywords', q.keywords);
      if (q.maintainer !== undefined) params.set('maintainer', q.maintainer);
      const key = params.toString();
      const now = searchesKey(changes.current());
      if (now !== searchesStamp) {
        searches.clear();
        searchesStamp = now;
      }
      const kept = now === undefined ? undefined : searches.get(key);
      if (kept !== undefined) return kept;
      const writes = changes.writes();
      const res = await registry.call<RegistrySearch>(`/internal/packages/search?${key}`, { requestId });
      const json = JSON.stringify(toSearchReply(res?.body as RegistrySearch));
      const stamp = res && changes.stampOf(res.headers[REGISTRY_GENERATION_HEADER], writes);
      // Kept only if read at the stamp still current (no change and no write of ours since).
      if (stamp !== undefined && stamp === changes.current() && searchesKey(stamp) === searchesStamp) {
        if (searches.size >= SEARCHES_KEPT) searches.delete(searches.keys().next().value as string);
        searches.set(key, json);
      }
      return json;
    },

    /**
     * The package if the caller may see it, else 404. withScore (the details page) has the registry embed the
     * score in the same answer (every ecosystem): one round trip, not two; it is read only once the package is visible.
     */
    async details(name: string, ecosystem: string, p: Principal | undefined, requestId: string, withScore = false) {
      return (await visible(name, ecosystem, p, requestId, withScore)).pkg;
    },

    /** GET /api/packages/:name's body as JSON text, assembled once per registry ETag (see DetailsCache). */
    async detailsJson(name: string, ecosystem: string, p: Principal | undefined, requestId: string): Promise<string> {
      const entry = await visible(name, ecosystem, p, requestId, true);
      entry.json ??= JSON.stringify(toPackageDetails(entry.pkg, scoreOf(entry.pkg)));
      return entry.json;
    },

    /** The security report of one version of a package already shown to the caller (same visibility as details). */
    async security(pkg: RegistryPackage, version: string, requestId: string): Promise<RegistrySecurityReport> {
      if (!pkg.versions.some((v) => v.version === version))
        throw notFound(`version ${version} of ${pkg.name} was not found`, 'VERSION_NOT_FOUND');
      // npm reports walk the dependency tree; PyPI, Maven and RubyGems ones come from the registry's artifact store.
      const path =
        pkg.ecosystem === 'npm'
          ? `/internal/packages/${segment(pkg.name)}/${encodeURIComponent(version)}/security`
          : `/internal/artifacts/${pkg.ecosystem}/${encodeURIComponent(pkg.name)}/${encodeURIComponent(version)}/security`;
      const r = await registry.get<RegistrySecurityReport>(path, { requestId });
      if (!r) throw notFound(`version ${version} of ${pkg.name} was not found`, 'VERSION_NOT_FOUND');
      return r;
    },
  };
}

/** The embedded score if it has the scorer's shape (every ecosystem is scored), else null. */
export function scoreOf(pkg: RegistryPackage): RegistryScore | null {
  const s = pkg.score as RegistryScore | null | undefined;
  return s && typeof s === 'object' && s.score && typeof s.score.overall === 'number' ? s : null;
}

/** The seed's search shape: the registry's hits without its own fields (ecosystem, relevance). */
export function toSearchReply(r: RegistrySearch) {
  return {
    results: r.results.map((h) => ({
      id: h.id,
      name: h.name,
      description: h.description,
      version: h.version,
      downloads: h.downloads,
      score: h.score,
      updatedAt: h.updatedAt,
    })),
    total: r.total,
    limit: r.limit,
    offset: r.offset,
  };
}

/** The seed's details shape, plus what the registry knows beyond it. */
export function toPackageDetails(pkg: RegistryPackage, score: RegistryScore | null = null) {
  return {
    id: pkg.id,
    name: pkg.name,
    ecosystem: pkg.ecosystem,
    description: pkg.description,
    maintainers: pkg.maintainers,
    license: pkg.license,
    keywords: pkg.keywords,
    downloads: pkg.downloads,
    stars: pkg.stars,
    // The seed's four figures, then the breakdown behind them; null when the registry has no score (yet).
    score: score && {
      ...score.score,
      breakdown: score.breakdown,
      flags: score.flags,
      alerts: score.alerts,
      missing: score.missing,
      confidence: score.confidence,
      scoringVersion: score.scoringVersion,
      computedAt: score.computedAt,
    },
    distTags: pkg.distTags,
    access: pkg.access,
    createdAt: pkg.createdAt,
    updatedAt: pkg.updatedAt,
    readme: pkg.readme,
    versions: pkg.versions.map((v) => ({
      version: v.version,
      publishedAt: v.publishedAt,
      deprecated: v.deprecated,
      integrity: v.integrity,
      size: v.size,
    })),
  };
}
