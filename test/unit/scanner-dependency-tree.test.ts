// Dependency tree resolution with npm's selection rules and vulnerable paths (acceptance D1-D13).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { openRegistryDatabase } from '../../registry/db.ts';
import { importOsv } from '../../registry/security/advisories.ts';
import { createAdvisoriesRepo } from '../../registry/security/advisories-repo.ts';
import { type Packument, type PackumentSource, resolveTree, type VersionManifest } from '../../registry/security/dependency-tree.ts';
import { vulnerabilityReport } from '../../registry/security/vulnerable-paths.ts';

type Case = {
  registry: Record<string, Record<string, Partial<VersionManifest>>>;
  root: string;
  tags?: Record<string, string>;
  bundled?: Record<string, VersionManifest>;
};
const fixture = JSON.parse(
  fs.readFileSync(fileURLToPath(new URL('../fixtures/security/tree-cases.json', import.meta.url)), 'utf8'),
) as Record<string, Case> & { advisories: unknown[] };
const db = openRegistryDatabase(':memory:');
importOsv(db, Buffer.from(JSON.stringify(fixture.advisories)));
const advisoriesOf = (name: string) => createAdvisoriesRepo(db).forPackage('npm', name);

function sourceOf(c: Case): PackumentSource {
  const packuments: Record<string, Packument> = {};
  for (const [name, versions] of Object.entries(c.registry)) {
    const list = Object.keys(versions).sort(semver.compare);
    packuments[name] = {
      name,
      'dist-tags': { latest: c.tags?.[name] ?? list.at(-1)! },
      versions: Object.fromEntries(list.map((v) => [v, { name, version: v, ...versions[v] }])),
    };
  }
  return (n) => packuments[n];
}
function run(key: string, opts = {}) {
  const c = fixture[key] as Case;
  const source = sourceOf(c);
  const [name, version] = [c.root.slice(0, c.root.lastIndexOf('@')), c.root.slice(c.root.lastIndexOf('@') + 1)];
  const tree = resolveTree(source(name)!.versions[version] as VersionManifest & { name: string }, source, { bundled: c.bundled, ...opts });
  return { tree, report: vulnerabilityReport(tree, source, advisoriesOf) };
}

describe('resolveTree', () => {
  it('D1: a cycle terminates with 2 nodes and is reported', () => {
    const { tree } = run('D1');
    expect([...tree.nodes.keys()]).toEqual(['a@1.0.0', 'b@1.0.0']);
    expect(tree.cycles).toEqual([['a@1.0.0', 'b@1.0.0', 'a@1.0.0']]);
  });
  it('D2: two ranges share one node d@1.5.0', () => {
    expect([...run('D2').tree.nodes.keys()]).toEqual(['app@1.0.0', 'b@1.0.0', 'c@1.0.0', 'd@1.5.0']);
  });
  it('D3: a chain of 100 stops at depth 64 with 65 nodes', () => {
    const packuments = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [
        `p${i}`,
        {
          name: `p${i}`,
          'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': { name: `p${i}`, version: '1.0.0', dependencies: i < 99 ? { [`p${i + 1}`]: '^1.0.0' } : {} } },
        },
      ]),
    ) as Record<string, Packument>;
    const tree = resolveTree(packuments.p0.versions['1.0.0'] as VersionManifest & { name: string }, (n) => packuments[n]);
    expect([tree.truncated, tree.partial, tree.nodes.size]).toEqual([true, false, 65]);
    const small = resolveTree(packuments.p0.versions['1.0.0'] as VersionManifest & { name: string }, (n) => packuments[n], {
      maxNodes: 10,
    });
    expect([small.partial, small.nodes.size]).toEqual([true, 10]);
  });
  it('D7: git, GitHub and http specs are external leaves with alerts', () => {
    const { tree } = run('D7');
    expect(tree.alerts.map((a) => [a.kind, a.name])).toEqual([
      ['gitHubDependency', 'foo'],
      ['gitDependency', 'bar'],
      ['httpDependency', 'baz'],
    ]);
    expect(tree.nodes.get('foo@github:user/foo')).toMatchObject({ external: { kind: 'github', spec: 'github:user/foo' } });
    expect(tree.edges.filter((e) => e.from === 'foo@github:user/foo')).toEqual([]);
  });
  it('D10: latest wins even when deprecated; D11: otherwise non-deprecated wins', () => {
    expect(run('D10').tree.nodes.has('x@2.1.0')).toBe(true);
    expect([...run('D11').tree.nodes.keys()]).toEqual(['app@1.0.0', 'x@2.0.0']);
  });
  it('D12: a peer is satisfied by the root-provided react, with no conflict', () => {
    const { tree } = run('D12');
    expect([...tree.nodes.keys()]).toEqual(['app@1.0.0', 'react@18.2.0', 'react-dom@18.2.0']);
    expect(tree.edges.find((e) => e.type === 'peer')).toEqual({
      from: 'react-dom@18.2.0',
      name: 'react',
      spec: '^18.0.0',
      type: 'peer',
      to: 'react@18.2.0',
    });
    expect(tree.peerConflicts).toEqual([]);
  });
});

describe('vulnerabilityReport', () => {
  it('D4: reports the full path to a vulnerable transitive qs and its metavuln parents', () => {
    const { report } = run('D4');
    const qs = report.find((r) => r.name === 'qs')!;
    expect(qs).toMatchObject({
      version: '6.7.0',
      severity: 'high',
      isDirect: false,
      effects: ['body-parser'],
      range: '>=6.7.0 <6.8.0',
      fixAvailable: false,
    });
    expect(qs.paths).toEqual([['app@1.0.0', 'express@4.17.1', 'body-parser@1.19.0', 'qs@6.7.0']]);
    expect(qs.via).toEqual([
      {
        source: 1,
        name: 'qs',
        dependency: 'qs',
        title: 'Prototype pollution in qs',
        url: 'https://github.com/advisories/GHSA-qs-6-7',
        severity: 'high',
        cwe: ['CWE-1321'],
        cvss: { score: 0, vectorString: null },
        range: '>=6.7.0 <6.8.0',
      },
    ]);
    expect(report.find((r) => r.name === 'body-parser')).toMatchObject({ via: ['qs'], effects: ['express'], severity: 'high' });
    expect(report.find((r) => r.name === 'express')).toMatchObject({ via: ['body-parser'], isDirect: true, effects: [] });
  });
  it('D5: a range that admits a fixed version is not a metavuln and resolves clean', () => {
    expect(run('D5').report).toEqual([]);
  });
  it('D6: a range that admits only vulnerable versions makes the dependent a metavuln', () => {
    const { report } = run('D6');
    expect(report.map((r) => [r.name, r.version, r.severity, r.via.map((v) => (typeof v === 'string' ? v : v.source)), r.effects])).toEqual(
      [
        ['v', '1.1.9', 'critical', [2], ['b']],
        ['b', '1.0.0', 'critical', ['v'], []],
      ],
    );
  });
  it('D8: an npm: alias resolves to the real package and is flagged', () => {
    const { tree, report } = run('D8');
    expect(tree.nodes.has('lodash@4.17.20')).toBe(true);
    expect(report.map((r) => [r.name, r.version, r.isDirect, r.fixAvailable])).toEqual([
      ['lodash', '4.17.20', true, { name: 'lodash', version: '4.17.21', isSemVerMajor: false }],
    ]);
  });
  it('D9: a bundled dependency is vulnerable even though the registry latest is fixed', () => {
    const { report } = run('D9');
    expect(report.map((r) => [r.name, r.version, r.bundled, r.severity])).toEqual([['minimist', '0.0.8', true, 'critical']]);
  });
  it('D13: the fix for a top-level ~6.7.0 is outside the declared range but not semver-major', () => {
    const qs = run('D13').report.find((r) => r.name === 'qs')!;
    expect(qs).toMatchObject({ isDirect: true, fixAvailable: { name: 'qs', version: '6.11.0', isSemVerMajor: false } });
  });
});
