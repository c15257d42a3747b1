// The peers the dashboard reads and acts through, and the Authorization header carrying the user's token.
import type { Config } from '../lib/config.ts';
import { createPeerClient, type PeerClient } from '../lib/http.ts';
import type { Secrets } from '../lib/secrets.ts';

export interface Peers {
  api: PeerClient;
  registry: PeerClient;
  marketplace: PeerClient;
  orchestrator: PeerClient;
}

export function createPeers(config: Config, secrets: Secrets): Peers {
  const timeoutMs = config.PEER_TIMEOUT_MS;
  return {
    api: createPeerClient({ name: 'main API', baseUrl: config.urls.api, timeoutMs }),
    registry: createPeerClient({ name: 'registry', baseUrl: config.urls.registry, timeoutMs, internalToken: secrets.internalToken }),
    marketplace: createPeerClient({ name: 'marketplace', baseUrl: config.urls.marketplace, timeoutMs }),
    orchestrator: createPeerClient({ name: 'orchestrator', baseUrl: config.urls.orchestrator, timeoutMs }),
  };
}

export const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
