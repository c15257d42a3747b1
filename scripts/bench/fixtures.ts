// Deterministic benchmark fixtures: the package plan (names, versions, dependencies among them), small real
// .tgz tarballs and npm 11-shaped publish bodies, identical for every registry measured in one run.
import { createHash } from 'node:crypto';
import { mulberry32 } from '../../lib/prng.ts';
import { packNpmTarball } from '../../registry/npm/pack.ts';

export const WORDS = [
  'http',
  'json',
  'parser',
  'stream',
  'cache',
  'logger',
  'router',
  'crypto',
  'date',
  'color',
  'queue',
  'retry',
  'config',
  'schema',
  'template',
  'markdown',
  'image',
  'socket',
  'graph',
  'math',
  'string',
  'array',
  'test',
  'cli',
] as const;

export interface PlannedPackage {
  name: string;
  versions: string[];
  description: string;
  keywords: string[];
  /** Names of earlier packages this one depends on (acyclic: always lower indexes). */
  dependencies: string[];
}

export interface PackagePlan {
  packages: PlannedPackage[];
  /** The install tree: these packages only depend on each other, so installing all of them installs exactly them. */
  installTree: string[];
  totalVersions: number;
}

/** Version k of a package: 1.0.0, 1.0.1, … 1.0.4, 1.1.0, … so "^1.0.0" always resolves to the latest. */
export const versionAt = (k: number) => `1.${Math.floor(k / 5)}.${k % 5}`;

export function planPackages(
  count: number,
  opts: { seed?: number; maxVersions?: number; scope?: string; treeSize?: number } = {},
): PackagePlan {
  // Seeded, so every registry of a run (and every run) gets the same packages.
  const rand = mulberry32(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const maxVersions = opts.maxVersions ?? 20;
  const treeSize = Math.min(opts.treeSize ?? 50, count);
  const packages: PlannedPackage[] = [];
  let totalVersions = 0;
  for (let i = 0; i < count; i++) {
    const a = pick(WORDS);
    const b = pick(WORDS);
    // One package in ten is scoped, as in real registries; the install tree stays unscoped for simplicity.
    const base = `bench-${a}-${b}-${i}`;
    const name = opts.scope && i >= treeSize && i % 10 === 0 ? `@${opts.scope}/${base}` : base;
    const n = 1 + Math.floor(rand() * maxVersions);
    const versions = Array.from({ length: n }, (_, k) => versionAt(k));
    totalVersions += n;
    // Only earlier packages: tree members (the first treeSize) therefore depend only on each other.
    const depCount = Math.min(i, Math.floor(rand() * 4));
    const deps = new Set<string>();
    for (let d = 0; d < depCount; d++) deps.add(packages[Math.floor(rand() * i)].name);
    packages.push({
      name,
      versions,
      description: `A ${a} ${b} helper for benchmarks (${i})`,
      keywords: [a, b],
      dependencies: [...deps],
    });
  }
  return { packages, installTree: packages.slice(0, treeSize).map((p) => p.name), totalVersions };
}

/** The PUT /<name> body npm 11 sends for one version (npm-protocol.md section 2.4). */
export function publishBody(p: PlannedPackage, version: string, registryUrl: string) {
  const manifest = {
    name: p.name,
    version,
    description: p.description,
    keywords: p.keywords,
    license: 'MIT',
    main: 'index.js',
    repository: { type: 'git', url: `git+https://example.test/bench/${p.name.replace('/', '-')}.git` },
    dependencies: Object.fromEntries(p.dependencies.map((d) => [d, '^1.0.0'])),
  };
  const readme = `# ${p.name}\n\n${p.description}.\n\n\`\`\`js\nconst x = require('${p.name}');\n\`\`\`\n`;
  const tarball = packNpmTarball({
    'package.json': JSON.stringify(manifest, null, 2),
    'index.js': `'use strict';\nmodule.exports = { name: ${JSON.stringify(p.name)}, version: '${version}' };\n`,
    'README.md': readme,
  });
  const bare = p.name.includes('/') ? p.name.slice(p.name.indexOf('/') + 1) : p.name;
  const filename = `${p.name}-${version}.tgz`;
  return {
    _id: p.name,
    name: p.name,
    description: p.description,
    'dist-tags': { latest: version },
    versions: {
      [version]: {
        ...manifest,
        readme,
        _id: `${p.name}@${version}`,
        _nodeVersion: '20.20.2',
        _npmVersion: '11.19.1',
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          tarball: `${registryUrl.replace(/\/$/, '')}/${p.name}/-/${bare}-${version}.tgz`,
        },
      },
    },
    access: null,
    _attachments: { [filename]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
}

/** The URL path of a package document: npm encodes the scope's slash. */
export const docPath = (name: string) => `/${name.replace('/', '%2f')}`;

/** The tarball path of a version under a registry base ("/npm" for ours, "" for Verdaccio). */
export function tarballPath(name: string, version: string): string {
  const bare = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  return `/${name}/-/${bare}-${version}.tgz`;
}
