// The registry's security and scoring service: what the npm publish pipeline, npm audit, search ranking and
// the internal security route call. Rules stay in the analysers; this file joins them to the registry data.
import semver from 'semver';
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import { rescoreFormatPackage } from '../multiformat/score.ts';
import { scorePackage } from '../package-scorer.ts';
import type { PackageRow, PackagesRepo } from '../packages-repo.ts';
import { type AnalyzeResult, analyzeArtifact, SCANNER_VERSION } from '../security-scanner.ts';
import { advisoriesFor, advisoriesOnLatest, importOsv } from './advisories.ts';
import { createAdvisoriesRepo } from './advisories-repo.ts';
import { auditBulk, auditQuick } from './audit-bulk.ts';
import { type Packument, type PackumentSource, resolveTree, type VersionManifest } from './dependency-tree.ts';
import { DEFAULT_LICENSE_POLICY, evaluateTreeLicenses, type LicensePolicy } from './licenses.ts';
import { directAdvisory, scanReport } from './report-parts.ts';
import type { QuantileTable } from './score-normalise.ts';
import { downloadsPopulation, refreshDownloadsPopulation } from './score-population.ts';
import { type ScanRow, scoreRow, securityRepoOf } from './security-repo.ts';
import { treeAudience } from './tree-visibility.ts';
import type { Ecosystem } from './versions.ts';
import { pathsTo, vulnerabilityReport } from './vulnerable-paths.ts';

const NPM = 'npm';
/** OSV's ecosystem names -> the registry's (packages.ecosystem). */
const REGISTRY_ECOSYSTEM: Record<Ecosystem, string> = { npm: NPM, PyPI: 'pypi', Maven: 'maven', RubyGems: 'rubygems' };
/** The ecosystems whose packages are scored, as the packages table names them. */
const SCORED_ECOSYSTEMS = Object.values(REGISTRY_ECOSYSTEM);
const DAY = 86_400_000;

export interface PublishScanInput {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  tarball: Buffer;
  publisher: { userId: string; username: string };
}
export interface PublishScan {
  row: ScanRow;
  result: AnalyzeResult;
}

export type ReviewListener = (review: {
  ecosystem: string;
  packageId: number;
  name: string;
  version: string;
  state: 'released' | 'quarantined';
  at: string;
}) => void;

export interface RegistrySecurityOptions {
  protectedNames?: RegExp[];
  licensePolicy?: LicensePolicy;
  /** Registry-wide VCS integration (commits/issues signals); off: the registry never calls out. */
  vcsIntegration?: boolean;
  /** Where a failure of the background rescoring goes (the server's logger); it never reaches a client. */
  onError?: (err: unknown, what: string) => void;
  /** How long a publish's rescore waits to share one commit with the next publishes' (default 100 ms). */
  rescoreDelayMs?: number;
}

/** Packages rescored per transaction by the periodic job: one commit (fsync) per chunk, not per package. */
const RESCORE_CHUNK = 200;

export function createRegistrySecurity(db: Db, repo: PackagesRepo, clock: Clock, opts: RegistrySecurityOptions = {}) {
  const sec = securityRepoOf(db);
  const advisories = createAdvisoriesRepo(db);
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);

  /** npm packuments as resolution sees them; `visible` leaves packages out (a report's audience, tree-visibility.ts). */
  const packumentsOf =
    (visible: (pkg: PackageRow) => boolean = () => true): PackumentSource =>
    (name) => {
      const pkg = repo.find(NPM, name);
      if (!pkg || !visible(pkg)) return undefined;
      const versions: Record<string, VersionManifest> = {};
      for (const v of repo.versions(pkg.id)) {
        if (sec.scan(NPM, name, v.version)?.reviewState === 'quarantined') continue;
        versions[v.version] = { ...(JSON.parse(v.manifest) as VersionManifest), version: v.version, deprecated: v.deprecated ?? undefined };
      }
      return { name, 'dist-tags': repo.tags(pkg.id), versions } satisfies Packument;
    };
  const packumentSource = packumentsOf();

  /**
   * The packument's view of the repo: quarantined versions disappear from versions and dist-tags (a tag on one
   * falls back to the highest visible release), so npm can neither resolve nor install them (reference 4.5).
   */
  function visibleRepo(base: PackagesRepo): PackagesRepo {
    return {
      ...base,
      versions: (id: number) => {
        const hidden = sec.quarantinedVersions(id);
        return base.versions(id).filter((v) => !hidden.has(v.version));
      },
      tags: (id: number) => {
        const hidden = sec.quarantinedVersions(id);
        const tags = base.tags(id);
        if (hidden.size === 0) return tags;
        const visible = base
          .versions(id)
          .map((v) => v.version)
          .filter((v) => !hidden.has(v) && semver.valid(v));
        const fallback = semver.rsort(visible.filter((v) => !semver.prerelease(v)))[0] ?? semver.rsort(visible)[0];
        const out: Record<string, string> = {};
        for (const [tag, v] of Object.entries(tags)) if (!hidden.has(v)) out[tag] = v;
        if (!out.latest && fallback) out.latest = fallback;
        return out;
      },
    };
  }

  /** Recomputes and stores a package's score (on publish, on download batches, from the periodic job). */
  function rescore(name: string, frozen?: QuantileTable) {
    const pkg = repo.find(NPM, name);
    if (!pkg) return undefined;
    const view = visibleRepo(repo);
    const tags = view.tags(pkg.id);
    const versions = view.versions(pkg.id);
    const latest = versions.find((v) => v.version === tags.latest) ?? versions.at(-1);
    if (!latest) return undefined;
    const now = clock.now();
    const manifest = {
      ...(JSON.parse(latest.manifest) as Record<string, unknown>),
      version: latest.version,
      deprecated: latest.deprecated ?? undefined,
    };
    const scan = sec.scan(NPM, name, latest.version);
    const d30After = day(now - 30 * DAY);
    const s = scorePackage({
      manifest: manifest as never,
      files: scan?.files ?? [],
      readme: latest.readme,
      downloads30: sec.downloadsBetween(pkg.id, d30After, day(now)),
      downloadsPrevMonthly: sec.downloadsBetween(pkg.id, day(now - 120 * DAY), d30After) / 3,
      stars: { registry: repo.stars(pkg.id).length },
      dependentsWeighted: sec.dependentsWeighted(name),
      population: { downloads: frozen ?? downloadsPopulation(db, NPM, now) },
      publishes: versions.map((v) => ({ version: v.version, time: v.published_at })),
      now: new Date(now),
      vcsIntegration: opts.vcsIntegration ?? false,
      advisoriesOnLatest: advisoriesOnLatest(db, NPM, name, latest.version, scan?.reviewState === 'quarantined'),
    });
    sec.saveScore(NPM, name, scoreRow(s, now));
    return s;
  }

  /** One package's rescore: npm's here, PyPI/Maven/RubyGems through their own signal mapping (multiformat/score.ts). */
  function rescoreOne(ecosystem: string, name: string, table?: QuantileTable): boolean {
    if (ecosystem === NPM) return rescore(name, table) !== undefined;
    return rescoreFormatPackage({ db, repo, clock }, ecosystem, name, table);
  }

  /** Rescores packages in one transaction per chunk; a package whose rescoring fails is reported and skipped. */
  function rescoreChunk(packages: (readonly [ecosystem: string, name: string])[], tables?: Map<string, QuantileTable>): number {
    let n = 0;
    db.transaction(() => {
      for (const [ecosystem, name] of packages) {
        try {
          if (rescoreOne(ecosystem, name, tables?.get(ecosystem))) n++;
        } catch (err) {
          opts.onError?.(err, `rescoring ${ecosystem} package ${name}`);
        }
      }
    }).immediate();
    return n;
  }

  /** Every package of every ecosystem, and one freshly frozen percentile table per ecosystem for the run. */
  function everyPackage() {
    const tables = new Map(SCORED_ECOSYSTEMS.map((e) => [e, refreshDownloadsPopulation(db, e, clock.now())] as const));
    const packages = SCORED_ECOSYSTEMS.flatMap((e) => sec.packageNames(e).map((name) => [e, name] as const));
    return { tables, packages };
  }

  /** The periodic job (and the admin route): every package rescored. */
  function rescoreAll(): number {
    const { tables, packages } = everyPackage();
    let n = 0;
    for (let i = 0; i < packages.length; i += RESCORE_CHUNK) n += rescoreChunk(packages.slice(i, i + RESCORE_CHUNK), tables);
    return n;
  }

  /** rescoreAll that yields to the event loop between chunks, so requests are served during a long run. */
  async function rescoreAllInBackground(): Promise<number> {
    const { tables, packages } = everyPackage();
    let n = 0;
    for (let i = 0; i < packages.length; i += RESCORE_CHUNK) {
      if (!db.open) break;
      n += rescoreChunk(packages.slice(i, i + RESCORE_CHUNK), tables);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return n;
  }

  /** Starts the background rescoring every intervalMs (timer unref'd); returns the stop function. */
  function startScoreJob(intervalMs: number, onError: (err: unknown) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      rescoreAllInBackground()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  // Publishes acknowledge before their rescore (issue #11: the score reads the whole population, the scan
  // verdict that can refuse a publish does not): names wait here and are rescored together in one transaction
  // shortly after, at shutdown, or at once when a score is read, so a reader never sees a score older than
  // the last publish.
  const reviewListeners: ReviewListener[] = [];
  const pendingRescores = new Map<string, readonly [ecosystem: string, name: string]>();
  let rescoreTimer: NodeJS.Timeout | undefined;
  function flushRescores(): number {
    if (rescoreTimer) clearTimeout(rescoreTimer);
    rescoreTimer = undefined;
    if (pendingRescores.size === 0 || !db.open) return 0;
    const packages = [...pendingRescores.values()];
    pendingRescores.clear();
    return rescoreChunk(packages);
  }
  function queueRescore(ecosystem: string, name: string) {
    pendingRescores.set(`${ecosystem}\0${name}`, [ecosystem, name]);
    if (rescoreTimer) return;
    rescoreTimer = setTimeout(() => {
      try {
        flushRescores();
      } catch (err) {
        opts.onError?.(err, 'rescoring published packages');
      }
    }, opts.rescoreDelayMs ?? 100);
    rescoreTimer.unref();
  }

  /** A stored score, after the pending rescores (cheap when none is pending: a Set size check). */
  function currentScore(ecosystem: string, name: string) {
    if (pendingRescores.size > 0) flushRescores();
    return sec.score(ecosystem, name);
  }

  /** Imports OSV data; owners of every affected published version get package.vulnerable in the same transaction. */
  function importAdvisories(input: Buffer) {
    const result = importOsv(
      db,
      input,
      () => new Date(clock.now()),
      (touched) => {
        for (const t of touched) {
          // Every ecosystem's versions live in the same packages tables, under the registry's lower-case name.
          const ecosystem = REGISTRY_ECOSYSTEM[t.ecosystem];
          const pkg = repo.find(ecosystem, t.name);
          if (!pkg) continue; // kept: matched when the package arrives
          const hits = repo.versions(pkg.id).flatMap((v) =>
            advisoriesFor(db, t.ecosystem, t.name, v.version).map((h) => ({
              version: v.version,
              id: h.advisory.id,
              severity: h.advisory.severity,
            })),
          );
          if (hits.length === 0) continue;
          for (const m of repo.maintainers(pkg.id)) {
            enqueueEvent(db, { table: 'outbox' }, clock, {
              type: 'package.vulnerable',
              ownerId: m.user_id,
              subject: ecosystem === NPM ? `package:${t.name}` : `package:${ecosystem}:${pkg.name}`,
              data: {
                ecosystem,
                name: pkg.name,
                versions: [...new Set(hits.map((h) => h.version))],
                advisories: [...new Set(hits.map((h) => h.id))],
              },
            });
          }
        }
      },
    );
    // Advisories weigh on the score of the versions they hit (a high or critical one on the latest version).
    for (const t of result.touched) {
      const ecosystem = REGISTRY_ECOSYSTEM[t.ecosystem];
      if (repo.find(ecosystem, t.name)) queueRescore(ecosystem, t.name);
    }
    flushRescores();
    return result;
  }

  return {
    db,
    packumentSource,
    rescore,
    rescoreAll,
    startScoreJob,
    /** Rescores the packages published since the last flush (reads of scores call it; so does shutdown). */
    flushRescores,
    /** PyPI, Maven and RubyGems publishes rescore after their acknowledgement too, with npm's in the same commit. */
    queueRescore,
    importAdvisories,
    /** Before any byte is stored: scans the tarball and throws the npm-style refusal on a block verdict. */
    checkPublish(input: PublishScanInput): PublishScan {
      const existing = repo.find(NPM, input.name);
      const previous = sec.lastScan(NPM, input.name);
      const firstTime = existing ? !repo.versions(existing.id).some((v) => v.publisher_id === input.publisher.userId) : false;
      const result = analyzeArtifact({
        ecosystem: NPM,
        name: input.name,
        version: input.version,
        manifest: input.manifest,
        archive: input.tarball,
        knownNames: sec.knownNames(NPM),
        publisher: { owner: [input.publisher.username], packageCreatedAt: existing?.created_at, firstTimePublisher: firstTime },
        previous: previous?.summary,
        protectedNames: opts.protectedNames,
        licensePolicy: opts.licensePolicy ?? DEFAULT_LICENSE_POLICY,
      });
      if (result.refusal) throw result.refusal;
      const row: ScanRow = {
        ecosystem: NPM,
        name: input.name,
        version: input.version,
        verdict: result.verdict,
        reviewState: result.verdict === 'warn' ? 'flagged' : 'none',
        findings: result.findings,
        files: result.files,
        summary: result.summary,
        license: result.license,
        scannerVersion: SCANNER_VERSION,
        scannedAt: new Date(clock.now()).toISOString(),
      };
      return { row, result };
    },
    /** Inside the publish transaction, after the version row: the scan; the new score follows the acknowledgement. */
    recordPublish(scan: PublishScan) {
      sec.saveScan(scan.row);
      queueRescore(NPM, scan.row.name);
    },
    auditLookup: (request: Record<string, string[]>) => auditBulk(request, advisories),
    auditQuick: (body: unknown) => auditQuick(body, advisories),
    isQuarantined: (name: string, version: string) => sec.scan(NPM, name, version)?.reviewState === 'quarantined',
    visibleRepo,
    rank: Object.assign((ecosystem: string, name: string) => currentScore(ecosystem, name)?.overall, {
      detail: (ecosystem: string, name: string) => {
        const s = currentScore(ecosystem, name);
        return s ? { quality: s.quality, popularity: s.popularity, maintenance: s.maintenance } : undefined;
      },
    }),
    score: (name: string) => currentScore(NPM, name),
    /** The stored score of a package of any ecosystem. */
    scoreIn: currentScore,
    /** Scores a package of any ecosystem now (a package never scored yet); false when it has no version. */
    rescoreIn: (ecosystem: string, name: string) => rescoreOne(ecosystem, name),
    /** Admin decision on a flagged version of any ecosystem; the package revision moves so cached packuments are rebuilt. */
    review(ecosystem: string, name: string, version: string, state: 'released' | 'quarantined', by: string, at: string) {
      return db
        .transaction(() => {
          const ok = sec.setReview(ecosystem, name, version, state, by, at);
          const pkg = ok ? repo.find(ecosystem, name) : undefined;
          if (!pkg) return ok;
          repo.touch(pkg.id, at);
          for (const listener of reviewListeners) listener({ ecosystem, packageId: pkg.id, name, version, state, at });
          // A quarantine flags the score (malware), a release lifts it.
          queueRescore(ecosystem, name);
          return ok;
        })
        .immediate();
    },
    /** Runs inside the review's transaction (RubyGems appends its compact-index line there). */
    onReview(listener: ReviewListener) {
      reviewListeners.push(listener);
    },
    flagged: sec.flagged,
    /** Everything GET /api/packages/:name/:version/security shows. */
    report(name: string, version: string) {
      // The root is read from the repo directly: a quarantined version is hidden from resolution, not from admins.
      const pkg = repo.find(NPM, name);
      const row = pkg ? repo.version(pkg.id, version) : undefined;
      if (!pkg || !row) return undefined;
      const root: VersionManifest = { ...(JSON.parse(row.manifest) as VersionManifest), version };
      const scan = sec.scan(NPM, name, version);
      // Only what every reader of this version may read (a private dependency of a public package stays out).
      const source = packumentsOf(treeAudience(repo, pkg));
      const tree = resolveTree({ ...root, name }, source);
      const vulns = vulnerabilityReport(tree, source, (n) => advisories.forPackage(NPM, n));
      // Every licence row names a path from the root, vulnerable node or not (reference L16).
      const pathOf = (id: string) => pathsTo(tree, id)[0] ?? [id];
      const treeLicenses = evaluateTreeLicenses(
        [...tree.nodes.values()]
          .filter((n) => !n.external && n.id !== tree.root)
          .map((n) => ({ name: n.name, version: n.version, license: n.manifest?.license, path: pathOf(n.id) })),
        opts.licensePolicy ?? DEFAULT_LICENSE_POLICY,
      );
      const { malware, typosquat, ...scanned } = scanReport(scan);
      return {
        name,
        version,
        ...scanned,
        vulnerabilities: {
          direct: advisoriesFor(db, NPM, name, version).map(directAdvisory),
          transitive: vulns,
        },
        malware,
        typosquat,
        licenses: { package: scan?.license ?? null, tree: treeLicenses },
        dependencies: {
          nodes: tree.nodes.size,
          cycles: tree.cycles,
          truncated: tree.truncated,
          partial: tree.partial,
          alerts: tree.alerts,
        },
      };
    },
  };
}

export type RegistrySecurity = ReturnType<typeof createRegistrySecurity>;
