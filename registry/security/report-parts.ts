// The parts of a version's security report (GET /api/packages/:name/:version/security) that are the same for every
// ecosystem: what the publish-time scan found, and how a direct advisory is shown.
import type { AdvisoryHit } from './advisories.ts';
import type { ScanRow } from './security-repo.ts';

export function scanReport(scan: ScanRow | undefined) {
  const findings = scan?.findings ?? [];
  return {
    scanned: Boolean(scan),
    verdict: scan?.verdict ?? null,
    reviewState: scan?.reviewState ?? 'none',
    scannedAt: scan?.scannedAt ?? null,
    malware: findings.filter((f) => f.category === 'malware' || f.category === 'capability'),
    typosquat: findings.filter((f) => f.category === 'typosquat'),
  };
}

/** One advisory affecting the version itself, with npm audit's field names. */
export function directAdvisory({ advisory: a, range }: AdvisoryHit) {
  return { source: a.num, id: a.id, title: a.title, url: a.url, severity: a.severity, cwe: a.cwe, cvss: a.cvss, range };
}
