// GET /api/auth/me usage from the peers that own it: a tiny local Fastify stands in for the marketplace and
// the registry; a peer that is down, slow, failing or without the route leaves its figure null, never a 500.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openApiDatabase } from '../../api/db.ts';
import { createManualClock } from '../../lib/clock.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';

type Handler = (userId: string) => { status: number; body?: unknown; delayMs?: number };

interface PeerPlan {
  marketplace?: Handler;
  registry?: Handler;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

/** One local server answering both peers' usage routes; records the internal token each call carried. */
async function startPeer(plan: PeerPlan) {
  const seen: { path: string; token: unknown }[] = [];
  const peer: FastifyInstance = Fastify({ logger: false });
  const answer = (h: Handler | undefined) => async (req: FastifyRequest, reply: FastifyReply) => {
    seen.push({ path: req.url, token: req.headers['x-internal-token'] });
    if (!h) return reply.status(404).send({ error: 'no route', code: 'ROUTE_NOT_FOUND' });
    const r = h((req.params as { id: string }).id);
    if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
    return reply.status(r.status).send(r.body ?? {});
  };
  peer.get('/internal/users/:id/usage', answer(plan.marketplace));
  peer.get('/internal/usage/:id', answer(plan.registry));
  const url = await peer.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => peer.close());
  return { url, seen };
}

/** A port nobody listens on: bound, then released. */
async function closedPort() {
  const s = Fastify({ logger: false });
  const url = await s.listen({ host: '127.0.0.1', port: 0 });
  await s.close();
  return url;
}

async function buildWith(marketplaceUrl: string, registryUrl: string, peerTimeoutMs = 3000) {
  const config = testConfig({
    ELIDE_MARKETPLACE_URL: marketplaceUrl,
    ELIDE_REGISTRY_URL: registryUrl,
    PEER_TIMEOUT_MS: String(peerTimeoutMs),
  });
  const app = await buildApp({
    config,
    secrets: testSecrets,
    db: openApiDatabase(':memory:'),
    clock: createManualClock(),
    logger: 'silent',
  });
  closers.push(() => app.close());
  const reg = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { username: 'usage-user', email: 'usage@example.com', password: 'usage-password' },
  });
  const { userId, token } = reg.json() as { userId: string; token: string };
  const me = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { usage: Record<string, number | null> }).usage;
  };
  return { app, userId, me };
}

describe('GET /api/auth/me usage from the peers', () => {
  it('fills activeDeployments from the marketplace and storage/private packages from the registry, with the internal token', async () => {
    const users: string[] = [];
    const peer = await startPeer({
      marketplace: (id) => {
        users.push(id);
        return { status: 200, body: { userId: id, activeDeployments: 2 } };
      },
      registry: () => ({ status: 200, body: { storageBytes: 12_345, privatePackages: 3 } }),
    });
    const f = await buildWith(peer.url, peer.url);
    expect(await f.me()).toEqual({ activeDeployments: 2, webhooks: 0, privatePackages: 3, storageBytes: 12_345, apiTokens: 0, orgs: 0 });
    expect(users).toEqual([f.userId]);
    // The registry answers two figures in one body: one call per page, not one per figure.
    expect(peer.seen.map((s) => s.path).sort()).toEqual([`/internal/usage/${f.userId}`, `/internal/users/${f.userId}/usage`]);
    expect(peer.seen.every((s) => s.token === testSecrets.internalToken)).toBe(true);
  });

  it('a peer without the route (404) leaves its figures null', async () => {
    const peer = await startPeer({ marketplace: () => ({ status: 200, body: { activeDeployments: 1 } }) });
    const f = await buildWith(peer.url, peer.url);
    expect(await f.me()).toMatchObject({ activeDeployments: 1, privatePackages: null, storageBytes: null, webhooks: 0 });
  });

  it('peers that are down answer null, not a 500', async () => {
    const down = await closedPort();
    const f = await buildWith(down, down);
    expect(await f.me()).toMatchObject({ activeDeployments: null, privatePackages: null, storageBytes: null, webhooks: 0 });
  });

  it('a failing peer (500), a refused token (403) and a non-number figure give null', async () => {
    const peer = await startPeer({
      marketplace: () => ({ status: 500, body: { error: 'boom' } }),
      registry: () => ({ status: 200, body: { storageBytes: 'lots', privatePackages: null } }),
    });
    const f = await buildWith(peer.url, peer.url);
    expect(await f.me()).toMatchObject({ activeDeployments: null, privatePackages: null, storageBytes: null });
    const refusing = await startPeer({
      marketplace: () => ({ status: 403, body: { error: 'internal only', code: 'INTERNAL_ONLY' } }),
      registry: () => ({ status: 403, body: { error: 'internal only', code: 'INTERNAL_ONLY' } }),
    });
    const g = await buildWith(refusing.url, refusing.url);
    expect(await g.me()).toMatchObject({ activeDeployments: null, privatePackages: null, storageBytes: null });
  });

  it('a peer slower than the deadline gives null while the other peer still answers', async () => {
    const peer = await startPeer({
      marketplace: () => ({ status: 200, body: { activeDeployments: 4 }, delayMs: 3_000 }),
      registry: () => ({ status: 200, body: { storageBytes: 10, privatePackages: 0 } }),
    });
    // PEER_TIMEOUT_MS caps the usage deadline (800 ms by default) so the test need not wait for it.
    const f = await buildWith(peer.url, peer.url, 500);
    const started = Date.now();
    expect(await f.me()).toMatchObject({ activeDeployments: null, privatePackages: 0, storageBytes: 10 });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
