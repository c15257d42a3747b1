// License compliance: SPDX expressions parsed (spdx-expression-parse), expanded to DNF and judged by a
// policy (OR = the licensee chooses, AND = all must be allowed; reference 6.2), plus the npm-specific
// cases (UNLICENSED, SEE LICENSE IN, legacy fields) and a whole-tree report. Alert ids follow Socket's.
import { createRequire } from 'node:module';
import type { Finding, FindingSeverity } from './findings.ts';
import type { Ecosystem } from './versions.ts';

const require = createRequire(import.meta.url);
type Node = { license: string; plus?: true; exception?: string } | { left: Node; conjunction: 'and' | 'or'; right: Node };
const parseSpdx = require('spdx-expression-parse') as (s: string) => Node;
const satisfies = require('spdx-satisfies') as (expr: string, allow: string[]) => boolean;
const DEPRECATED = new Set(require('spdx-license-ids/deprecated.json') as string[]);

export type LicenseClass = 'permissive' | 'copyleft-weak' | 'copyleft-strong' | 'copyleft-network' | 'nonpermissive';
const CLASSES: Record<LicenseClass, string[]> = {
  permissive: [
    'MIT',
    'ISC',
    'BSD-2-Clause',
    'BSD-3-Clause',
    'Apache-2.0',
    '0BSD',
    'Unlicense',
    'CC0-1.0',
    'Zlib',
    'BlueOak-1.0.0',
    'Python-2.0',
    'BSL-1.0',
    // Also permissive, and common in real trees: without them a valid SPDX id reads as unknown and asks for a
    // review (caniuse-lite, in nearly every web app's tree, is CC-BY-4.0; PyPI has PSF-2.0, ICU data Unicode-*).
    'MIT-0',
    'CC-BY-3.0',
    'CC-BY-4.0',
    'PSF-2.0',
    'Unicode-DFS-2016',
    'Unicode-3.0',
    'UPL-1.0',
    'NCSA',
    'PostgreSQL',
    'X11',
    'BSD-2-Clause-Patent',
  ],
  'copyleft-weak': [
    'LGPL-2.0',
    'LGPL-2.1',
    'LGPL-3.0',
    'MPL-1.1',
    'MPL-2.0',
    'EPL-1.0',
    'EPL-2.0',
    'CDDL-1.0',
    'CDDL-1.1',
    'CPL-1.0',
    'MS-RL',
  ],
  'copyleft-strong': ['GPL-1.0', 'GPL-2.0', 'GPL-3.0', 'EUPL-1.1', 'EUPL-1.2', 'OSL-3.0', 'CECILL-2.1'],
  'copyleft-network': ['AGPL-1.0', 'AGPL-3.0', 'SSPL-1.0'],
  nonpermissive: ['CC-BY-NC-4.0', 'CC-BY-NC-SA-4.0', 'BUSL-1.1', 'Elastic-2.0', 'PolyForm-Noncommercial-1.0.0', 'Commons-Clause', 'JSON'],
};
const base = (id: string) => id.replace(/-(?:only|or-later)$|\+$/, '');
export const classOf = (id: string): LicenseClass | undefined =>
  (Object.keys(CLASSES) as LicenseClass[]).find((c) => CLASSES[c].includes(base(id)));

export interface LicensePolicy {
  allow: string[];
  deny: string[];
  denyClasses: LicenseClass[];
  allowExceptions: string[];
  /** Glob-like prefixes: "LicenseRef-Acme-*". */
  allowLicenseRefs: string[];
  missing: 'warn' | 'deny';
  unlicensed: 'warn' | 'deny';
}

/** Default: permissive and weak copyleft allowed; strong/network copyleft and unknown flagged (warn). */
export const DEFAULT_LICENSE_POLICY: LicensePolicy = {
  allow: [...CLASSES.permissive, ...CLASSES['copyleft-weak'].flatMap((l) => (/^LGPL/.test(l) ? [`${l}-only`, `${l}-or-later`] : [l]))],
  deny: [],
  denyClasses: [],
  allowExceptions: ['LLVM-exception', 'Classpath-exception-2.0'],
  allowLicenseRefs: [],
  missing: 'warn',
  unlicensed: 'deny',
};
export const LICENSE_PROFILES = {
  strict: {
    ...DEFAULT_LICENSE_POLICY,
    missing: 'deny' as const,
    denyClasses: ['copyleft-strong', 'copyleft-network', 'nonpermissive'] as LicenseClass[],
  },
  saas: { ...DEFAULT_LICENSE_POLICY, denyClasses: ['copyleft-network'] as LicenseClass[] },
};

/**
 * The policy an operator configures (LICENSE_POLICY, LICENSE_ALLOW, LICENSE_DENY): a profile, then ids allowed on top
 * of it and ids denied. A denied id wins over every allow, so listing one in both denies it.
 */
export function configuredLicensePolicy(profile: 'default' | 'strict' | 'saas', allow: string[], deny: string[]): LicensePolicy {
  const base = profile === 'default' ? DEFAULT_LICENSE_POLICY : LICENSE_PROFILES[profile];
  const denied = new Set([...base.deny, ...deny]);
  const ids = allow.filter((l) => !l.startsWith('LicenseRef-'));
  return {
    ...base,
    allow: [...new Set([...base.allow, ...ids])].filter((l) => !denied.has(l)),
    allowLicenseRefs: [...base.allowLicenseRefs, ...allow.filter((l) => l.startsWith('LicenseRef-'))],
    deny: [...denied],
  };
}

// spdx-correct's most common fixes (Apache 2, MIT License, BSD ...), kept small on purpose.
const CORRECTIONS: Record<string, string> = {
  'apache 2': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache license, version 2.0': 'Apache-2.0',
  'mit license': 'MIT',
  mit: 'MIT',
  'the mit license': 'MIT',
  isc: 'ISC',
  bsd: 'BSD-2-Clause',
  'new bsd': 'BSD-3-Clause',
  'bsd-3': 'BSD-3-Clause',
  'gpl-3': 'GPL-3.0-only',
  gplv3: 'GPL-3.0-only',
  gplv2: 'GPL-2.0-only',
  'mpl 2.0': 'MPL-2.0',
  'public domain': 'Unlicense',
  unlicence: 'Unlicense',
};

// Distinctive phrases of common license texts (a phrase classifier instead of the reference's Dice
// bigram match against the full SPDX templates, which would have to be shipped).
const TEXT_SIGNATURES: [string, RegExp[]][] = [
  ['AGPL-3.0-only', [/gnu affero general public license/, /version 3/]],
  ['LGPL-3.0-only', [/gnu lesser general public license/, /version 3/]],
  ['LGPL-2.1-only', [/gnu lesser general public license/, /version 2\.1/]],
  ['GPL-3.0-only', [/gnu general public license/, /version 3/]],
  ['GPL-2.0-only', [/gnu general public license/, /version 2/]],
  ['Apache-2.0', [/apache license/, /version 2\.0/]],
  ['MPL-2.0', [/mozilla public license/, /2\.0/]],
  [
    'MIT',
    [
      /permission is hereby granted, free of charge, to any person obtaining a copy/,
      /the above copyright notice and this permission notice shall be included/,
    ],
  ],
  ['ISC', [/permission to use, copy, modify, and\/or distribute this software for any purpose with or without fee is hereby granted/]],
  ['BSD-3-Clause', [/redistribution and use in source and binary forms/, /neither the name of/]],
  ['BSD-2-Clause', [/redistribution and use in source and binary forms/]],
  ['Unlicense', [/this is free and unencumbered software released into the public domain/]],
];
export function detectLicenseText(text: string): string | undefined {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  return TEXT_SIGNATURES.find(([, res]) => res.every((re) => re.test(t)))?.[0];
}

type Member = { license: string; plus?: true; exception?: string };
function dnf(n: Node): Member[][] {
  if ('license' in n) return [[n]];
  const l = dnf(n.left);
  const r = dnf(n.right);
  return n.conjunction === 'or' ? [...l, ...r] : l.flatMap((a) => r.map((b) => [...a, ...b]));
}
const show = (m: Member) => `${m.license}${m.plus ? '+' : ''}${m.exception ? ` WITH ${m.exception}` : ''}`;

// "-or-later" / "+" leaves the licensee every later version of the family; GNU's are the ones with later versions.
const LATER: Record<string, string[]> = {
  'GPL-1.0': ['GPL-1.0', 'GPL-2.0', 'GPL-3.0'],
  'GPL-2.0': ['GPL-2.0', 'GPL-3.0'],
  'LGPL-2.0': ['LGPL-2.0', 'LGPL-2.1', 'LGPL-3.0'],
  'LGPL-2.1': ['LGPL-2.1', 'LGPL-3.0'],
  'AGPL-1.0': ['AGPL-1.0', 'AGPL-3.0'],
  'GFDL-1.1': ['GFDL-1.1', 'GFDL-1.2', 'GFDL-1.3'],
  'GFDL-1.2': ['GFDL-1.2', 'GFDL-1.3'],
};
const orLater = (id: string, plus?: true) => plus === true || /-or-later$|\+$/.test(id);
/** The licence versions a member lets the licensee choose from (base ids: "GPL-3.0"). */
const choices = (id: string, plus?: true) => (orLater(id, plus) ? (LATER[base(id)] ?? [base(id)]) : [base(id)]);

/**
 * Denied when every version the member lets the licensee choose is denied. A deny of "GPL-3.0-only" (or of the
 * family id "GPL-3.0") denies "GPL-3.0-or-later" too, as no later GPL exists to choose; "GPL-2.0-or-later" is
 * denied only when GPL-3.0 is denied as well. A denied "-or-later" id denies every version it covers.
 */
function isDenied(m: Member, p: LicensePolicy): boolean {
  const deniedVersion = (v: string) => p.deny.some((d) => choices(d).includes(v));
  return choices(m.license, m.plus).every(deniedVersion);
}

type Decision = 'allow' | 'warn' | 'deny';
function judgeMember(m: Member, p: LicensePolicy): { d: Decision; alert?: string } {
  const cls = classOf(m.license);
  if (isDenied(m, p) || (cls && p.denyClasses.includes(cls))) return { d: 'deny', alert: 'licenseSpdxDisj' };
  if (m.license.startsWith('LicenseRef-') || m.license.startsWith('DocumentRef-')) {
    return p.allowLicenseRefs.some((g) => (g.endsWith('*') ? m.license.startsWith(g.slice(0, -1)) : g === m.license))
      ? { d: 'allow' }
      : { d: 'warn', alert: 'unidentifiedLicense' };
  }
  if (m.exception && !p.allowExceptions.includes(m.exception)) return { d: 'warn', alert: 'licenseException' };
  const simple = `${m.license}${m.plus ? '+' : ''}`;
  let ok = false;
  try {
    ok = p.allow.length > 0 && satisfies(simple, p.allow);
  } catch {
    ok = false;
  }
  if (ok) return { d: 'allow' };
  if (cls === 'copyleft-strong' || cls === 'copyleft-network' || cls === 'copyleft-weak') return { d: 'warn', alert: 'copyleftLicense' };
  if (cls === 'nonpermissive') return { d: 'warn', alert: 'nonpermissiveLicense' };
  return { d: 'warn', alert: 'unidentifiedLicense' };
}

export interface LicenseInput {
  license?: unknown;
  licenses?: unknown;
  /** Files at the package root, for LICENSE detection and SEE LICENSE IN. */
  files?: { path: string; text: string }[];
  /** The file that declares the license, named in the findings: package.json unless said (MANIFEST_FILES). */
  manifestFile?: string;
}

/** Where each ecosystem declares a package's license, as its findings name it. */
export const MANIFEST_FILES: Record<Ecosystem, string> = { npm: 'package.json', PyPI: 'METADATA', Maven: 'pom.xml', RubyGems: 'gemspec' };
export interface LicenseResult {
  expression?: string;
  verdict: Decision;
  chosen?: string[];
  findings: Finding[];
}

const SEVERITY: Record<string, FindingSeverity> = { deny: 'high', warn: 'low', allow: 'info' };

/** Evaluates one package's declared license against the policy, with the npm-specific cases. */
export function evaluateLicense(input: LicenseInput, policy: LicensePolicy = DEFAULT_LICENSE_POLICY): LicenseResult {
  const findings: Finding[] = [];
  const manifestFile = input.manifestFile ?? MANIFEST_FILES.npm;
  const note = (ruleId: string, severity: FindingSeverity, message: string, file = manifestFile) =>
    findings.push({ ruleId, category: 'license', severity, message, file });
  const licenseFile = input.files?.find((f) => /^(?:licen[cs]e|copying)(?:\.(?:md|txt))?$/i.test(f.path));
  let declared: string | undefined;
  if (typeof input.license === 'string' && input.license.trim()) declared = input.license.trim();
  else if (input.license && typeof input.license === 'object' && typeof (input.license as { type?: unknown }).type === 'string') {
    declared = (input.license as { type: string }).type;
    note('licenseLegacyField', 'info', 'license is an object {type, url}; npm expects an SPDX string');
  } else if (Array.isArray(input.licenses)) {
    const types = input.licenses
      .map((l) => (typeof l === 'string' ? l : (l as { type?: string })?.type))
      .filter((t): t is string => typeof t === 'string');
    if (types.length > 0) declared = types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
    note('licenseLegacyField', 'info', `legacy "licenses" array normalised to ${declared}`);
  }
  if (!declared) {
    const detected = licenseFile ? detectLicenseText(licenseFile.text) : undefined;
    if (detected) return evaluateLicense({ license: detected, files: input.files, manifestFile }, policy);
    const d = policy.missing;
    note('noLicenseFound', d === 'deny' ? 'high' : 'medium', 'no license field and no LICENSE file: all rights reserved by default');
    return { verdict: d, findings };
  }
  if (declared === 'UNLICENSED') {
    note('explicitlyUnlicensedItem', policy.unlicensed === 'deny' ? 'high' : 'medium', 'UNLICENSED: proprietary, nobody else may use it');
    return { expression: declared, verdict: policy.unlicensed, findings };
  }
  const see = /^SEE LICEN[CS]E IN (.+)$/i.exec(declared);
  if (see) {
    const file = input.files?.find((f) => f.path === see[1].trim().replace(/^\.\//, ''));
    const detected = file ? detectLicenseText(file.text) : undefined;
    if (!detected) {
      note('ambiguousClassifier', 'low', `license text in ${see[1]} was not recognised`);
      return { expression: declared, verdict: 'warn', findings };
    }
    declared = detected;
  }
  let tree: Node;
  try {
    tree = parseSpdx(declared);
  } catch {
    const corrected = CORRECTIONS[declared.toLowerCase()];
    if (!corrected) {
      note('unidentifiedLicense', 'low', `"${declared}" is not a valid SPDX expression`);
      return { expression: declared, verdict: 'warn', findings };
    }
    note('licenseCorrected', 'info', `"${declared}" read as ${corrected}`);
    declared = corrected;
    tree = parseSpdx(corrected);
  }
  const clauses = dnf(tree).map((clause) =>
    clause.map((m) => {
      if (DEPRECATED.has(m.license) && /^(?:A|L)?GPL-\d\.\d$/.test(m.license)) {
        note('deprecatedLicenseId', 'info', `${m.license} is a deprecated SPDX id: read as ${m.license}-${m.plus ? 'or-later' : 'only'}`);
        return { ...m, license: `${m.license}-${m.plus ? 'or-later' : 'only'}`, plus: undefined };
      }
      return m;
    }),
  );
  const judged = clauses.map((clause) => {
    const members = clause.map((m) => ({ m, ...judgeMember(m, policy) }));
    const d: Decision = members.some((x) => x.d === 'deny') ? 'deny' : members.every((x) => x.d === 'allow') ? 'allow' : 'warn';
    return { clause, members, d };
  });
  const chosen = judged.find((j) => j.d === 'allow');
  const verdict: Decision = chosen ? 'allow' : judged.every((j) => j.d === 'deny') ? 'deny' : 'warn';
  if (!chosen) {
    const alerts = new Map<string, string[]>();
    for (const j of judged) for (const x of j.members) if (x.alert) alerts.set(x.alert, [...(alerts.get(x.alert) ?? []), show(x.m)]);
    for (const [alert, ids] of alerts)
      note(
        alert,
        SEVERITY[verdict],
        `${[...new Set(ids)].join(', ')}: ${alert === 'licenseSpdxDisj' ? 'denied by the license policy' : 'needs review under the license policy'}`,
      );
  }
  if (licenseFile) {
    const detected = detectLicenseText(licenseFile.text);
    const declaredIds = clauses.flat().map((m) => base(m.license));
    if (detected && !declaredIds.includes(base(detected))) {
      note(
        'miscLicenseIssues',
        'high',
        `${manifestFile} declares ${declared} but ${licenseFile.path} is ${detected} text`,
        licenseFile.path,
      );
    }
  }
  return { expression: declared, verdict, chosen: chosen?.clause.map(show), findings };
}

export interface TreeLicenseNode {
  name: string;
  version: string;
  license?: unknown;
  licenses?: unknown;
  path: string[];
}

/** Whole-tree report: one row per (license expression, verdict) with the packages and their paths. */
export function evaluateTreeLicenses(nodes: TreeLicenseNode[], policy: LicensePolicy = DEFAULT_LICENSE_POLICY) {
  const rows = new Map<string, { expression: string; verdict: Decision; packages: string[]; paths: string[][] }>();
  for (const n of nodes) {
    const r = evaluateLicense({ license: n.license, licenses: n.licenses }, policy);
    const key = `${r.expression ?? '(none)'}\0${r.verdict}`;
    const row = rows.get(key) ?? { expression: r.expression ?? '(none)', verdict: r.verdict, packages: [], paths: [] };
    row.packages.push(`${n.name}@${n.version}`);
    row.paths.push(n.path);
    rows.set(key, row);
  }
  const list = [...rows.values()];
  const verdict: Decision = list.some((r) => r.verdict === 'deny') ? 'deny' : list.some((r) => r.verdict === 'warn') ? 'warn' : 'allow';
  return { verdict, licenses: list };
}
