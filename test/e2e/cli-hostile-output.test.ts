// `info` and `search` as a reader of other publishers' packages: a description full of escape sequences (clear the
// screen, set the title, OSC 52 to the clipboard) is shown as visible \xNN text, never obeyed; a deprecated
// latest version is said so in the author's words, as npm view does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliUser, ensureUser, PUBLISH_CLI, startCliSuite } from '../helpers/cli.ts';
import type { Suite } from '../helpers/suite.ts';

vi.setConfig({ testTimeout: 180_000 });
let suite: Suite;

const ESC = '\u001b';
const BEL = '\u0007';
const HOSTILE = `nice ${ESC}[2J${ESC}[1;1HFAKE ${ESC}]0;owned${BEL} ${ESC}]52;c;cm0gLXJmIH4=${BEL}\rend`;

beforeAll(async () => {
  suite = await startCliSuite(['api', 'registry']);
  await ensureUser(suite, 'clihostile', 'clihostile-password-1');
}, 180_000);
afterAll(async () => suite?.stopAll());

describe('server text with control characters', () => {
  it('search and info print them escaped; --json keeps the exact value', async () => {
    const u = cliUser(suite, 'hostile');
    const login = await u.run(PUBLISH_CLI, ['login', '--username', 'clihostile'], { input: 'clihostile-password-1\n' });
    expect(login.code, login.stderr).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-hostile-'));
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'qa-escape-desc', version: '1.0.0', description: HOSTILE, license: 'MIT', keywords: ['qaescape'] }),
    );
    fs.writeFileSync(path.join(dir, 'index.js'), '');
    const pub = await u.run(PUBLISH_CLI, ['publish', dir]);
    expect(pub.code, pub.stderr).toBe(0);

    const info = await u.run(PUBLISH_CLI, ['info', 'qa-escape-desc']);
    expect(info.code, info.stderr).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is that none are left
    expect(info.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(info.stdout).toContain('nice \\x1b[2J\\x1b[1;1HFAKE \\x1b]0;owned\\x07 \\x1b]52;c;cm0gLXJmIH4=\\x07\\x0dend');

    const search = await u.run(PUBLISH_CLI, ['search', 'qa-escape-desc']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).toContain('qa-escape-desc');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is that none are left
    expect(search.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(search.stdout).toContain('nice \\x1b[2J');

    // JSON is for programs: JSON.stringify escapes control characters itself, and the value stays exact.
    const json = await u.run(PUBLISH_CLI, ['info', 'qa-escape-desc', '--json']);
    expect(json.json<{ description: string }>().description).toBe(HOSTILE);
  });

  it('info says the latest version is deprecated, with the message; not once a newer version is out', async () => {
    const u = cliUser(suite, 'deprecated');
    const login = await u.run(PUBLISH_CLI, ['login', '--username', 'clihostile'], { input: 'clihostile-password-1\n' });
    expect(login.code, login.stderr).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-deprecated-'));
    const write = (version: string) =>
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'qa-old-thing', version, license: 'MIT' }));
    fs.writeFileSync(path.join(dir, 'index.js'), '');
    write('1.0.0');
    expect((await u.run(PUBLISH_CLI, ['publish', dir])).code).toBe(0);
    const dep = await u.run(PUBLISH_CLI, ['deprecate', 'qa-old-thing', 'use qa-new-thing instead']);
    expect(dep.code, dep.stderr).toBe(0);
    const info = await u.run(PUBLISH_CLI, ['info', 'qa-old-thing']);
    expect(info.stdout.split('\n').slice(0, 2)).toEqual(['qa-old-thing@1.0.0 | MIT | 0 downloads', 'DEPRECATED: use qa-new-thing instead']);
    write('1.1.0');
    expect((await u.run(PUBLISH_CLI, ['publish', dir])).code).toBe(0);
    const newer = await u.run(PUBLISH_CLI, ['info', 'qa-old-thing']);
    expect(newer.stdout).not.toContain('DEPRECATED');
    expect(newer.stdout).toContain('1.1.0, 1.0.0 (deprecated)');
  });
});
