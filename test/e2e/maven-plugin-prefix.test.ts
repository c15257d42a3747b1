// `mvn <prefix>:<goal>` with the real Maven 3.8.7 against the registry at /maven2/ (main API + registry processes),
// offline: a tiny real plugin (a Mojo compiled with javac against Maven's own API jar, a hand-written plugin
// descriptor, packaging maven-plugin) is deployed with deploy:deploy-file, then a project whose settings.xml lists
// <pluginGroup>com.acme</pluginGroup> and the registry as its plugin repository runs `mvn hello:greet`: Maven reads
// the group-level com/acme/maven-metadata.xml for the prefix, the plugin's metadata for its version, then the jar,
// and the goal runs. A private plugin resolves by prefix for a user with credentials (Maven answers the 401
// challenge of the group metadata) and not for an anonymous one. Central is mirrored to Debian's
// /usr/share/maven-repo (multiformat-protocols.md 2.6).
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

const DEBIAN = 'file:///usr/share/maven-repo';
const debianRepo = (tag: 'repository' | 'pluginRepository') =>
  `<${tag}><id>central</id><url>${DEBIAN}</url><releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></${tag}>`;

/** Settings: central mirrored to Debian's repository, the registry as plugin repository `myreg`, these pluginGroups. */
function settings(name: string, o: { servers?: string; pluginGroups?: string[] } = {}) {
  const file = path.join(work, name);
  fs.writeFileSync(
    file,
    `<settings>
  <localRepository>${work}/m2</localRepository>
  <pluginGroups>${(o.pluginGroups ?? []).map((g) => `<pluginGroup>${g}</pluginGroup>`).join('')}</pluginGroups>
  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>${DEBIAN}</url></mirror></mirrors>
  <profiles><profile><id>deb</id>
    <repositories>${debianRepo('repository')}</repositories>
    <pluginRepositories>${debianRepo('pluginRepository')}
      <pluginRepository><id>myreg</id><url>${reg}</url><releases><checksumPolicy>fail</checksumPolicy></releases></pluginRepository></pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>deb</activeProfile></activeProfiles>
  <servers>${o.servers ?? ''}</servers>
</settings>
`,
  );
  return file;
}

const mvn = (args: string[], o: { settings: string; cwd?: string }) =>
  run('mvn', ['-B', '-Dstyle.color=never', '-s', o.settings, ...args], { cwd: o.cwd ?? work, env });

/**
 * Builds a real Maven plugin: a Mojo that logs `message`, compiled against maven-plugin-api, its descriptor as
 * maven-plugin-plugin would write it, and a POM of packaging maven-plugin. Maven 3 puts plexus-utils 1.1 on the class
 * path of a plugin that does not depend on plexus-utils, and Debian's offline repository has only 3.4.2: the POM
 * depends on that one.
 */
async function buildPlugin(groupId: string, artifactId: string, prefix: string, message: string) {
  const dir = fs.mkdtempSync(path.join(work, `${artifactId}-`));
  const pkg = groupId.replace(/\./g, '/');
  fs.mkdirSync(path.join(dir, 'src', pkg), { recursive: true });
  fs.mkdirSync(path.join(dir, 'classes', 'META-INF', 'maven'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'src', pkg, 'GreetMojo.java'),
    `package ${groupId};
public class GreetMojo extends org.apache.maven.plugin.AbstractMojo {
  public void execute() { getLog().info("${message}"); }
}
`,
  );
  const javac = await run(
    'javac',
    [
      '--release',
      '8',
      '-nowarn',
      '-cp',
      '/usr/share/maven/lib/maven-plugin-api-3.x.jar',
      '-d',
      'classes',
      path.join('src', pkg, 'GreetMojo.java'),
    ],
    { cwd: dir, env },
  );
  expect(javac.code, javac.output).toBe(0);
  fs.writeFileSync(
    path.join(dir, 'classes', 'META-INF', 'maven', 'plugin.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<plugin>
  <name>${prefix} plugin &amp; friends</name>
  <description>says hello</description>
  <groupId>${groupId}</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>1.0.0</version>
  <goalPrefix>${prefix}</goalPrefix>
  <isolatedRealm>false</isolatedRealm>
  <inheritedByDefault>true</inheritedByDefault>
  <mojos>
    <mojo>
      <goal>greet</goal>
      <description>Logs a greeting.</description>
      <requiresProject>false</requiresProject>
      <implementation>${groupId}.GreetMojo</implementation>
      <language>java</language>
      <instantiationStrategy>per-lookup</instantiationStrategy>
      <executionStrategy>once-per-session</executionStrategy>
      <threadSafe>true</threadSafe>
    </mojo>
  </mojos>
  <dependencies/>
</plugin>
`,
  );
  const jarFile = path.join(dir, `${artifactId}-1.0.0.jar`);
  const jar = await run('jar', ['cf', jarFile, '-C', 'classes', '.'], { cwd: dir, env });
  expect(jar.code, jar.output).toBe(0);
  const pomFile = path.join(dir, 'pom.xml');
  fs.writeFileSync(
    pomFile,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>1.0.0</version><packaging>maven-plugin</packaging>
  <dependencies><dependency><groupId>org.codehaus.plexus</groupId><artifactId>plexus-utils</artifactId><version>3.4.2</version></dependency></dependencies>
</project>`,
  );
  return { jarFile, pomFile };
}

const deployFile = (plugin: { jarFile: string; pomFile: string }, repositoryId: string, settingsFile: string) =>
  mvn(
    [
      'org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file',
      `-Dfile=${plugin.jarFile}`,
      `-DpomFile=${plugin.pomFile}`,
      `-DrepositoryId=${repositoryId}`,
      `-Durl=${reg}`,
    ],
    { settings: settingsFile },
  );

/** A project of packaging pom (nothing to build) in which a prefixed goal is run, with a fresh local repository. */
function project(name: string) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.example.consumer</groupId><artifactId>${name}</artifactId><version>1.0</version><packaging>pom</packaging></project>`,
  );
  return { dir, localRepo: path.join(work, `${name}-m2`) };
}
const runGoal = (goal: string, p: { dir: string; localRepo: string }, settingsFile: string) =>
  mvn([`-Dmaven.repo.local=${p.localRepo}`, goal], { settings: settingsFile, cwd: p.dir });

let publisher: string;
let token: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'maven-prefix-e2e-'));
  env = mavenEnv(work);
  suite = await startSuite({ only: ['api', 'registry'] });
  reg = `${suite.urls.registry}/maven2`;
  publisher = 'mvnplugins';
  token = await createPublisher(suite, publisher);
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
});

describe('mvn <prefix>:<goal> resolves a plugin deployed to /maven2/ through the group-level metadata', () => {
  it('a project with <pluginGroup>com.acme</pluginGroup> runs `mvn hello:greet` from the registry', async () => {
    const cred = `<username>${publisher}</username><password>${token}</password>`;
    const deployer = settings('deployer.xml', { servers: `<server><id>myreg</id>${cred}</server>` });
    const consumer = settings('consumer.xml', { pluginGroups: ['com.acme'] });
    // Before the plugin exists the prefix is unknown, as it was for every plugin deployed here before.
    const [plugin, missing] = await Promise.all([
      buildPlugin('com.acme', 'hello-maven-plugin', 'hello', 'Hello from com.acme:hello-maven-plugin'),
      runGoal('hello:greet', project('before'), consumer),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain(`No plugin found for prefix 'hello' in the current project and in the plugin groups [com.acme`);

    const dep = await deployFile(plugin, 'myreg', deployer);
    expect(dep.code, dep.output).toBe(0);
    const served = await fetch(`${reg}/com/acme/maven-metadata.xml`);
    expect(served.status).toBe(200);
    const xml = await served.text();
    expect(xml).toContain(
      '<plugin>\n      <name>hello plugin &amp; friends</name>\n      <prefix>hello</prefix>\n      <artifactId>hello-maven-plugin</artifactId>\n    </plugin>',
    );

    const p = project('consumer');
    const res = await runGoal('hello:greet', p, consumer);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain('--- hello-maven-plugin:1.0.0:greet (default-cli) @ consumer ---');
    expect(res.output).toContain('[INFO] Hello from com.acme:hello-maven-plugin');
    // What Maven read for the prefix (its local copy of the registry's group metadata, checksum verified) and fetched.
    expect(fs.readFileSync(path.join(p.localRepo, 'com/acme/maven-metadata-myreg.xml'), 'utf8')).toContain('<prefix>hello</prefix>');
    expect(
      fs
        .readFileSync(path.join(p.localRepo, 'com/acme/hello-maven-plugin/1.0.0/hello-maven-plugin-1.0.0.jar'))
        .equals(fs.readFileSync(plugin.jarFile)),
    ).toBe(true);
  });

  it('a private plugin: Maven with credentials answers the challenge of the group metadata and runs it; anonymous Maven cannot', async () => {
    const cred = `<username>${publisher}</username><password>${token}</password>`;
    const privateServer = `<server><id>privreg</id>${cred}<configuration><httpHeaders><property><name>X-Package-Access</name><value>restricted</value></property></httpHeaders></configuration></server>`;
    const plugin = await buildPlugin('com.acme.internal', 'secret-maven-plugin', 'secret', 'Hello from the private plugin');
    const dep = await deployFile(plugin, 'privreg', settings('private-deployer.xml', { servers: privateServer }));
    expect(dep.code, dep.output).toBe(0);
    const anonymous = await fetch(`${reg}/com/acme/internal/maven-metadata.xml`);
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="maven"']);

    const groups = ['com.acme.internal'];
    const [member, outsider] = await Promise.all([
      runGoal(
        'secret:greet',
        project('member'),
        settings('member.xml', { pluginGroups: groups, servers: `<server><id>myreg</id>${cred}</server>` }),
      ),
      runGoal('secret:greet', project('anonymous'), settings('anonymous.xml', { pluginGroups: groups })),
    ]);
    expect(member.code, member.output).toBe(0);
    expect(member.output).toContain('[INFO] Hello from the private plugin');
    expect(outsider.code).toBe(1);
    expect(outsider.output).toContain(`No plugin found for prefix 'secret'`);
  });
});
