// publish-cli's npm file selection: the rules npm pack applies ("files", .npmignore/.gitignore, always-in/out lists),
// checked on in-memory projects and against the real `npm pack --dry-run` for the fixture project.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ignoredBy, parseIgnoreFile, readProject, selectPackFiles } from '../../client/npm-pack.ts';
import { ROOT } from '../helpers/suite.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/cli/npm-project');

describe('ignore rules', () => {
  it('matches basenames at any depth, anchored paths from the root, directories with everything below', () => {
    const rules = parseIgnoreFile('# comment\n*.log\n/build\ndocs/tmp/\n!keep.log\n');
    expect(ignoredBy(rules, 'a.log')).toBe(true);
    expect(ignoredBy(rules, 'src/deep/b.log')).toBe(true);
    expect(ignoredBy(rules, 'keep.log')).toBe(false);
    expect(ignoredBy(rules, 'build/out.js')).toBe(true);
    expect(ignoredBy(rules, 'src/build/out.js')).toBeUndefined();
    expect(ignoredBy(rules, 'docs/tmp/x.md')).toBe(true);
    expect(ignoredBy(rules, 'docs/tmp')).toBeUndefined();
    expect(ignoredBy(rules, 'src/index.js')).toBeUndefined();
  });

  it('supports ** and ?', () => {
    const rules = parseIgnoreFile('src/**/*.test.js\nfile?.txt');
    expect(ignoredBy(rules, 'src/a.test.js')).toBe(true);
    expect(ignoredBy(rules, 'src/x/y/a.test.js')).toBe(true);
    expect(ignoredBy(rules, 'lib/a.test.js')).toBeUndefined();
    expect(ignoredBy(rules, 'file1.txt')).toBe(true);
    expect(ignoredBy(rules, 'file10.txt')).toBeUndefined();
  });
});

describe('selectPackFiles', () => {
  const files = [
    'package.json',
    'README.md',
    'LICENSE',
    'index.js',
    'src/a.js',
    'src/a.test.js',
    '.npmrc',
    'package-lock.json',
    '.git/HEAD',
    'node_modules/x/index.js',
    'debug.log',
    '.env',
  ];

  it('without "files" or ignore files packs everything but the always-excluded', () => {
    expect(selectPackFiles({ files, pkg: {}, ignoreFiles: {} })).toEqual([
      '.env',
      'LICENSE',
      'README.md',
      'debug.log',
      'index.js',
      'package.json',
      'src/a.js',
      'src/a.test.js',
    ]);
  });

  it('.npmignore at the root excludes, .gitignore is used only when there is no .npmignore (as read from disk)', () => {
    expect(selectPackFiles({ files, pkg: {}, ignoreFiles: { '': '*.log\n.env\nsrc/*.test.js\n' } })).toEqual([
      'LICENSE',
      'README.md',
      'index.js',
      'package.json',
      'src/a.js',
    ]);
  });

  it('"files" keeps only what it names, plus package.json, README, LICENSE, main and bin', () => {
    const pkg = { files: ['src'], main: './index.js', bin: { x: 'bin/x.js' } };
    expect(selectPackFiles({ files: [...files, 'bin/x.js', 'bin/y.js'], pkg, ignoreFiles: { '': 'src\n' } })).toEqual([
      'LICENSE',
      'README.md',
      'bin/x.js',
      'index.js',
      'package.json',
      'src/a.js',
      'src/a.test.js',
    ]);
  });

  it('"files" negations and nested ignore files still apply', () => {
    const pkg = { files: ['src', '!src/*.test.js'] };
    expect(selectPackFiles({ files, pkg, ignoreFiles: {} })).toEqual(['LICENSE', 'README.md', 'package.json', 'src/a.js']);
    expect(selectPackFiles({ files, pkg: { files: ['src'] }, ignoreFiles: { src: 'a.test.js\n' } })).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
      'src/a.js',
    ]);
  });

  it('chooses the same files as npm pack for the fixture project', () => {
    const project = readProject(FIXTURE);
    const pkg = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'package.json'), 'utf8'));
    const mine = selectPackFiles({ files: project.files, pkg, ignoreFiles: project.ignoreFiles });
    const npm = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: FIXTURE, encoding: 'utf8' }),
    ) as {
      files: { path: string }[];
    }[];
    expect(mine).toEqual(npm[0].files.map((f) => f.path).sort());
    expect(mine).toEqual(['LICENSE', 'README.md', 'bin.js', 'docs/guide.md', 'lib/index.js', 'lib/internal.js', 'package.json']);
  });
});
