// If-None-Match as RFC 9110 section 13.1.2 reads it: "*" or a list of entity tags, compared weakly (a W/ prefix on
// either side is ignored). One reading for every route that answers 304.
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** True when the client already holds the representation tagged `etag` (answer 304). */
export function holdsEtag(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',').map(opaque);
  return tags.includes('*') || tags.includes(opaque(etag));
}
