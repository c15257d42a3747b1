// Seed step: one small real package per ecosystem (PyPI elide-hello, Maven com.elide:elide-hello, RubyGems
// elide_hello), published as demo through the same upload paths twine, mvn and gem use (in-process buildApp +
// inject), so each ecosystem shows content on first start; plus a PyPI stand-in named after requests at versions on
// both sides of a real advisory (GHSA-j8r2-6x86-q33q, fixed in 2.31.0) for the security report, and a project that
// requires it below the fix so the report shows a transitive path on first start. The archives are
// deterministic: a second run is an identical re-upload and changes nothing.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { type SeedStepContext, withSeedSession } from '../seed-session.ts';
import { tar, tgz, wheel, zip } from './seed-pack.ts';

interface SeedProject {
  name: string;
  /** The import package inside the distribution. */
  module: string;
  version: string;
  summary: string;
  license: string;
  keywords: string;
  readme: string;
  code: string;
  /** Requires-Dist lines. */
  requires?: string[];
}

const PY_PROJECTS: SeedProject[] = [
  {
    name: 'elide-hello',
    module: 'elide_hello',
    version: '1.0.0',
    summary: 'Greets you from the Elide registry',
    license: 'Apache-2.0',
    keywords: 'hello,demo,elide',
    readme: '`pip install elide-hello`, then `python -c "import elide_hello; print(elide_hello.hi())"`.',
    code: 'def hi():\n    return "hello from elide"\n',
  },
  ...['2.30.0', '2.31.0'].map((version) => ({
    name: 'requests',
    module: 'requests',
    version,
    summary: 'Seed stand-in for requests: 2.30.0 is affected by a real published advisory that 2.31.0 fixes (security demo)',
    license: 'Apache-2.0',
    keywords: 'http,security-demo',
    readme: 'Not the real requests: a stand-in the seed publishes so the security report shows GHSA-j8r2-6x86-q33q.',
    code: `__version__ = "${version}"\n`,
  })),
  {
    name: 'elide-http-client',
    module: 'elide_http_client',
    version: '1.0.0',
    summary: 'Seed demo that pins requests below 2.31: its security report shows the advisory on a transitive path',
    license: 'MIT',
    keywords: 'http,security-demo',
    readme: 'Depends on `requests>=2.28,<2.31`, so its dependency tree resolves requests 2.30.0 (GHSA-j8r2-6x86-q33q).',
    code: 'import requests\n',
    requires: ['requests>=2.28,<2.31'],
  },
];

const pyMeta = (p: SeedProject) => `Metadata-Version: 2.1
Name: ${p.name}
Version: ${p.version}
Summary: ${p.summary}
Home-page: https://elide.dev
License: ${p.license}
Keywords: ${p.keywords}
Requires-Python: >=3.7
${(p.requires ?? []).map((r) => `Requires-Dist: ${r}\n`).join('')}
# ${p.name}

${p.readme}
`;

function multipart(fields: [string, string][], file: { name: string; bytes: Buffer }) {
  const boundary = 'elide-seed-boundary-7f3a';
  const parts: Buffer[] = fields.map(([k, v]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
  );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

const GEMSPEC = `--- !ruby/object:Gem::Specification
name: elide_hello
version: !ruby/object:Gem::Version
  version: 1.0.0
platform: ruby
authors:
- Elide
date: 2026-01-01 00:00:00.000000000 Z
dependencies: []
description: Greets you from the Elide registry.
email: demo@elide.dev
files:
- lib/elide_hello.rb
homepage: https://elide.dev
licenses:
- Apache-2.0
metadata: {}
require_paths:
- lib
required_ruby_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
required_rubygems_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
rubygems_version: 3.3.15
specification_version: 4
summary: Greets you from the Elide registry
`;

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.elide</groupId><artifactId>elide-hello</artifactId><version>1.0.0</version><packaging>jar</packaging>
  <name>elide-hello</name><description>Greets you from the Elide registry</description>
  <licenses><license><name>Apache-2.0</name></license></licenses>
</project>
`;

/** A wheel and an sdist of each project, as twine uploads them. */
async function seedPypi(ctx: SeedStepContext, registry: FastifyInstance, basic: string) {
  for (const p of PY_PROJECTS) {
    const dist = `${p.module}-${p.version}`;
    const dists = [
      {
        name: `${dist}-py3-none-any.whl`,
        filetype: 'bdist_wheel',
        bytes: wheel(dist, {
          [`${p.module}/__init__.py`]: p.code,
          [`${dist}.dist-info/METADATA`]: pyMeta(p),
          [`${dist}.dist-info/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: elide-seed\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
          [`${dist}.dist-info/top_level.txt`]: `${p.module}\n`,
        }),
      },
      {
        name: `${dist}.tar.gz`,
        filetype: 'sdist',
        bytes: tgz({
          [`${dist}/PKG-INFO`]: pyMeta(p),
          [`${dist}/${p.module}/__init__.py`]: p.code,
          [`${dist}/setup.py`]: `from setuptools import setup\nsetup(name="${p.name}", version="${p.version}", packages=["${p.module}"])\n`,
        }),
      },
    ];
    for (const d of dists) {
      const sha256 = createHash('sha256').update(d.bytes).digest('hex');
      const form = multipart(
        [
          [':action', 'file_upload'],
          ['protocol_version', '1'],
          ['name', p.name],
          ['version', p.version],
          ['filetype', d.filetype],
          ['sha256_digest', sha256],
        ],
        { name: d.name, bytes: d.bytes },
      );
      const res = await registry.inject({
        method: 'POST',
        url: '/pypi/legacy/',
        headers: { authorization: basic, 'content-type': form.contentType },
        payload: form.payload,
      });
      if (res.statusCode !== 200) throw fail(d.name, res);
      if (res.body === 'OK\n') ctx.report.changes.push(`published PyPI ${p.name} ${p.version} (${d.name}) as demo`);
    }
  }
}

const fail = (what: string, res: { statusCode: number; body: string }) =>
  new Error(`could not seed ${what}: ${res.statusCode} ${res.body}`);

export async function seedFormatPackages(ctx: SeedStepContext) {
  await withSeedSession(ctx, 'PyPI, Maven and RubyGems packages', async ({ registry, token }) => {
    const basic = `Basic ${Buffer.from(`demo:${token}`).toString('base64')}`;
    await seedPypi(ctx, registry, basic);
    // Maven: jar + POM and their checksums, as mvn deploy PUTs them.
    const base = '/maven2/com/elide/elide-hello/1.0.0/elide-hello-1.0.0';
    const jar = zip({
      'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\nCreated-By: elide-seed\n',
      'com/elide/hello/greeting.txt': 'hello from elide\n',
    });
    for (const [ext, bytes] of [
      ['jar', jar],
      ['pom', Buffer.from(POM)],
    ] as const) {
      const res = await registry.inject({ method: 'PUT', url: `${base}.${ext}`, headers: { authorization: basic }, payload: bytes });
      if (res.statusCode !== 200 && res.statusCode !== 201) throw fail(`elide-hello-1.0.0.${ext}`, res);
      if (res.statusCode === 201) ctx.report.changes.push(`published Maven com.elide:elide-hello:1.0.0 (${ext}) as demo`);
      for (const alg of ['sha1', 'md5']) {
        const sum = await registry.inject({
          method: 'PUT',
          url: `${base}.${ext}.${alg}`,
          headers: { authorization: basic },
          payload: createHash(alg).update(bytes).digest('hex'),
        });
        if (sum.statusCode !== 201) throw fail(`elide-hello-1.0.0.${ext}.${alg}`, sum);
      }
    }
    // RubyGems: a .gem as gem build lays it out, pushed with the token as the API key.
    const gem = tar({
      'metadata.gz': gzipSync(GEMSPEC),
      'data.tar.gz': tgz({ 'lib/elide_hello.rb': 'module ElideHello\n  def self.hi\n    "hello from elide"\n  end\nend\n' }),
      'checksums.yaml.gz': gzipSync('---\n'),
    });
    const push = await registry.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: token, 'content-type': 'application/octet-stream' },
      payload: gem,
    });
    if (push.statusCode === 200) ctx.report.changes.push('published RubyGems elide_hello 1.0.0 as demo');
    else if (push.statusCode !== 409) throw fail('elide_hello-1.0.0.gem', push);
  });
}
