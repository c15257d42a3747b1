// Usage figures for GET /api/auth/me that other processes own: active deployments (marketplace), storage and
// private packages (registry). Short deadlines; a peer that is down, slow or without the route gives undefined.
import type { PeerClient } from '../lib/http.ts';
import type { UsageSources } from './identity-context.ts';

/** The page must not wait a full peer timeout for a figure it can show as unknown. */
export const USAGE_DEADLINE_MS = 800;

export interface UsagePeers {
  marketplace: PeerClient;
  registry: PeerClient;
  timeoutMs?: number;
}

const numberOr = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * One call per peer per user at a time: the route asks for each figure separately and in parallel, and the
 * registry answers two of them in one body, so concurrent asks for the same user share the same request.
 */
function shared<T>(fetch: (userId: string) => Promise<T | undefined>) {
  const inFlight = new Map<string, Promise<T | undefined>>();
  return (userId: string) => {
    let p = inFlight.get(userId);
    if (!p) {
      p = fetch(userId).finally(() => inFlight.delete(userId));
      inFlight.set(userId, p);
    }
    return p;
  };
}

export function createPeerUsageSources(peers: UsagePeers): UsageSources {
  const timeoutMs = peers.timeoutMs ?? USAGE_DEADLINE_MS;
  const id = (userId: string) => encodeURIComponent(userId);
  const marketplace = shared((userId) =>
    peers.marketplace.get<{ activeDeployments?: unknown }>(`/internal/users/${id(userId)}/usage`, { timeoutMs }),
  );
  const registry = shared((userId) =>
    peers.registry.get<{ storageBytes?: unknown; privatePackages?: unknown }>(`/internal/usage/${id(userId)}`, { timeoutMs }),
  );
  return {
    activeDeployments: async (userId) => numberOr((await marketplace(userId))?.activeDeployments),
    storageBytes: async (userId) => numberOr((await registry(userId))?.storageBytes),
    privatePackages: async (userId) => numberOr((await registry(userId))?.privatePackages),
  };
}
