// Publish-time analysis of one artifact (issue #6): malware rules, typosquatting and licenses, in memory and
// synchronous so the publish pipeline can block before it stores anything. Heavier analysis (dependency
// trees, advisories) lives in security/dependency-tree.ts and security/advisories.ts.
import crypto from 'node:crypto';
import { AppError, badRequest, forbidden } from '../lib/errors.ts';
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, heldBound, mb, readArchive } from './security/archive-reader.ts';
import {
  type ArtifactFile,
  entryPoints,
  isEcosystemInstallFile,
  readsByContent,
  SCAN_CAP_BYTES,
  SMALL_FILE_BYTES,
  shouldScan,
  stripRoot,
} from './security/artifact-files.ts';
import { type Finding, type Verdict, verdictOf, where } from './security/findings.ts';
import { DEFAULT_LICENSE_POLICY, evaluateLicense, type LicensePolicy, type LicenseResult, MANIFEST_FILES } from './security/licenses.ts';
import type { KnownName, KnownNameLookup } from './security/look-alike-index.ts';
import {
  binaryFindings,
  dependencyConfusionFindings,
  hookFindings,
  installHooks,
  type Manifest,
  manifestConfusionFindings,
  urlDependencyFindings,
} from './security/malware-manifest.ts';
import { analyzeSource, type Capability } from './security/malware-rules.ts';
import { checkTyposquat, type TyposquatOptions } from './security/typosquat.ts';
import type { Ecosystem } from './security/versions.ts';

export const SCANNER_VERSION = 'scanner/1';

/** What the previous version's scan found, so this version's new capabilities and hooks stand out. */
export interface ScanSummary {
  capabilities: string[];
  installHooks: string[];
  ruleIds: string[];
}

export interface AnalyzeInput {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** The manifest from the publish document (npm versions[v]); compared to the tarball's package.json. */
  manifest?: Manifest;
  archive: Buffer;
  /** Existing names with popularity in [0,1], owner and creation time (typosquat targets). */
  knownNames?: Iterable<KnownName> | KnownNameLookup;
  publisher?: { owner?: string | string[]; packageCreatedAt?: string | Date; firstTimePublisher?: boolean };
  previous?: ScanSummary;
  protectedNames?: RegExp[];
  licensePolicy?: LicensePolicy;
  typosquat?: Partial<TyposquatOptions>;
  archiveLimits?: ArchiveLimits;
}

export interface AnalyzeResult {
  verdict: Verdict;
  /** Malware, capability and typosquat findings (they decide the verdict). */
  findings: Finding[];
  license: LicenseResult;
  summary: ScanSummary;
  /** The artifact's file list (root stripped), kept for the scorer. */
  files: { path: string; size: number }[];
  /** The manifest read from the artifact (npm package.json), when there is one. */
  artifactManifest?: Manifest;
  /** Set when verdict is block: throw it from the publish route. */
  refusal?: AppError;
}

function readManifest(files: ArtifactFile[]): Manifest | undefined {
  const f = files.find((x) => x.path === 'package.json');
  if (!f?.held) return undefined;
  try {
    return JSON.parse(f.data.toString('utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

const THREATS_THAT_ESCALATE_HOOKS =
  /^T_(?:EXFIL_DEST|ENV_DUMP|TOKEN_READ|CRED_FILE|DOWNLOAD_EXEC|EVAL_DECODE|OBFUSCATION|DNS_EXFIL|REVSHELL|MINER)$/;

/** Reads the artifact within bounds and runs every publish-time rule. Never throws for hostile input. */
export function analyzeArtifact(input: AnalyzeInput): AnalyzeResult {
  const limits = input.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;
  let files: ArtifactFile[];
  try {
    // Only what the rules read by content is held; native libraries and data files come with size and head only.
    files = stripRoot(readArchive(input.archive, limits, readsByContent).entries);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const f: Finding = { ruleId: 'M_ARCHIVE_UNSAFE', category: 'malware', severity: 'critical', message: err.message };
    return {
      verdict: 'block',
      findings: [f],
      files: [],
      license: { verdict: 'warn', findings: [] },
      summary: { capabilities: [], installHooks: [], ruleIds: [f.ruleId] },
      refusal: err,
    };
  }
  const artifactManifest = input.ecosystem === 'npm' ? readManifest(files) : undefined;
  const manifest: Manifest = artifactManifest ?? input.manifest ?? { name: input.name, version: input.version };
  const paths = new Set(files.map((f) => f.path));
  const hooks = input.ecosystem === 'npm' ? installHooks(manifest, paths) : [];
  const hookTargets = [
    ...hooks.flatMap((h) => (h.target ? [h.target] : [])),
    ...files.filter((f) => isEcosystemInstallFile(f.path)).map((f) => f.path),
  ];
  const reachable = entryPoints(manifest, hookTargets);

  const findings: Finding[] = [];
  const capabilities = new Map<Capability | 'CAP_NATIVE', string>();
  const perFile = new Map<string, ReturnType<typeof analyzeSource>>();
  for (const f of files) {
    if (!shouldScan(f.path, reachable)) continue;
    if (f.size > heldBound(limits)) {
      // Too large to hold, so never read: accepted (the archive bounds allow it), but put before a reviewer (medium:
      // the version is flagged), so a payload cannot ride unseen in a huge .js or .py.
      findings.push({
        ruleId: 'M_LARGE_UNSCANNED',
        category: 'malware',
        severity: 'medium',
        message: `large file not scanned by content: ${mb(f.size)}, over the ${mb(heldBound(limits))} the scanner reads`,
        file: f.path,
      });
      continue;
    }
    if (!f.held || f.size > SCAN_CAP_BYTES) {
      findings.push({
        ruleId: 'largeFile',
        category: 'capability',
        severity: 'info',
        message: 'file larger than 5 MB: not scanned',
        file: f.path,
      });
      continue;
    }
    const a = analyzeSource(f.path, f.data.toString('utf8'), { installTarget: hookTargets.includes(f.path) });
    perFile.set(f.path, a);
    findings.push(...a.findings);
    for (const c of a.capabilities) if (!capabilities.has(c)) capabilities.set(c, f.path);
  }
  if (paths.has('binding.gyp') || files.some((f) => f.path.endsWith('.node')))
    capabilities.set('CAP_NATIVE', paths.has('binding.gyp') ? 'binding.gyp' : '');

  // Install hooks: allowed ones pass; a small hook file without network or shell passes; a hook whose
  // target carries threats becomes critical (the target's own findings are already escalated).
  const smallBenign = (t: string) => {
    const a = perFile.get(t);
    return Boolean(
      a &&
        (files.find((f) => f.path === t)?.size ?? 0) <= 2048 &&
        !a.capabilities.has('CAP_NET') &&
        !a.capabilities.has('CAP_SHELL') &&
        a.findings.length === 0,
    );
  };
  for (const h of hookFindings(hooks, smallBenign)) {
    const hook = hooks.find((x) => h.message.startsWith(`"${x.hook}"`));
    const targetThreats = hook?.target
      ? (perFile.get(hook.target)?.findings ?? []).filter((f) => THREATS_THAT_ESCALATE_HOOKS.test(f.ruleId))
      : [];
    if (targetThreats.length > 0) {
      h.severity = 'critical';
      h.escalations = [...(h.escalations ?? []), `runs ${hook!.target} which has ${targetThreats.map((t) => t.ruleId).join(', ')}`];
    }
    findings.push(h);
  }
  const activeHooks = hooks.filter((h) => !h.allowed);
  if (
    activeHooks.length > 0 &&
    files.every((f) => /^(?:package\.json|readme(?:\.\w+)?|licen[cs]e(?:\.\w+)?|changelog(?:\.\w+)?)$/i.test(f.path))
  ) {
    findings.push({
      ruleId: 'M_EMPTY_WITH_HOOK',
      category: 'malware',
      severity: 'high',
      message: 'the package ships no code but runs an install hook',
      file: 'package.json',
    });
  }
  findings.push(...urlDependencyFindings(manifest), ...binaryFindings(manifest, files));
  findings.push(...dependencyConfusionFindings(manifest, input.protectedNames ?? [], activeHooks.length > 0));
  if (input.ecosystem === 'npm' && artifactManifest) findings.push(...manifestConfusionFindings(input.manifest, artifactManifest));

  if (input.previous) {
    for (const f of findings)
      if (f.ruleId.startsWith('T_') && !input.previous.ruleIds.includes(f.ruleId))
        f.escalations = [...(f.escalations ?? []), 'new in this version'];
    if (input.publisher?.firstTimePublisher) {
      const newHooks = activeHooks.filter((h) => !input.previous!.installHooks.includes(h.hook)).map((h) => h.hook);
      const newCaps = (['CAP_NET', 'CAP_SHELL'] as const).filter((c) => capabilities.has(c) && !input.previous!.capabilities.includes(c));
      const risky = newHooks.length > 0 || newCaps.length > 0;
      findings.push({
        ruleId: 'M_OWNERSHIP',
        category: 'malware',
        severity: risky ? 'high' : 'info',
        message: `first version published by this account${risky ? ` and it adds ${[...newHooks, ...newCaps].join(', ')}` : ''}`,
        file: 'package.json',
      });
    }
  }
  for (const [cap, file] of capabilities)
    findings.push({
      ruleId: cap,
      category: 'capability',
      severity: 'info',
      message: `uses ${cap.slice(4).toLowerCase().replace('_', ' ')}`,
      file: file || undefined,
    });

  const readme = files.find((f) => /^readme(?:\.\w+)?$/i.test(f.path));
  const repo = manifest.repository;
  findings.push(
    ...checkTyposquat(
      {
        name: input.name,
        owner: input.publisher?.owner,
        createdAt: input.publisher?.packageCreatedAt ?? new Date(8.64e15),
        description: typeof manifest.description === 'string' ? manifest.description : undefined,
        repository:
          typeof repo === 'string'
            ? repo
            : typeof (repo as { url?: unknown })?.url === 'string'
              ? (repo as { url: string }).url
              : undefined,
        readmeHash: readme?.held ? crypto.createHash('sha256').update(readme.data).digest('hex') : undefined,
        hasInstallScript: activeHooks.length > 0,
      },
      input.knownNames ?? [],
      input.typosquat,
    ),
  );
  const license = evaluateLicense(
    {
      license: manifest.license,
      licenses: manifest.licenses,
      files: files
        .filter((f) => !f.path.includes('/') && f.held && f.size < SMALL_FILE_BYTES)
        .map((f) => ({ path: f.path, text: f.data.toString('utf8') })),
      manifestFile: MANIFEST_FILES[input.ecosystem],
    },
    input.licensePolicy ?? DEFAULT_LICENSE_POLICY,
  );
  locatePackageJsonLines(findings, files.find((f) => f.path === 'package.json')?.data.toString('utf8'));
  const verdict = verdictOf(findings);
  const summary = {
    capabilities: [...capabilities.keys()],
    installHooks: activeHooks.map((h) => h.hook),
    ruleIds: [...new Set(findings.map((f) => f.ruleId))],
  };
  return {
    verdict,
    findings,
    files: files.map((f) => ({ path: f.path, size: f.size })),
    license,
    summary,
    artifactManifest,
    refusal: verdict === 'block' ? refusalFor(input.name, findings) : undefined,
  };
}

/** package.json findings name a key in quotes ("postinstall", "x"): point file:line at that key. */
function locatePackageJsonLines(findings: Finding[], text: string | undefined) {
  if (!text) return;
  for (const f of findings) {
    const key = f.file === 'package.json' && f.line === undefined ? /"([^"]+)"/.exec(f.message)?.[1] : undefined;
    const at = key ? text.indexOf(`${JSON.stringify(key)}:`) : -1;
    if (at >= 0) f.line = text.slice(0, at).split('\n').length;
  }
}

/** The npm-style error for a blocked publish: names the rule and where it fired. */
export function refusalFor(name: string, findings: Finding[]): AppError {
  const squat = findings.find((f) => f.ruleId === 'Y1');
  if (squat) return forbidden(squat.message, 'PACKAGE_NAME_TOO_SIMILAR', { ruleId: 'Y1', imitates: squat.imitates });
  const critical = findings.filter((f) => f.severity === 'critical');
  const first = critical[0];
  const details = critical.map((f) => ({ ruleId: f.ruleId, file: f.file, line: f.line, message: f.message, imitates: f.imitates }));
  if (first.ruleId === 'M_MANIFEST_CONFUSION') return badRequest(`publish refused: ${first.message}`, details, 'MANIFEST_CONFUSION');
  if (first.category === 'typosquat') {
    return forbidden(
      `publish refused: ${name} imitates "${first.imitates}" (${first.ruleId}: ${first.message}; ${first.escalations?.join('; ')})`,
      'TYPOSQUAT',
      details,
    );
  }
  return forbidden(`publish refused: ${first.ruleId} at ${where(first)}: ${first.message}`, 'MALICIOUS_CODE', details);
}
