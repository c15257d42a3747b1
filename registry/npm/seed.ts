// Seed step: small real npm packages (the seed README's @elide/http and a few others, several versions each),
// published as demo through the same PUT path a user's npm uses (in-process buildApp + inject). Idempotent: the
// packer is deterministic, so a second run is an identical replay (200) and changes nothing.
import { type SeedStepContext, withSeedSession } from '../seed-session.ts';
import { npmPublishBody } from './pack.ts';

interface SeedVersion {
  version: string;
  tag?: string;
  dependencies?: Record<string, string>;
  code: string;
}

interface SeedPackage {
  name: string;
  description: string;
  keywords: string[];
  license: string;
  bin?: Record<string, string>;
  versions: SeedVersion[];
}

const HTTP_CODE = (v: string) => `'use strict';
// @elide/http ${v}: a tiny HTTP server and client on node:http.
const http = require('node:http');
exports.version = '${v}';
exports.createServer = (handler) => http.createServer((req, res) => {
  Promise.resolve(handler(req)).then((out) => {
    res.writeHead(out && out.status ? out.status : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out && out.body !== undefined ? out.body : out));
  }, (err) => { res.writeHead(500); res.end(String(err && err.message)); });
});
exports.get = (url) => fetch(url).then((r) => r.json());
`;

export const SEED_PACKAGES: SeedPackage[] = [
  {
    name: '@elide/http',
    description: 'HTTP server and client',
    keywords: ['http', 'server', 'client', 'elide'],
    license: 'Apache-2.0',
    versions: [
      { version: '1.0.0', code: HTTP_CODE('1.0.0') },
      { version: '1.1.0', code: HTTP_CODE('1.1.0') },
      { version: '2.0.0', code: HTTP_CODE('2.0.0') },
      { version: '2.1.0-beta.1', tag: 'beta', code: HTTP_CODE('2.1.0-beta.1') },
    ],
  },
  {
    name: '@elide/json',
    description: 'Safe JSON parsing with size limits and prototype-pollution protection',
    keywords: ['json', 'parse', 'security', 'elide'],
    license: 'Apache-2.0',
    versions: ['1.0.0', '1.0.1', '1.1.0'].map((v) => ({
      version: v,
      code: `'use strict';\n// @elide/json ${v}\nexports.parse = (text, max = 1e6) => {\n  if (text.length > max) throw new RangeError('JSON text too large');\n  return JSON.parse(text, (k, val) => (k === '__proto__' ? undefined : val));\n};\n`,
    })),
  },
  {
    name: '@elide/router',
    description: 'Path router for @elide/http',
    keywords: ['router', 'http', 'elide'],
    license: 'Apache-2.0',
    versions: ['0.9.0', '1.0.0'].map((v) => ({
      version: v,
      dependencies: { '@elide/http': '^2.0.0' },
      code: `'use strict';\n// @elide/router ${v}\nexports.router = (routes) => (req) => {\n  const h = routes[req.method + ' ' + new URL(req.url, 'http://x').pathname];\n  return h ? h(req) : { status: 404, body: { error: 'not found' } };\n};\n`,
    })),
  },
  {
    name: 'tiny-duration',
    description: 'Parse durations such as 7d, 12h, 30m or 45s into milliseconds',
    keywords: ['duration', 'time', 'parse'],
    license: 'MIT',
    bin: { 'tiny-duration': 'bin/cli.js' },
    versions: ['1.0.0', '1.0.1'].map((v) => ({
      version: v,
      code: `'use strict';\n// tiny-duration ${v}\nconst UNIT = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 };\nexports.parse = (s) => {\n  const m = /^(\\d+)([smhd])$/.exec(String(s));\n  if (!m) throw new Error('not a duration: ' + s);\n  return Number(m[1]) * UNIT[m[2]];\n};\n`,
    })),
  },
  // A stand-in named after the real lodash at versions on both sides of its published advisories
  // (GHSA-35jh-r3h4-6jhm and GHSA-29mw-wpgm-hmr9, fixed in 4.17.21; registry/security/seed-advisories.json), so the
  // security report, `npm audit` and `npm audit fix` show real data on first start.
  {
    name: 'lodash',
    description: 'Seed stand-in for lodash: 4.17.20 is affected by real published advisories that 4.17.21 fixes (security demo)',
    keywords: ['lodash', 'security-demo'],
    license: 'MIT',
    versions: ['4.17.20', '4.17.21'].map((v) => ({
      version: v,
      code: `'use strict';\n// lodash ${v} (seed stand-in)\nexports.VERSION = '${v}';\nexports.trim = (s) => String(s).trim();\n`,
    })),
  },
];

function filesOf(p: SeedPackage, v: SeedVersion): Record<string, string> {
  const files: Record<string, string> = {
    'index.js': v.code,
    'README.md': `# ${p.name}\n\n${p.description}.\n\n\`\`\`sh\nnpm install ${p.name}@${v.version}\n\`\`\`\n`,
    LICENSE: `${p.license} license. Copyright Elide.\n`,
  };
  if (p.bin) files['bin/cli.js'] = `#!/usr/bin/env node\nconsole.log(require('../index.js').parse(process.argv[2]));\n`;
  return files;
}

export async function seedNpmPackages(ctx: SeedStepContext) {
  await withSeedSession(ctx, 'npm packages', async ({ registry, token }) => {
    for (const p of SEED_PACKAGES) {
      for (const v of p.versions) {
        const manifest = {
          name: p.name,
          version: v.version,
          description: p.description,
          keywords: p.keywords,
          license: p.license,
          main: 'index.js',
          ...(p.bin ? { bin: p.bin } : {}),
          ...(v.dependencies ? { dependencies: v.dependencies } : {}),
        };
        const res = await registry.inject({
          method: 'PUT',
          url: `/npm/${p.name.replace('/', '%2f')}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(npmPublishBody(manifest, filesOf(p, v), v.tag)),
        });
        if (res.statusCode === 201) ctx.report.changes.push(`published ${p.name}@${v.version}${v.tag ? ` (${v.tag})` : ''} as demo`);
        else if (res.statusCode !== 200) throw new Error(`could not publish ${p.name}@${v.version}: ${res.statusCode} ${res.body}`);
      }
    }
  });
}
