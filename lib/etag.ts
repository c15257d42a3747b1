// HTTP caching of the registry's answers. If-None-Match as RFC 9110 section 13.1.2 reads it: "*" or a list of
// entity tags, compared weakly (a W/ prefix on either side is ignored). One reading for every route that answers
// 304, and one Cache-Control for every file that never changes.
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** True when the client already holds the representation tagged `etag` (answer 304). */
export function holdsEtag(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',').map(opaque);
  return tags.includes('*') || tags.includes(opaque(etag));
}

/**
 * Cache-Control of a file whose bytes never change (a tarball, a wheel, a gem, a release jar). A private package's
 * file may be kept by the client that fetched it, never by a shared cache (a proxy or CDN between the registry and
 * its users would hand it to anyone: RFC 9111 section 5.2.2.7).
 */
export function immutableCacheControl(access: string): string {
  return `${access === 'public' ? 'public' : 'private'}, max-age=31536000, immutable`;
}
