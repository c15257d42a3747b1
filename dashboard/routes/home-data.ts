// The home page's figures: packages per ecosystem, services, recent publishes and, when signed in, my
// deployments and their cost this cycle. Each figure is best effort: a peer that is down shows "–".
// The public part is fetched anonymously (never a user's private packages) and cached for 10 s, so the
// busiest page costs at most one peer call per visitor.
import type { FastifyRequest } from 'fastify';
import { type HomeData, type PeerHealth, peerHealth } from '../pages/home.ts';
import { ECOSYSTEMS } from '../pages/packages.ts';
import type { Peers } from '../peers.ts';
import { getAs } from './common.ts';

const TTL_MS = 10_000;
type Search = { results: { name: string; version: string | null; updatedAt: string }[]; total: number };
/** The public part, shared by every visitor while it is cached. */
type Figures = { health: PeerHealth[]; data: Omit<HomeData, 'mine'> };

export function createHomeData(peers: Peers) {
  let cached: { at: number; value: Promise<Figures> } | undefined;
  const quiet = <T>(p: Promise<T | undefined>) => p.catch(() => undefined);

  async function load(requestId: string): Promise<Figures> {
    const [health, counts, recent, services] = await Promise.all([
      peerHealth(Object.values(peers), requestId),
      Promise.all(ECOSYSTEMS.map((e) => quiet(peers.api.get<Search>(`/api/packages/search?ecosystem=${e}&limit=1`, { requestId })))),
      quiet(peers.api.get<Search>('/api/packages/search?limit=100', { requestId })),
      quiet(peers.marketplace.get<{ total: number }>('/api/services?limit=1', { requestId })),
    ]);
    return {
      health,
      data: {
        perEcosystem: ECOSYSTEMS.map((ecosystem, i) => ({ ecosystem, total: counts[i]?.total ?? null })),
        services: services?.total ?? null,
        recent: [...(recent?.results ?? [])].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, 8),
      },
    };
  }

  /** `figures` is the same object for as long as the public part is cached: a key for what is built from it. */
  return async function homeData(req: FastifyRequest): Promise<{ health: PeerHealth[]; data: HomeData; figures: object }> {
    if (!cached || Date.now() - cached.at > TTL_MS) {
      const value = load(req.id);
      cached = { at: Date.now(), value };
      value.catch(() => {
        cached = undefined;
      });
    }
    // An anonymous visit (the busiest) gets the shared figures as they are.
    if (!req.session.me) {
      const figures = await cached.value;
      return { ...figures, figures };
    }
    const [figures, billing] = await Promise.all([
      cached.value,
      quiet(
        // One line is enough: the count is deploymentsTotal (the lines are paged).
        getAs<{ currentCost: number; projectedCost: number; deploymentsTotal: number }>(peers.marketplace, req, '/api/billing?limit=1'),
      ),
    ]);
    const mine = billing
      ? { deployments: billing.deploymentsTotal, currentCost: billing.currentCost, projectedCost: billing.projectedCost }
      : undefined;
    return { health: figures.health, data: { ...figures.data, mine }, figures };
  };
}
