// The real Maven 3.8.7 against the registry at /maven2/ (main API + registry processes), offline: central is
// mirrored to Debian's /usr/share/maven-repo (multiformat-protocols.md 2.6). deploy:deploy-file of a release and
// two SNAPSHOT builds, a refused release overwrite, wrong credentials, `mvn deploy` of a parent POM resolved by a
// child project, a reactor whose parent manages its module's dependency versions (the report resolves them as Maven does), dependency:get of the release and SNAPSHOT jars into fresh local repositories (bytes compared),
// and a private artifact that Maven can only resolve by answering the 401 + WWW-Authenticate: Basic challenge.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, mavenEnv, run } from '../fixtures/pypi/client-env.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let work: string;
let env: Record<string, string>;
let reg: string;
let aliceToken: string;
const G = 'com/example/acc';

function settings(file: string, servers: string) {
  fs.writeFileSync(
    file,
    `<settings>
  <localRepository>${work}/m2</localRepository>
  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
  <profiles><profile><id>deb</id>
    <repositories><repository><id>central</id><url>file:///usr/share/maven-repo</url>
      <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository></repositories>
    <pluginRepositories><pluginRepository><id>central</id><url>file:///usr/share/maven-repo</url>
      <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>deb</activeProfile></activeProfiles>
  <servers>${servers}</servers>
</settings>
`,
  );
}

const mvn = (args: string[], o: { settings?: string; cwd?: string } = {}) =>
  run('mvn', ['-B', '-Dstyle.color=never', '-s', o.settings ?? path.join(work, 'settings.xml'), ...args], { cwd: o.cwd ?? work, env });
const deployFile = (file: string, version: string, extra: string[] = [], repoId = 'myreg', settingsFile?: string) =>
  mvn(
    [
      'org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file',
      `-Dfile=${file}`,
      '-DgroupId=com.example.acc',
      '-DartifactId=acc-lib',
      `-Dversion=${version}`,
      '-Dpackaging=jar',
      `-DrepositoryId=${repoId}`,
      `-Durl=${reg}`,
      ...extra,
    ],
    { settings: settingsFile },
  );
const get = (artifact: string, localRepo: string, repo = 'myreg', settingsFile?: string) =>
  mvn(
    [
      `-Dmaven.repo.local=${localRepo}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get',
      `-Dartifact=${artifact}`,
      '-Dtransitive=false',
      `-DremoteRepositories=${repo}::default::${reg}`,
    ],
    { settings: settingsFile },
  );

function makeJar(name: string, text: string) {
  const dir = fs.mkdtempSync(path.join(work, 'jar-'));
  fs.mkdirSync(path.join(dir, 'acc'));
  fs.writeFileSync(path.join(dir, 'acc', 'hello.txt'), text);
  return run('/usr/bin/python3', ['-m', 'zipfile', '-c', path.join(work, name), 'acc'], { cwd: dir, env }).then((r) => {
    expect(r.code, r.output).toBe(0);
    return path.join(work, name);
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'maven-e2e-'));
  env = mavenEnv(work);
  suite = await startSuite({ only: ['api', 'registry'] });
  reg = `${suite.urls.registry}/maven2`;
  const token = await createPublisher(suite, 'mvnalice');
  aliceToken = token;
  const cred = `<username>mvnalice</username><password>${token}</password>`;
  settings(
    path.join(work, 'settings.xml'),
    `<server><id>myreg</id>${cred}</server>
    <server><id>privreg</id>${cred}<configuration><httpHeaders><property><name>X-Package-Access</name><value>restricted</value></property></httpHeaders></configuration></server>`,
  );
  settings(path.join(work, 'anon.xml'), '');
  settings(
    path.join(work, 'wrong.xml'),
    '<server><id>myreg</id><username>mvnalice</username><password>elk_wrongwrongwrong</password></server>',
  );
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
});

describe('mvn deploy and resolution against /maven2/', () => {
  it('deploy-file of a release stores the jar and the generated POM with their checksums', async () => {
    const jar = await makeJar('acc-lib-1.0.0.jar', 'release one');
    const res = await deployFile(jar, '1.0.0');
    expect(res.code, res.output).toBe(0);
    const served = Buffer.from(await (await fetch(`${reg}/${G}/acc-lib/1.0.0/acc-lib-1.0.0.jar`)).arrayBuffer());
    expect(served.equals(fs.readFileSync(jar))).toBe(true);
    const meta = await (await fetch(`${reg}/${G}/acc-lib/maven-metadata.xml`)).text();
    expect(meta).toContain('<release>1.0.0</release>');
  });

  it('refusals fail the build with the reason phrase: a release overwrite (409), wrong credentials (401)', async () => {
    const [other, never] = await Promise.all([makeJar('acc-lib-other.jar', 'release two'), makeJar('acc-lib-1.5.0.jar', 'never stored')]);
    // Independent JVMs run side by side to keep the file fast on 2 cores.
    const [overwrite, wrong] = await Promise.all([
      deployFile(other, '1.0.0'),
      deployFile(never, '1.5.0', [], 'myreg', path.join(work, 'wrong.xml')),
    ]);
    expect(overwrite.code).toBe(1);
    // Maven 3.8.7 prints the status and the reason phrase the registry set.
    expect(overwrite.output).toContain(
      `transfer failed for ${reg}/${G}/acc-lib/1.0.0/acc-lib-1.0.0.jar, status: 409 release artifacts are immutable: acc-lib-1.0.0.jar exists with other bytes`,
    );
    const served = Buffer.from(await (await fetch(`${reg}/${G}/acc-lib/1.0.0/acc-lib-1.0.0.jar`)).arrayBuffer());
    expect(served.equals(fs.readFileSync(path.join(work, 'acc-lib-1.0.0.jar')))).toBe(true);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('401');
    expect((await fetch(`${reg}/${G}/acc-lib/1.5.0/acc-lib-1.5.0.jar`)).status).toBe(404);
  });

  it('two SNAPSHOT deploys get build numbers 1 and 2 from the served metadata', async () => {
    for (const n of [1, 2]) {
      const jar = await makeJar(`snap-${n}.jar`, `snapshot build ${n}`);
      const res = await deployFile(jar, '2.0.0-SNAPSHOT');
      expect(res.code, res.output).toBe(0);
    }
    const meta = await (await fetch(`${reg}/${G}/acc-lib/2.0.0-SNAPSHOT/maven-metadata.xml`)).text();
    expect(meta).toContain('<buildNumber>2</buildNumber>');
  });

  it('dependency:get resolves the release and the newest SNAPSHOT jar into a fresh local repository', async () => {
    const [relRepo, snapRepo] = [path.join(work, 'consumer-m2'), path.join(work, 'consumer-snap-m2')];
    const [rel, snap] = await Promise.all([
      get('com.example.acc:acc-lib:1.0.0', relRepo),
      get('com.example.acc:acc-lib:2.0.0-SNAPSHOT', snapRepo),
    ]);
    expect(rel.code, rel.output).toBe(0);
    expect(
      fs
        .readFileSync(path.join(relRepo, G, 'acc-lib/1.0.0/acc-lib-1.0.0.jar'))
        .equals(fs.readFileSync(path.join(work, 'acc-lib-1.0.0.jar'))),
    ).toBe(true);
    expect(snap.code, snap.output).toBe(0);
    const snapJar = path.join(snapRepo, G, 'acc-lib/2.0.0-SNAPSHOT/acc-lib-2.0.0-SNAPSHOT.jar');
    expect(fs.readFileSync(snapJar).equals(fs.readFileSync(path.join(work, 'snap-2.jar')))).toBe(true);
  });

  it('mvn deploy of a parent POM; a child project resolves it as its <parent>', async () => {
    const parent = path.join(work, 'parent');
    fs.mkdirSync(parent);
    fs.writeFileSync(
      path.join(parent, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.example.acc</groupId><artifactId>acc-parent</artifactId><version>1.0.0</version><packaging>pom</packaging>
  <description>acceptance parent</description>
  <distributionManagement><repository><id>myreg</id><url>${reg}</url></repository></distributionManagement></project>`,
    );
    const dep = await mvn(['deploy'], { cwd: parent });
    expect(dep.code, dep.output).toBe(0);
    const child = path.join(work, 'child');
    fs.mkdirSync(child);
    fs.writeFileSync(
      path.join(child, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example.acc</groupId><artifactId>acc-parent</artifactId><version>1.0.0</version><relativePath/></parent>
  <artifactId>acc-child</artifactId><packaging>pom</packaging>
  <repositories><repository><id>myreg</id><url>${reg}</url></repository></repositories></project>`,
    );
    const local = path.join(work, 'child-m2');
    const res = await mvn([`-Dmaven.repo.local=${local}`, 'validate'], { cwd: child });
    expect(res.code, res.output).toBe(0);
    expect(fs.existsSync(path.join(local, G, 'acc-parent/1.0.0/acc-parent-1.0.0.pom'))).toBe(true);
  });

  /**
   * Resolves com.example.acc:<artifactId>:1.0.0 with Maven's dependency:get into a fresh local repository and asks
   * the report for the same version: what Maven fetched (one folder per artifact version, sorted; `models` are the
   * parent POMs it read) and the report's dependency tree (its packages sorted).
   */
  async function resolveBoth(artifactId: string, localRepo: string, models: string[] = []) {
    const local = path.join(work, localRepo);
    const res = await mvn([
      `-Dmaven.repo.local=${local}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get',
      `-Dartifact=com.example.acc:${artifactId}:1.0.0:pom`,
      '-Dtransitive=true',
      `-DremoteRepositories=myreg::default::${reg}`,
    ]);
    expect(res.code, res.output).toBe(0);
    const mavenChose = fs
      .readdirSync(path.join(local, G))
      .filter((a) => !models.includes(a))
      .flatMap((a) =>
        fs
          .readdirSync(path.join(local, G, a))
          .filter((v) => !v.endsWith('.xml'))
          .map((v) => `com.example.acc:${a}@${v}`),
      )
      .sort();
    const report = await fetch(`${suite.urls.api}/api/packages/com.example.acc%3A${artifactId}/1.0.0/security?ecosystem=maven`, {
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    expect(report.status).toBe(200);
    const tree = (await report.json()).dependencies;
    return { mavenChose, tree: { ...tree, packages: [...tree.packages].sort() } };
  }

  it('the security report resolves the dependencies Maven resolves from a deployed POM (test scope left out)', async () => {
    const app = path.join(work, 'tree-app');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.example.acc</groupId><artifactId>acc-app</artifactId><version>1.0.0</version><packaging>pom</packaging>
  <properties><lib.version>1.0.0</lib.version></properties>
  <dependencies>
    <dependency><groupId>com.example.acc</groupId><artifactId>acc-lib</artifactId><version>\${lib.version}</version></dependency>
    <dependency><groupId>com.example.acc</groupId><artifactId>acc-test-only</artifactId><version>9.9</version><scope>test</scope></dependency>
  </dependencies>
  <distributionManagement><repository><id>myreg</id><url>${reg}</url></repository></distributionManagement></project>`,
    );
    const dep = await mvn(['deploy'], { cwd: app });
    expect(dep.code, dep.output).toBe(0);
    const { mavenChose, tree } = await resolveBoth('acc-app', 'tree-m2');
    expect(mavenChose).toEqual(['com.example.acc:acc-app@1.0.0', 'com.example.acc:acc-lib@1.0.0']);
    expect(tree.packages).toEqual(mavenChose);
    expect(tree).toMatchObject({ resolved: true, alerts: [], unknown: [] });
  });

  it('mvn deploy of a reactor whose parent manages the versions: the report resolves what Maven resolves', async () => {
    const root = path.join(work, 'reactor');
    fs.mkdirSync(path.join(root, 'mod'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.example.acc</groupId><artifactId>acc-reactor</artifactId><version>1.0.0</version><packaging>pom</packaging>
  <modules><module>mod</module></modules>
  <properties><lib.version>1.0.0</lib.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.example.acc</groupId><artifactId>acc-lib</artifactId><version>\${lib.version}</version></dependency>
  </dependencies></dependencyManagement>
  <distributionManagement><repository><id>myreg</id><url>${reg}</url></repository></distributionManagement></project>`,
    );
    fs.writeFileSync(
      path.join(root, 'mod', 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example.acc</groupId><artifactId>acc-reactor</artifactId><version>1.0.0</version></parent>
  <artifactId>acc-module</artifactId><packaging>pom</packaging>
  <dependencies><dependency><groupId>com.example.acc</groupId><artifactId>acc-lib</artifactId></dependency></dependencies></project>`,
    );
    const dep = await mvn(['deploy'], { cwd: root });
    expect(dep.code, dep.output).toBe(0);
    // The parent POM Maven also fetched (acc-reactor) is the model, not a dependency.
    const { mavenChose, tree } = await resolveBoth('acc-module', 'reactor-m2', ['acc-reactor']);
    expect(mavenChose).toEqual(['com.example.acc:acc-lib@1.0.0', 'com.example.acc:acc-module@1.0.0']);
    expect(tree.packages).toEqual(mavenChose);
    expect(tree).toMatchObject({ resolved: true, alerts: [], unknown: [] });
  });

  it('a private artifact: Maven answers the 401 challenge with its credentials; without them it fails', async () => {
    const jar = await makeJar('acc-secret-1.0.0.jar', 'private bytes');
    const dep = await mvn([
      'org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file',
      `-Dfile=${jar}`,
      '-DgroupId=com.example.acc',
      '-DartifactId=acc-secret',
      '-Dversion=1.0.0',
      '-Dpackaging=jar',
      '-DrepositoryId=privreg',
      `-Durl=${reg}`,
    ]);
    expect(dep.code, dep.output).toBe(0);
    const anon = await fetch(`${reg}/${G}/acc-secret/1.0.0/acc-secret-1.0.0.jar`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Basic realm="maven"');
    const local = path.join(work, 'private-m2');
    const [ok, denied] = await Promise.all([
      get('com.example.acc:acc-secret:1.0.0', local, 'privreg'),
      get('com.example.acc:acc-secret:1.0.0', path.join(work, 'anon-m2'), 'privreg', path.join(work, 'anon.xml')),
    ]);
    expect(ok.code, ok.output).toBe(0);
    expect(fs.readFileSync(path.join(local, G, 'acc-secret/1.0.0/acc-secret-1.0.0.jar')).equals(fs.readFileSync(jar))).toBe(true);
    expect(denied.code).toBe(1);
    expect(denied.output).toContain('401');
  });
  it('a private artifact of an org: Maven of an org member resolves it; Maven of a user outside the org cannot', async () => {
    const api = (method: string, url: string, body: unknown) =>
      fetch(`${suite.urls.api}${url}`, {
        method,
        headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const [carol, dave] = await Promise.all([createPublisher(suite, 'mvncarol'), createPublisher(suite, 'mvndave')]);
    expect((await api('POST', '/api/orgs', { name: 'mvnorg' })).status).toBe(201);
    expect((await api('PUT', '/api/orgs/mvnorg/members/mvncarol', { role: 'member' })).status).toBe(200);
    const give = await fetch(`${reg}/-/access`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`mvnalice:${aliceToken}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'com.example.acc:acc-secret', org: 'mvnorg' }),
    });
    expect(await give.json()).toMatchObject({ access: 'restricted', org: 'mvnorg' });
    const server = (user: string, secret: string) =>
      `<server><id>privreg</id><username>${user}</username><password>${secret}</password></server>`;
    settings(path.join(work, 'carol.xml'), server('mvncarol', carol));
    settings(path.join(work, 'dave.xml'), server('mvndave', dave));
    const member = path.join(work, 'org-member-m2');
    const [ok, outsider] = await Promise.all([
      get('com.example.acc:acc-secret:1.0.0', member, 'privreg', path.join(work, 'carol.xml')),
      get('com.example.acc:acc-secret:1.0.0', path.join(work, 'org-outsider-m2'), 'privreg', path.join(work, 'dave.xml')),
    ]);
    expect(ok.code, ok.output).toBe(0);
    expect(fs.existsSync(path.join(member, G, 'acc-secret/1.0.0/acc-secret-1.0.0.jar'))).toBe(true);
    expect(outsider.code).toBe(1);
    expect(outsider.output).toMatch(/acc-secret:(jar:)?1\.0\.0.*(not found|could not be resolved|Could not find)/is);
  });
});
