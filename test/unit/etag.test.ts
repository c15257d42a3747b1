// If-None-Match as every 304-answering route reads it (lib/etag.ts, RFC 9110 13.1.2).
import { describe, expect, it } from 'vitest';
import { holdsEtag } from '../../lib/etag.ts';

describe('holdsEtag', () => {
  it.each([
    [undefined, '"a"', false],
    ['"a"', '"a"', true],
    ['"b", "a"', '"a"', true],
    ['"b"', '"a"', false],
    ['W/"a"', '"a"', true],
    ['"a"', 'W/"a"', true],
    ['*', '"a"', true],
    [['"x"', '"a"'], '"a"', true],
    ['', '"a"', false],
    ['"a', '"a"', false],
  ])('If-None-Match %j against %s: %s', (header, etag, held) => {
    expect(holdsEtag(header as string | string[] | undefined, etag)).toBe(held);
  });
});
