// PEP 508 environment markers ("; python_version < '3.8' and sys_platform == 'win32'"), evaluated the way pip
// evaluates them, for one target environment. Why: counting every conditional dependency (the old behaviour) put
// backports and Windows-only packages into Linux trees, and made exclusive pairs such as
// `foo<2; python_version<"3.8"` + `foo>=2; python_version>="3.8"` an unresolvable conflict.
import * as pep440 from '@renovatebot/pep440';

export type MarkerEnvironment = Record<(typeof VARIABLES)[number], string>;

const VARIABLES = [
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
] as const;

/**
 * The environment every PyPI tree is resolved for: CPython 3.13 (Debian 13's Python) on Linux x86_64, the usual
 * server a team deploys to, installing no extra (pip's base install: `extra == "…"` is false).
 */
export const PYPI_TARGET_ENVIRONMENT: MarkerEnvironment = {
  python_version: '3.13',
  python_full_version: '3.13.5',
  os_name: 'posix',
  sys_platform: 'linux',
  platform_release: '',
  platform_system: 'Linux',
  platform_version: '',
  platform_machine: 'x86_64',
  platform_python_implementation: 'CPython',
  implementation_name: 'cpython',
  implementation_version: '3.13.5',
  extra: '',
};

// Tokens: a quoted string, an operator, a parenthesis, or a word (a variable, `and`, `or`, `in`, `not`).
const TOKEN = /\s*(?:"([^"]*)"|'([^']*)'|(===|==|!=|<=|>=|~=|<|>)|([()])|([A-Za-z_][A-Za-z0-9_.]*))/y;
type Token = { str: string } | { op: string } | { paren: string } | { word: string };

function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined || m[2] !== undefined) out.push({ str: m[1] ?? m[2] });
    else if (m[3]) out.push({ op: m[3] });
    else if (m[4]) out.push({ paren: m[4] });
    else out.push({ word: m[5] });
  }
  return out;
}

/** One comparison: a version comparison when both sides are PEP 440 versions, else Python's string comparison. */
function compare(lhs: string, op: string, rhs: string): boolean {
  if (op === 'in') return rhs.includes(lhs);
  if (op === 'not in') return !rhs.includes(lhs);
  // A version comparison when lhs is a version and `op rhs` a PEP 440 specifier (wildcards such as "3.*" included).
  if (op !== '===' && pep440.valid(lhs) !== null && pep440.validRange(`${op}${rhs}`)) {
    return pep440.satisfies(lhs, `${op}${rhs}`, { prereleases: true });
  }
  if (op === '===') return lhs === rhs;
  switch (op) {
    case '==':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    default:
      // "~=" between strings that are not versions: pip raises an error; the marker is treated as unknown.
      throw new Error(`invalid marker comparison ${op}`);
  }
}

/**
 * Whether a marker holds in env; undefined when the marker cannot be read (a typo, an unknown variable): the caller
 * then keeps the dependency, as counting it is the safe side for a security report.
 */
export function evaluateMarker(text: string, env: MarkerEnvironment = PYPI_TARGET_ENVIRONMENT): boolean | undefined {
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0) return undefined;
  let i = 0;
  const peekWord = () => {
    const t = tokens[i];
    return t && 'word' in t ? t.word : undefined;
  };
  const value = (): string => {
    const t = tokens[i++];
    if (t && 'str' in t) return t.str;
    if (t && 'word' in t) {
      // PEP 345's dotted names (os.name, sys.platform, platform.version, …) are still accepted by pip.
      const name = t.word.replace(/\./g, '_');
      if ((VARIABLES as readonly string[]).includes(name)) return env[name as keyof MarkerEnvironment];
    }
    throw new Error('expected a variable or a quoted string');
  };
  const operator = (): string => {
    const t = tokens[i++];
    if (t && 'op' in t) return t.op;
    if (t && 'word' in t && t.word === 'in') return 'in';
    if (t && 'word' in t && t.word === 'not' && peekWord() === 'in') {
      i++;
      return 'not in';
    }
    throw new Error('expected a comparison');
  };
  const atom = (): boolean => {
    const t = tokens[i];
    if (t && 'paren' in t && t.paren === '(') {
      i++;
      const inner = or();
      const close = tokens[i++];
      if (!close || !('paren' in close) || close.paren !== ')') throw new Error('expected )');
      return inner;
    }
    const lhs = value();
    const op = operator();
    return compare(lhs, op, value());
  };
  const and = (): boolean => {
    let result = atom();
    while (peekWord() === 'and') {
      i++;
      result = atom() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peekWord() === 'or') {
      i++;
      result = and() || result;
    }
    return result;
  };
  try {
    const result = or();
    return i === tokens.length ? result : undefined;
  } catch {
    return undefined;
  }
}
