// Source preparation for the pattern rules: comments blanked (offsets and lines kept, so file:line stays
// exact), string concatenations folded ('child_' + 'process' -> 'child_process', reference 4.4 step 4),
// minified-bundle recognition (reference 4.5 point 4) and offset -> line lookup.

/** Blanks JS comments with spaces, keeping newlines and string literals; Python/Ruby/shell "#" lines too. */
export function maskComments(src: string, lang: 'js' | 'hash'): string {
  if (lang === 'hash') return src.replace(/^([ \t]*)#.*$/gm, (m, indent: string) => indent + ' '.repeat(m.length - indent.length));
  const out = src.split('');
  let i = 0;
  let quote: string | undefined;
  while (i < src.length) {
    const c = src[i];
    if (quote) {
      if (c === '\\') i += 2;
      else {
        if (c === quote || (c === '\n' && quote !== '`')) quote = undefined;
        i++;
      }
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') out[i++] = ' ';
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) if (src[i] !== '\n') out[i] = ' ';
    } else i++;
  }
  return out.join('');
}

/** Folds 'a' + 'b' on one line into 'ab', padding with spaces so offsets after it do not move. */
export function foldConcatenations(src: string): string {
  const re = /(['"])([^'"\\\n]*)\1[ \t]*\+[ \t]*(['"])([^'"\\\n]*)\3/g;
  let prev: string;
  let cur = src;
  do {
    prev = cur;
    cur = cur.replace(re, (m, _q1, a: string, _q2, b: string) => {
      const folded = `'${a}${b}'`;
      return folded + ' '.repeat(m.length - folded.length);
    });
  } while (cur !== prev);
  return cur;
}

/**
 * Reads the global object's computed members as the names they are: `globalThis['eval'](…)`, `window["Function"]`
 * (after folding, `global['ev' + 'al']` too) become `eval`/`Function`, padded so offsets do not move, so the rules
 * that look for eval( and Function( see them.
 */
export function foldGlobalMembers(src: string): string {
  return src.replace(/\b(?:globalThis|global|window|self)\s*\[\s*(['"`])(eval|Function)\1\s*\]/g, (m, _q, name: string) =>
    name.padEnd(m.length, ' '),
  );
}

export function lineAt(src: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

/** A minified bundle: mean line length > 500, or > 90% of bytes on <= 3 lines, or a sourceMappingURL. */
export function isMinifiedBundle(src: string): boolean {
  if (/\/\/[#@] sourceMappingURL=/.test(src)) return true;
  const lines = src.split('\n');
  if (src.length / lines.length > 500) return true;
  const longest = lines.map((l) => l.length).sort((a, b) => b - a);
  const top3 = (longest[0] ?? 0) + (longest[1] ?? 0) + (longest[2] ?? 0);
  return src.length > 2000 && top3 > 0.9 * src.length;
}

export const JS_EXT = /\.(c|m)?(j|t)sx?$/;
export const HASH_EXT = /\.(py|rb|sh|gemspec)$|(^|\/)Rakefile$/;
