// The registry's own absolute URLs (npm's dist.tarball, the PyPI and RubyGems JSON APIs' links): REGISTRY_PUBLIC_URL
// when set, else the Host the client used (trap 13), validated so a junk Host cannot steer them, else the configured
// URL.
import { type Config, registryPublicOrigin } from '../lib/config.ts';

const HOST_RE = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** What the origin is read from: a Fastify request, or a raw one with its protocol (a fast path's). */
export interface OriginSource {
  headers: { host?: string };
  protocol: string;
}

/** The origin the ecosystem prefixes (/npm, /rubygems, ...) go after; REGISTRY_PUBLIC_URL may carry /npm or not. */
export function publicOrigin(config: Config) {
  const fixed = config.REGISTRY_PUBLIC_URL ? registryPublicOrigin(config) : undefined;
  const fallback = config.urls.registry;
  return (req: OriginSource): string => {
    if (fixed) return fixed;
    const host = req.headers.host;
    return host && HOST_RE.test(host) ? `${req.protocol}://${host}` : fallback;
  };
}
