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
