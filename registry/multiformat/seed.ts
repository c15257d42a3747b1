// Seed step: one small real package per ecosystem (PyPI elide-hello, Maven com.elide:elide-hello, RubyGems
// elide_hello), published as demo through the same upload paths twine, mvn and gem use (in-process buildApp +
// inject), so each ecosystem shows content on first start. The archives are deterministic: a second run is an
// identical re-upload and changes nothing.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildApp as buildApiApp } from '../../api/app.ts';
import { openApiDatabase } from '../../api/db.ts';
import { systemClock } from '../../lib/clock.ts';
import type { Config } from '../../lib/config.ts';
import { lazyReadonly } from '../../lib/db.ts';
import type { Secrets } from '../../lib/secrets.ts';
import { buildApp } from '../app.ts';
import { openRegistryDatabase } from '../db.ts';
import { tar, tgz, wheel, zip } from './seed-pack.ts';

const PY_META = `Metadata-Version: 2.1
Name: elide-hello
Version: 1.0.0
Summary: Greets you from the Elide registry
Home-page: https://elide.dev
License: Apache-2.0
Keywords: hello,demo,elide
Requires-Python: >=3.7

# elide-hello

\`pip install elide-hello\`, then \`python -c "import elide_hello; print(elide_hello.hi())"\`.
`;
const PY_CODE = 'def hi():\n    return "hello from elide"\n';

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

export async function seedFormatPackages(ctx: { config: Config; secrets: Secrets; report: { changes: string[] } }) {
  const api = await buildApiApp({
    config: ctx.config,
    secrets: ctx.secrets,
    clock: systemClock,
    logger: 'silent',
    db: openApiDatabase(ctx.config.DATABASE_PATH),
  });
  const registry = await buildApp({
    config: ctx.config,
    secrets: ctx.secrets,
    clock: systemClock,
    logger: 'silent',
    db: openRegistryDatabase(ctx.config.REGISTRY_DATABASE_PATH),
    identityDb: lazyReadonly(ctx.config.DATABASE_PATH),
  });
  try {
    const login = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'demo', password: 'demo123' } });
    if (login.statusCode !== 200) {
      ctx.report.changes.push('skipped PyPI, Maven and RubyGems packages: the demo user cannot log in with its seed password');
      return;
    }
    const token = (login.json() as { token: string }).token;
    const basic = `Basic ${Buffer.from(`demo:${token}`).toString('base64')}`;
    try {
      const fail = (what: string, res: { statusCode: number; body: string }) =>
        new Error(`could not seed ${what}: ${res.statusCode} ${res.body}`);
      // PyPI: a wheel and an sdist, as twine uploads them.
      const dist = 'elide_hello-1.0.0';
      const dists = [
        {
          name: `${dist}-py3-none-any.whl`,
          filetype: 'bdist_wheel',
          bytes: wheel(dist, {
            'elide_hello/__init__.py': PY_CODE,
            [`${dist}.dist-info/METADATA`]: PY_META,
            [`${dist}.dist-info/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: elide-seed\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
            [`${dist}.dist-info/top_level.txt`]: 'elide_hello\n',
          }),
        },
        {
          name: `${dist}.tar.gz`,
          filetype: 'sdist',
          bytes: tgz({
            [`${dist}/PKG-INFO`]: PY_META,
            [`${dist}/elide_hello/__init__.py`]: PY_CODE,
            [`${dist}/setup.py`]: 'from setuptools import setup\nsetup(name="elide-hello", version="1.0.0", packages=["elide_hello"])\n',
          }),
        },
      ];
      for (const d of dists) {
        const sha256 = createHash('sha256').update(d.bytes).digest('hex');
        const form = multipart(
          [
            [':action', 'file_upload'],
            ['protocol_version', '1'],
            ['name', 'elide-hello'],
            ['version', '1.0.0'],
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
        if (res.body === 'OK\n') ctx.report.changes.push(`published PyPI elide-hello 1.0.0 (${d.name}) as demo`);
      }
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
    } finally {
      await api.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } });
    }
  } finally {
    await registry.close();
    await api.close();
  }
}
