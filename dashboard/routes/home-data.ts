// The home page's figures: packages per ecosystem, services, recent publishes and, when signed in, my
// deployments and their cost this cycle. Each figure is best effort: a peer that is down shows "–".
import type { FastifyRequest } from 'fastify';
import type { HomeData } from '../pages/home.ts';
import { ECOSYSTEMS } from '../pages/packages.ts';
import type { Peers } from '../peers.ts';
import { getAs } from './common.ts';

export async function homeData(peers: Peers, req: FastifyRequest): Promise<HomeData> {
  const quiet = <T>(p: Promise<T | undefined>) => p.catch(() => undefined);
  type Search = { results: { name: string; version: string | null; updatedAt: string }[]; total: number };
  const [counts, recent, services, billing] = await Promise.all([
    Promise.all(ECOSYSTEMS.map((e) => quiet(getAs<Search>(peers.api, req, `/api/packages/search?ecosystem=${e}&limit=1`)))),
    quiet(getAs<Search>(peers.api, req, '/api/packages/search?limit=100')),
    quiet(getAs<{ total: number }>(peers.marketplace, req, '/api/services?limit=1')),
    req.session.me
      ? quiet(getAs<{ currentCost: number; projectedCost: number; deployments: unknown[] }>(peers.marketplace, req, '/api/billing'))
      : undefined,
  ]);
  return {
    perEcosystem: ECOSYSTEMS.map((ecosystem, i) => ({ ecosystem, total: counts[i]?.total ?? null })),
    services: services?.total ?? null,
    recent: [...(recent?.results ?? [])].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, 8),
    mine: billing
      ? { deployments: billing.deployments.length, currentCost: billing.currentCost, projectedCost: billing.projectedCost }
      : undefined,
  };
}
