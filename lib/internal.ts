// Guard for /internal/* routes: only our own processes, holding the internal token, may call them.
// A user token is never accepted here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';
import { safeEqual } from './tokens.ts';

export function requireInternalToken(internalToken: string) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const given = req.headers['x-internal-token'];
    if (typeof given !== 'string' || !safeEqual(given, internalToken)) {
      throw new AppError(403, 'INTERNAL_ONLY', "this route is for the suite's own processes");
    }
  };
}

/**
 * The registry's generation when it read an answer the main API may keep (registry/change-feed.ts,
 * api/registry-changes.ts).
 */
export const REGISTRY_GENERATION_HEADER = 'x-registry-generation';

/** The end client's address, forwarded by one of our processes; the main API believes it only next to the internal token. */
export const CLIENT_IP_HEADER = 'x-elide-client-ip';

/** Headers that name the end client to the main API (its rate limits and audit trail), as the registry and dashboard forward them. */
export const forwardedClientHeaders = (internalToken: string, ip: string): Record<string, string> => ({
  'x-internal-token': internalToken,
  [CLIENT_IP_HEADER]: ip,
});

/**
 * How old the download counts of a kept search answer may be. Counts are flushed every second under installs, so
 * registry/search.ts keeps its answers across them (migration 054), and api/packages.ts keeps the REST search's
 * bodies no longer than the same window. npmjs.com's search shows counts of the day before.
 */
export const SEARCH_COUNTS_MAX_AGE_MS = 60_000;

/** The window of SEARCH_COUNTS_MAX_AGE_MS that a time falls in: kept search answers go when it changes. */
export const searchCountsWindow = (ms: number) => Math.floor(ms / SEARCH_COUNTS_MAX_AGE_MS);
