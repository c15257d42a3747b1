// The CLIs' pure output: the seed README's status block, tables, catalog grouping, config resolution and argument parsing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockfilePackages } from '../../client/commands/audit.ts';
import { catalogTables } from '../../client/commands/catalog.ts';
import { parseConfigArg } from '../../client/commands/deploy.ts';
import { npmNameProblem } from '../../client/commands/publish.ts';
import { parseDistFilename } from '../../client/commands/publish-other.ts';
import { npmPath, splitSpec } from '../../client/commands/registry-ops.ts';
import { configDir, currentCredential, readLogin, resolveUrls, saveLogin } from '../../client/config.ts';
import { colour, formatCount, formatMoney, formatStatusBlock, formatTable, printable, truncate } from '../../client/output.ts';

describe('status block', () => {
  it('prints the seed README example exactly', () => {
    const block = formatStatusBlock({
      name: 'production-db',
      status: 'running',
      metrics: { requests: 125432, errors: 12, avgResponseTime: 23, uptime: 99.95 },
      billing: { currentCost: 47.5, projectedCost: 95, currency: 'USD' },
    });
    expect(block).toBe(
      [
        'Deployment: production-db',
        'Status: running',
        'Metrics:',
        '  Requests: 125,432',
        '  Errors: 12',
        '  Avg Response Time: 23ms',
        '  Uptime: 99.95%',
        'Billing:',
        '  Current Cost: $47.50',
        '  Projected Cost: $95.00',
      ].join('\n'),
    );
  });

  it('formats thousands in money', () => {
    expect(formatMoney(1234.5)).toBe('$1,234.50');
    expect(formatMoney(0)).toBe('$0.00');
  });
});

describe('tables', () => {
  it('pads columns, right-aligns numbers, truncates long cells and trims trailing space', () => {
    const rows = [
      { n: 'a', v: 5, d: 'short' },
      { n: 'longer-name', v: 12345, d: 'a description that is far too long to show' },
    ];
    const t = formatTable(rows, [
      { header: 'NAME', get: (r) => r.n },
      { header: 'N', get: (r) => String(r.v), align: 'right' },
      { header: 'DESC', get: (r) => r.d, max: 12 },
    ]);
    expect(t.split('\n')).toEqual(['NAME             N  DESC', 'a                5  short', 'longer-name  12345  a descripti…']);
  });

  it('truncate flattens whitespace', () => expect(truncate('a\n  b', 10)).toBe('a b'));

  it('shows control characters from data as \\xNN, keeps its own colours, and pads by what is shown', () => {
    // A hostile cell (a package description) next to a coloured one of ours (a status on a terminal).
    const hostile = 'x\u001b]0;title\u0007\u009b2J';
    expect(printable(`${colour.green(true, 'ok')} ${hostile}`)).toBe('\u001b[32mok\u001b[39m x\\x1b]0;title\\x07\\x9b2J');
    expect(printable('tab\tand\nnewline stay')).toBe('tab\tand\nnewline stay');
    const t = formatTable(
      [{ a: hostile }, { a: 'short' }],
      [
        { header: 'A', get: (r) => r.a },
        { header: 'B', get: () => 'b' },
      ],
    );
    expect(t.split('\n')).toEqual(['A                        B', 'x\\x1b]0;title\\x07\\x9b2J  b', 'short                    b']);
  });

  it('groups the catalog by category', () => {
    const s = (slug: string, category: string, startingPrice: number) => ({
      id: slug,
      name: slug,
      slug,
      category,
      description: '',
      averageRating: 4.5,
      ratingCount: slug === 'pg' ? 2 : 0,
      startingPrice,
      regions: ['us-east-1'],
    });
    const out = catalogTables([s('pg', 'database', 0), s('cdn', 'storage', 9), s('redis', 'database', 15)], (x) => x);
    expect(out.split('\n')).toEqual([
      'DATABASE',
      'SLUG   NAME        FROM  RATING   REGIONS',
      'pg     pg          free  4.5 (2)  us-east-1',
      'redis  redis  $15.00/mo  -        us-east-1',
      '',
      'STORAGE',
      'SLUG  NAME      FROM  RATING  REGIONS',
      'cdn   cdn   $9.00/mo  -       us-east-1',
    ]);
  });
});

describe('config', () => {
  it('flags win over ELIDE_* env over defaults; a registry URL may end in /npm/', () => {
    expect(resolveUrls({}, {})).toEqual({
      api: 'http://localhost:3000',
      registry: 'http://localhost:4873',
      marketplace: 'http://localhost:3001',
    });
    expect(
      resolveUrls(
        { apiUrl: 'http://a:1/' },
        { ELIDE_API_URL: 'http://b:2', ELIDE_REGISTRY_URL: 'http://r:3/npm/', ELIDE_MARKETPLACE_URL: 'http://m:4' },
      ),
    ).toEqual({
      api: 'http://a:1',
      registry: 'http://r:3',
      marketplace: 'http://m:4',
    });
  });

  it('stores the login 0600 under XDG_CONFIG_HOME, and ELIDE_TOKEN overrides it', () => {
    const xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-cfg-'));
    const env = { XDG_CONFIG_HOME: xdg };
    expect(configDir(env)).toBe(path.join(xdg, 'elide'));
    const file = saveLogin({ token: 'elk_x', username: 'u', apiUrl: 'http://a', expiresAt: null, savedAt: 'now' }, env);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readLogin(env)?.username).toBe('u');
    // A stored login carries where it was made (client/http.ts sends it nowhere else); old files name the API only.
    expect(currentCredential(env)).toEqual({ token: 'elk_x', source: 'file', username: 'u', issuedFor: { api: 'http://a' } });
    expect(currentCredential({ ...env, ELIDE_TOKEN: 'elk_env' })).toEqual({ token: 'elk_env', source: 'env' });
  });
});

describe('arguments', () => {
  it('splits package specs and encodes scoped names as npm does', () => {
    expect(splitSpec('@a/b@^1')).toEqual(['@a/b', '^1']);
    expect(splitSpec('@a/b')).toEqual(['@a/b', undefined]);
    expect(splitSpec('x@1.0.0')).toEqual(['x', '1.0.0']);
    expect(npmPath('@a/b')).toBe('@a%2fb');
  });

  it('checks npm names before any upload', () => {
    expect(npmNameProblem('ok-name')).toBeUndefined();
    expect(npmNameProblem('@scope/ok')).toBeUndefined();
    expect(npmNameProblem('Bad')).toBe('the name "Bad" must be lowercase');
    expect(npmNameProblem('.hidden')).toContain('cannot start with . or _');
    expect(npmNameProblem(undefined)).toBe('package.json has no "name"');
  });

  it('parses --config as JSON or a file, refusing anything else', () => {
    expect(parseConfigArg('{"model":{"framework":"tensorflow"}}')).toEqual({ model: { framework: 'tensorflow' } });
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-conf-')), 'c.json');
    fs.writeFileSync(f, '{"tier":"gpu"}');
    expect(parseConfigArg(f)).toEqual({ tier: 'gpu' });
    expect(() => parseConfigArg('[1]')).toThrow('--config must be a JSON object');
    expect(() => parseConfigArg('/nonexistent/c.json')).toThrow('neither a JSON object nor an existing file');
    fs.writeFileSync(f, '{tier');
    expect(() => parseConfigArg(f)).toThrow(`--config file ${f} is not valid JSON`);
    expect(() => parseConfigArg('{bad')).toThrow('--config is not valid JSON');
  });

  it('reads Python distribution file names', () => {
    expect(parseDistFilename('my_pkg-1.0.0-py3-none-any.whl')).toEqual({
      name: 'my_pkg',
      version: '1.0.0',
      filetype: 'bdist_wheel',
      pyversion: 'py3',
    });
    expect(parseDistFilename('my-pkg-1.0.0.tar.gz')).toEqual({ name: 'my-pkg', version: '1.0.0', filetype: 'sdist', pyversion: 'source' });
    expect(parseDistFilename('README.md')).toBeUndefined();
  });

  it('reads package-lock v3 and v1 packages', () => {
    expect(
      lockfilePackages({
        packages: {
          '': {},
          'node_modules/a': { version: '1.0.0' },
          'node_modules/b/node_modules/a': { version: '2.0.0' },
          'node_modules/l': { link: true },
        },
      }),
    ).toEqual({ a: ['1.0.0', '2.0.0'] });
    expect(lockfilePackages({ dependencies: { a: { version: '1.0.0', dependencies: { c: { version: '3.0.0' } } } } })).toEqual({
      a: ['1.0.0'],
      c: ['3.0.0'],
    });
  });
});

describe('counts', () => {
  it('are singular for exactly one and grouped in thousands', () => {
    expect([0, 1, 2, 1234567].map((n) => formatCount(n, 'download'))).toEqual([
      '0 downloads',
      '1 download',
      '2 downloads',
      '1,234,567 downloads',
    ]);
    expect(formatCount(1, 'entry', 'entries')).toBe('1 entry');
  });
});
