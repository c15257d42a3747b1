// Dependency trees of PyPI, Maven and RubyGems versions (registry/multiformat/dependency-{rules,tree}.ts and
// registry/maven/pom-dependencies.ts): requirement syntax as each client reads it, one version per name chosen the
// way pip, Bundler and Maven choose, cycles, conflicts, exclusions, yanks, prereleases and the size limits.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { loadPomInheritance, type PomLoader, pomDependencies } from '../../registry/maven/pom-dependencies.ts';
import {
  DEPENDENCY_RULES,
  gemAdmits,
  mavenAdmits,
  type PomDependency,
  parseRequiresDist,
} from '../../registry/multiformat/dependency-rules.ts';
import { type AvailableVersion, resolveFormatTree } from '../../registry/multiformat/dependency-tree.ts';
import { evaluateMarker, PYPI_TARGET_ENVIRONMENT } from '../../registry/multiformat/pep508-markers.ts';

type Registry = Record<string, Record<string, Record<string, unknown> & { yanked?: boolean }>>;
const sourceOf = (reg: Registry) => (name: string) =>
  reg[name]
    ? Object.entries(reg[name]).map(([version, m]): AvailableVersion => ({ version, manifest: m, yanked: Boolean(m.yanked) }))
    : undefined;
const py = (...requiresDist: string[]) => ({ requiresDist });
const gem = (...deps: [string, string][]) => ({
  dependencies: deps.map(([name, spec]) => ({
    name,
    type: 'runtime',
    requirements: spec.split(',').map((c) => c.trim().split(/\s+/) as [string, string]),
  })),
});
const mvn = (...deps: Partial<PomDependency>[]) => ({
  dependencies: deps.map((d) => ({ version: null, scope: 'compile', optional: false, exclusions: [], ...d })),
});
const edgesOf = (t: ReturnType<typeof resolveFormatTree>) => t.edges.map((e) => `${e.from} -> ${e.to ?? `(${e.skipped})`}`);

describe('requirement syntax', () => {
  it.each([
    ['requests (>=2.28,<2.31)', { name: 'requests', spec: '>=2.28,<2.31' }],
    ['Flask_Lite>=1.0 ; python_version >= "3.8"', { name: 'flask-lite', spec: '>=1.0' }],
    ['urllib3[socks] <3, >=1.21.1', { name: 'urllib3', spec: '<3,>=1.21.1' }],
    ['charset-normalizer', { name: 'charset-normalizer', spec: '' }],
    [
      'mylib @ https://example.test/mylib-1.0.tar.gz',
      { name: 'mylib', spec: 'https://example.test/mylib-1.0.tar.gz', external: 'https://example.test/mylib-1.0.tar.gz' },
    ],
  ])('PEP 508 %s', (line, expected) => {
    expect(parseRequiresDist(line)).toEqual(expected);
  });

  it('a dependency only an extra pulls in is left out, as pip leaves it out', () => {
    expect(parseRequiresDist('PySocks!=1.5.7,>=1.5.6; extra == "socks"')).toBeUndefined();
    expect(DEPENDENCY_RULES.pypi.declared(py('a>=1', 'b; extra == "test"', 'c'), true)?.map((d) => d.name)).toEqual(['a', 'c']);
  });

  it.each([
    ['python_version >= "3.8"', true],
    ['python_version < "3.10"', false],
    ['python_full_version >= "3.13.0" and python_full_version < "3.14"', true],
    ['"3.9" < python_version', true],
    ['python_version == "3.*"', true],
    ['python_version != "3.13"', false],
    ['sys_platform == "win32" or platform_system == "Linux"', true],
    ['sys_platform == "linux" and (platform_machine == "aarch64" or platform_machine == "x86_64")', true],
    ['os_name == "nt"', false],
    ['sys.platform == "linux"', true],
    ['"linux" in sys_platform', true],
    ['platform_machine not in "arm64 aarch64"', true],
    ["implementation_name == 'cpython' and platform_python_implementation != 'PyPy'", true],
    ['extra == "test"', false],
    ['python_version < "3.8" and extra == "test" or os_name == "posix"', true],
    // Unreadable: undefined, and the caller keeps the dependency.
    ['python_version <', undefined],
    ['pyton_version < "3"', undefined],
    ['python_version < "3.8" garbage', undefined],
    ['(python_version < "3.8"', undefined],
  ])('marker %s in CPython 3.13 on Linux x86_64 -> %s', (marker, expected) => {
    expect(evaluateMarker(marker)).toBe(expected);
  });

  it('markers are read for another environment too, and an unreadable one keeps its dependency unless it names an extra', () => {
    const win = { ...PYPI_TARGET_ENVIRONMENT, sys_platform: 'win32', os_name: 'nt', platform_system: 'Windows', python_version: '3.9' };
    expect(parseRequiresDist('pywin32; sys_platform == "win32"', win)).toEqual({ name: 'pywin32', spec: '' });
    expect(parseRequiresDist('pywin32; sys_platform == "win32"')).toBeUndefined();
    expect(parseRequiresDist('tomli>=1.1; python_version < "3.11"', win)).toEqual({ name: 'tomli', spec: '>=1.1' });
    expect(parseRequiresDist('odd>=1; python_version <<< "3"')).toEqual({ name: 'odd', spec: '>=1' });
    expect(parseRequiresDist('odd-extra>=1; extra == "x" <<<')).toBeUndefined();
  });

  it('PEP 440 specifiers: ~=, !=, == with wildcards', () => {
    const { admits } = DEPENDENCY_RULES.pypi;
    expect(admits('~=2.28', '2.31.0')).toBe(true);
    expect(admits('~=2.28', '3.0.0')).toBe(false);
    expect(admits('!=2.30.0,>=2', '2.30.0')).toBe(false);
    expect(admits('==2.*', '2.9')).toBe(true);
    expect(admits('', '0.0.1')).toBe(true);
    expect(admits('>=1', 'not-a-version')).toBe(false);
  });

  it.each([
    ['~> 1.2', '1.9.9', true],
    ['~> 1.2', '2.0', false],
    ['~> 1.2.3', '1.2.9', true],
    ['~> 1.2.3', '1.3.0', false],
    ['~> 1.2, >= 1.2.5', '1.2.4', false],
    ['~> 1.2, >= 1.2.5', '1.4', true],
    ['= 1.0', '1.0.0', true],
    ['!= 1.0', '1.0', false],
    ['> 0.1', '0.1.1', true],
    ['< 2', '2.0.0.rc1', true],
    ['~> 2.0.0.rc1', '2.0.0', true],
  ])('Gem::Requirement %s admits %s: %s', (spec, version, ok) => {
    expect(gemAdmits(spec, version)).toBe(ok);
  });

  it.each([
    ['1.2.3', '1.2.3', true],
    ['1.2.3', '1.2.4', false],
    ['[1.2]', '1.2', true],
    ['[1.0,2.0)', '1.9.9', true],
    ['[1.0,2.0)', '2.0', false],
    ['(1.0,2.0]', '1.0', false],
    ['(1.0,2.0]', '2.0', true],
    ['[1.5,)', '9.0', true],
    ['(,1.0],[1.2,)', '1.1', false],
    ['(,1.0],[1.2,)', '1.3', true],
    ['[1.0,2.0)', '2.0-SNAPSHOT', true],
  ])('Maven version %s admits %s: %s', (spec, version, ok) => {
    expect(mavenAdmits(spec, version)).toBe(ok);
  });
});

describe('POM dependencies', () => {
  const parse = (xml: string) =>
    pomDependencies(new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(xml).project);

  // A registry of POMs by "g:a:v", as storedPoms (registry/maven/deploy.ts) loads them.
  const project = (xml: string) =>
    new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(xml).project as Record<string, unknown>;
  const loaderOf = (poms: Record<string, string>) => {
    const asked: string[] = [];
    const load: PomLoader = async (g, a, v) => {
      asked.push(`${g}:${a}:${v}`);
      return poms[`${g}:${a}:${v}`] ? project(poms[`${g}:${a}:${v}`]) : undefined;
    };
    return { load, asked };
  };
  const dep = (g: string, a: string, v = '', extra = '') =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId>${v && `<version>${v}</version>`}${extra}</dependency>`;
  const effective = async (xml: string, poms: Record<string, string>) => {
    const child = project(xml);
    return pomDependencies(child, await loadPomInheritance(child, loaderOf(poms).load));
  };

  it('inherits from the parent chain stored here: properties (the child wins), managed versions and dependencies', async () => {
    const poms = {
      'com.acme:root:1': `<project><groupId>com.acme</groupId><artifactId>root</artifactId><version>1</version>
        <properties><slf4j.version>2.0.0</slf4j.version><guava.version>31.0</guava.version></properties>
        <dependencyManagement><dependencies>${dep('org.slf4j', 'slf4j-api', `\${slf4j.version}`, '<scope>runtime</scope>')}
          ${dep('com.acme', 'core', `\${project.version}`)}</dependencies></dependencyManagement>
        <dependencies>${dep('com.google.guava', 'guava', `\${guava.version}`)}</dependencies></project>`,
      'com.acme:parent:1.5': `<project><parent><groupId>com.acme</groupId><artifactId>root</artifactId><version>1</version></parent>
        <artifactId>parent</artifactId><version>1.5</version><properties><slf4j.version>2.0.9</slf4j.version></properties></project>`,
    };
    const deps = await effective(
      `<project><parent><groupId>com.acme</groupId><artifactId>parent</artifactId><version>1.5</version></parent>
        <artifactId>app</artifactId><version>3.0</version><properties><guava.version>32.1</guava.version></properties>
        <dependencies>${dep('org.slf4j', 'slf4j-api')}${dep('com.acme', 'core')}${dep('org.other', 'unmanaged')}</dependencies></project>`,
      poms,
    );
    expect(deps.map((d) => `${d.groupId}:${d.artifactId}@${d.version} ${d.scope}`)).toEqual([
      'com.google.guava:guava@32.1 compile', // inherited; the child's property wins
      'org.slf4j:slf4j-api@2.0.9 runtime', // managed by the grandparent, the nearer parent's property
      'com.acme:core@3.0 compile', // ${project.version} is the child's
      'org.other:unmanaged@null compile',
    ]);
  });

  it('imports BOMs (resolved in their own model, with their parents); explicit management wins over an import', async () => {
    const poms = {
      'com.bom:base:1': `<project><groupId>com.bom</groupId><artifactId>base</artifactId><version>1</version>
        <properties><jackson.version>2.17.1</jackson.version></properties></project>`,
      'com.bom:jackson-bom:2': `<project><parent><groupId>com.bom</groupId><artifactId>base</artifactId><version>1</version></parent>
        <artifactId>jackson-bom</artifactId><version>2</version><dependencyManagement><dependencies>
        ${dep('com.fasterxml.jackson.core', 'jackson-databind', `\${jackson.version}`)}${dep('org.yaml', 'snakeyaml', '2.0')}
        </dependencies></dependencyManagement></project>`,
    };
    const deps = await effective(
      `<project><groupId>com.acme</groupId><artifactId>app</artifactId><version>1</version>
        <properties><jackson.version>9.9</jackson.version></properties>
        <dependencyManagement><dependencies>${dep('com.bom', 'jackson-bom', '2', '<type>pom</type><scope>import</scope>')}
          ${dep('org.yaml', 'snakeyaml', '2.2')}</dependencies></dependencyManagement>
        <dependencies>${dep('com.fasterxml.jackson.core', 'jackson-databind')}${dep('org.yaml', 'snakeyaml')}</dependencies></project>`,
      poms,
    );
    expect(deps.map((d) => `${d.artifactId}@${d.version}`)).toEqual(['jackson-databind@2.17.1', 'snakeyaml@2.2']);
  });

  it('a parent missing here, a parent cycle and an unresolvable parent version end the chain without failing', async () => {
    const looping = {
      'g:a:1':
        '<project><parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version></parent><artifactId>a</artifactId></project>',
      'g:b:1':
        '<project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version></parent><artifactId>b</artifactId></project>',
    };
    const { load, asked } = loaderOf(looping);
    const child = project(
      `<project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version></parent><artifactId>c</artifactId>
        <dependencies>${dep('x', 'y')}</dependencies></project>`,
    );
    expect(pomDependencies(child, await loadPomInheritance(child, load))[0].version).toBeNull();
    expect(asked).toEqual(['g:a:1', 'g:b:1']);
    expect(
      (
        await effective(
          `<project><parent><groupId>g</groupId><artifactId>gone</artifactId><version>1</version></parent>
        <artifactId>c</artifactId><dependencies>${dep('x', 'y')}</dependencies></project>`,
          {},
        )
      )[0].version,
    ).toBeNull();
    const unresolvable = loaderOf({});
    const child2 = project(
      `<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>\${revision}</version></parent><artifactId>c</artifactId></project>`,
    );
    await loadPomInheritance(child2, unresolvable.load);
    expect(unresolvable.asked).toEqual([]);
  });

  it('resolves properties, managed versions and scopes, and keeps optional flags and exclusions', () => {
    const deps = parse(`<project><groupId>com.acme</groupId><artifactId>app</artifactId><version>1.0</version>
      <properties><jackson.version>2.15.0</jackson.version><lib.version>\${project.version}</lib.version></properties>
      <dependencyManagement><dependencies>
        <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version><scope>runtime</scope></dependency>
      </dependencies></dependencyManagement>
      <dependencies>
        <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>\${jackson.version}</version>
          <exclusions><exclusion><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-annotations</artifactId></exclusion></exclusions></dependency>
        <dependency><groupId>com.acme</groupId><artifactId>lib</artifactId><version>\${lib.version}</version><optional>true</optional></dependency>
        <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
        <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
        <dependency><groupId>org.parent</groupId><artifactId>managed-elsewhere</artifactId></dependency>
      </dependencies></project>`);
    expect(deps).toEqual([
      {
        groupId: 'com.fasterxml.jackson.core',
        artifactId: 'jackson-databind',
        version: '2.15.0',
        scope: 'compile',
        optional: false,
        exclusions: ['com.fasterxml.jackson.core:jackson-annotations'],
      },
      { groupId: 'com.acme', artifactId: 'lib', version: '1.0', scope: 'compile', optional: true, exclusions: [] },
      { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: '2.0.9', scope: 'runtime', optional: false, exclusions: [] },
      { groupId: 'junit', artifactId: 'junit', version: '4.13.2', scope: 'test', optional: false, exclusions: [] },
      { groupId: 'org.parent', artifactId: 'managed-elsewhere', version: null, scope: 'compile', optional: false, exclusions: [] },
    ]);
    // A consumer's class path: test scope never; optional only for the root itself.
    const m = { dependencies: deps };
    expect(DEPENDENCY_RULES.maven.declared(m, false)?.map((d) => d.name)).toEqual([
      'com.fasterxml.jackson.core:jackson-databind',
      'com.acme:lib',
      'org.slf4j:slf4j-api',
      'org.parent:managed-elsewhere',
    ]);
    expect(DEPENDENCY_RULES.maven.declared(m, true)?.map((d) => d.name)).not.toContain('com.acme:lib');
    expect(DEPENDENCY_RULES.maven.declared({}, false)).toBeUndefined();
  });

  it("tells Maven prereleases by Maven's order, not by letters inside a qualifier", () => {
    const pre = ['1.0-SNAPSHOT', '1.0-M1', '2.0-RC1', '3.0-cr1', '1.0-beta-2', '1.0-alpha'];
    const finals = ['31.1-jre', '5.3.0.RELEASE', '2.0.Final', '1.0-script', '2.0-source', '1.0.0'];
    expect(pre.filter((v) => DEPENDENCY_RULES.maven.prerelease(v))).toEqual(pre);
    expect(finals.filter((v) => DEPENDENCY_RULES.maven.prerelease(v))).toEqual([]);
  });

  it('a single dependency, a property cycle and a POM without dependencies', () => {
    expect(
      parse(
        '<project><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>1.0</version></dependency></dependencies></project>',
      ),
    ).toEqual([{ groupId: 'a', artifactId: 'b', version: '1.0', scope: 'compile', optional: false, exclusions: [] }]);
    expect(
      parse(
        `<project><properties><x>\${y}</x><y>\${x}</y></properties><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>\${x}</version></dependency></dependencies></project>`,
      )[0].version,
    ).toBeNull();
    expect(parse('<project><artifactId>x</artifactId></project>')).toEqual([]);
  });
});

describe('resolution: pip and Bundler (one version meeting every requirement)', () => {
  it('picks the highest final release; walks transitive dependencies breadth first', () => {
    const reg: Registry = {
      'flask-lite': { '1.0': py('requests>=2.28,<2.31', 'click'), '1.1': py('requests>=2.28,<2.31', 'click') },
      requests: { '2.29.0': py(), '2.30.0': py(), '2.31.0': py(), '2.32.0b1': py() },
      click: { '8.0': { ...py(), license: 'BSD-3-Clause' } },
    };
    const t = resolveFormatTree({ name: 'webapp', version: '1.0', manifest: py('flask-lite>=1.0') }, DEPENDENCY_RULES.pypi, sourceOf(reg));
    expect([...t.nodes.keys()]).toEqual(['webapp@1.0', 'flask-lite@1.1', 'requests@2.30.0', 'click@8.0']);
    expect(t.nodes.get('click@8.0')?.license).toBe('BSD-3-Clause');
    expect(t.conflicts).toEqual([]);
    expect(t.cycles).toEqual([]);
  });

  it('a second walk finds the one version both requirements admit; an impossible pair is a conflict', () => {
    const reg: Registry = {
      a: { '1.0': py('shared>=1.0') },
      b: { '1.0': py('shared<2') },
      c: { '1.0': py('shared>=3') },
      shared: { '1.5': py(), '2.5': py(), '3.0': py() },
    };
    const ok = resolveFormatTree({ name: 'root', version: '1', manifest: py('a', 'b') }, DEPENDENCY_RULES.pypi, sourceOf(reg));
    expect(ok.nodes.has('shared@1.5')).toBe(true);
    expect(ok.conflicts).toEqual([]);
    const clash = resolveFormatTree({ name: 'root', version: '1', manifest: py('b', 'c') }, DEPENDENCY_RULES.pypi, sourceOf(reg));
    expect(clash.conflicts).toHaveLength(1);
    expect(clash.conflicts[0]).toMatchObject({ name: 'shared' });
  });

  it('environment markers are evaluated for the target environment: exclusive pairs resolve, backports drop out', () => {
    const reg: Registry = {
      foo: { '1.5': py(), '2.5': py() },
      'importlib-metadata': { '6.0': py() },
      pywin32: { '306': py() },
    };
    const root = py(
      'foo<2; python_version < "3.8"',
      'foo>=2; python_version >= "3.8"',
      'importlib-metadata>=4; python_version < "3.10"',
      'pywin32>=300; sys_platform == "win32"',
    );
    const t = resolveFormatTree({ name: 'app', version: '1', manifest: root }, DEPENDENCY_RULES.pypi, sourceOf(reg));
    expect(t.conflicts).toEqual([]);
    expect(edgesOf(t)).toEqual(['app@1 -> foo@2.5']);
  });

  it('cycles close on the existing node; missing packages and versions are alerts, never a crash', () => {
    const reg: Registry = { a: { '1': py('b') }, b: { '1': py('a', 'ghost', 'c>=9') }, c: { '1': py() } };
    const t = resolveFormatTree({ name: 'a', version: '1', manifest: reg.a['1'] }, DEPENDENCY_RULES.pypi, sourceOf(reg));
    expect(edgesOf(t)).toEqual(['a@1 -> b@1', 'b@1 -> a@1', 'b@1 -> (not in this registry)', 'b@1 -> (no matching version)']);
    expect(t.cycles).toEqual([['a@1', 'b@1', 'a@1']]);
    expect(t.alerts.map((a) => `${a.kind} ${a.name}`)).toEqual(['missingDependency ghost', 'missingDependency c']);
  });

  it('yanked versions only for an exact pin; prereleases only when nothing final matches; URL requirements are leaves', () => {
    const reg: Registry = { y: { '1.0': py(), '1.1': { ...py(), yanked: true } }, p: { '2.0b1': py() } };
    const pick = (spec: string, name = 'y') =>
      [
        ...resolveFormatTree(
          { name: 'r', version: '1', manifest: py(`${name}${spec}`) },
          DEPENDENCY_RULES.pypi,
          sourceOf(reg),
        ).nodes.keys(),
      ][1];
    expect(pick('>=1.0')).toBe('y@1.0');
    expect(pick('==1.1')).toBe('y@1.1');
    expect(pick('>=1.1')).toBeUndefined();
    expect(pick('>=1', 'p')).toBe('p@2.0b1');
    const url = resolveFormatTree(
      { name: 'r', version: '1', manifest: py('z @ https://example.test/z.whl') },
      DEPENDENCY_RULES.pypi,
      sourceOf(reg),
    );
    expect(url.alerts).toEqual([{ kind: 'urlDependency', from: 'r@1', name: 'z', spec: 'https://example.test/z.whl' }]);
  });

  it('Bundler: ~> and development dependencies', () => {
    const reg: Registry = {
      rack: { '2.2.8': gem(), '3.0.0': gem(), '3.1.0.rc1': gem() },
      rspec: { '3.0': gem() },
    };
    const manifest = {
      dependencies: [...gem(['rack', '~> 2.2']).dependencies, { name: 'rspec', type: 'development', requirements: [['>=', '0']] }],
    };
    const t = resolveFormatTree({ name: 'app', version: '1.0', manifest }, DEPENDENCY_RULES.rubygems, sourceOf(reg));
    expect([...t.nodes.keys()]).toEqual(['app@1.0', 'rack@2.2.8']);
  });

  it('depth and node limits mark the tree truncated or partial', () => {
    const reg: Registry = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`n${i}`, { '1': py(`n${i + 1}`) }]));
    const deep = resolveFormatTree({ name: 'n0', version: '1', manifest: reg.n0['1'] }, DEPENDENCY_RULES.pypi, sourceOf(reg), {
      maxDepth: 5,
    });
    expect(deep.truncated).toBe(true);
    expect(deep.nodes.size).toBe(6);
    const wide = resolveFormatTree({ name: 'n0', version: '1', manifest: reg.n0['1'] }, DEPENDENCY_RULES.pypi, sourceOf(reg), {
      maxNodes: 4,
    });
    expect(wide.partial).toBe(true);
    expect(wide.nodes.size).toBe(4);
  });
});

describe('resolution: Maven (nearest declaration wins)', () => {
  const ga = (groupId: string, artifactId: string, version: string | null, extra = {}) => ({ groupId, artifactId, version, ...extra });

  it('the nearest version wins without a conflict; exclusions drop a subtree; unknown POMs and parent-managed versions are reported', () => {
    const reg: Registry = {
      'g:a': { '1.0': mvn(ga('g', 'c', '1.0'), ga('g', 'opt', '1.0', { optional: true })) },
      'g:b': { '1.0': mvn(ga('g', 'c', '2.0'), ga('g', 'a', '1.0')) },
      'g:c': { '1.0': mvn(), '2.0': mvn() },
      'g:x': { '1.0': mvn(ga('g', 'c', '2.0')) },
      'g:nopom': { '1.0': {} },
      'g:opt': { '1.0': mvn() },
    };
    const root = mvn(
      ga('g', 'b', '1.0'),
      ga('g', 'x', '1.0', { exclusions: ['g:c'] }),
      ga('g', 'nopom', '1.0'),
      ga('g', 'parent-managed', null),
      ga('g', 'tests', '1.0', { scope: 'test' }),
    );
    const t = resolveFormatTree({ name: 'g:root', version: '1', manifest: root }, DEPENDENCY_RULES.maven, sourceOf(reg));
    expect([...t.nodes.keys()].sort()).toEqual(['g:a@1.0', 'g:b@1.0', 'g:c@2.0', 'g:nopom@1.0', 'g:root@1', 'g:x@1.0']);
    expect(t.conflicts).toEqual([]);
    expect(t.edges.some((e) => e.from === 'g:x@1.0')).toBe(false);
    expect(t.unknown).toEqual(['g:nopom@1.0']);
    expect(t.alerts).toEqual([expect.objectContaining({ kind: 'unresolvedVersion', name: 'g:parent-managed' })]);
  });
});
