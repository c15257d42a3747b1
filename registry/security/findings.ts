// The finding and verdict shapes every analyser returns, and how findings become a publish verdict.

export type FindingSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const FINDING_SEVERITIES: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];
export type FindingCategory = 'malware' | 'capability' | 'typosquat' | 'license' | 'vulnerability';

export interface Finding {
  ruleId: string;
  category: FindingCategory;
  severity: FindingSeverity;
  message: string;
  /** Path inside the package (npm: without the package/ prefix) and 1-based line, when the rule has one. */
  file?: string;
  line?: number;
  escalations?: string[];
  /** Typosquat: the name imitated. */
  imitates?: string;
}

/** block refuses the publish; warn publishes and flags the version for admin review; info publishes. */
export type Verdict = 'info' | 'warn' | 'block';

export const rankOf = (s: FindingSeverity) => FINDING_SEVERITIES.indexOf(s);

export function escalate(s: FindingSeverity, steps = 1): FindingSeverity {
  return FINDING_SEVERITIES[Math.min(FINDING_SEVERITIES.length - 1, rankOf(s) + steps)];
}

/** Critical -> block (reference 4.4 verdict: quarantine); medium or high -> warn (hold for review). */
export function verdictOf(findings: Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'critical')) return 'block';
  if (findings.some((f) => f.severity === 'high' || f.severity === 'medium')) return 'warn';
  return 'info';
}

export const where = (f: Finding) => (f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : 'package metadata');
