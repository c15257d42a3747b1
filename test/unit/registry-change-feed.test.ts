// The registry's change feed (registry/change-feed.ts): what the main API relies on to reuse the registry's answers.
// A write's new generation must be on the feed before the write's reply, and a generation must move for every
// change a reader may hold an answer from (writes, download counts, background commits).
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db.ts';
import { REGISTRY_GENERATION_HEADER } from '../../lib/internal.ts';
import { createChangeFeed } from '../../registry/change-feed.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Registry = Awaited<ReturnType<typeof buildTestRegistry>>;
let r: Registry;
let base: string;
const internal = { 'x-internal-token': testSecrets.internalToken };

beforeEach(async () => {
  r = await buildTestRegistry();
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
});
afterEach(async () => r.app.close());

/** Follows the feed as the main API does; `lines` grows as lines arrive. */
async function follow() {
  const lines: string[] = [];
  const res = await request(`${base}/internal/changes`, { headers: internal });
  expect(res.statusCode).toBe(200);
  (async () => {
    let partial = '';
    for await (const chunk of res.body) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
    }
  })().catch(() => {});
  while (lines.length === 0) await new Promise((done) => setTimeout(done, 5));
  return lines;
}

async function details(name: string) {
  const res = await request(`${base}/internal/packages/${name.replace('/', '%2F')}`, { headers: internal });
  await res.body.dump();
  return { status: res.statusCode, generation: res.headers[REGISTRY_GENERATION_HEADER] as string };
}

const publish = async (name: string, version: string) => {
  const res = await request(`${base}${docPath(name)}`, {
    method: 'PUT',
    headers: { ...bearer(r.alice), 'content-type': 'application/json' },
    body: JSON.stringify(publishBody(name, version)),
  });
  await res.body.dump();
  expect(res.statusCode).toBe(201);
};

describe('registry change feed', () => {
  it('refuses a caller without the internal token', async () => {
    const res = await request(`${base}/internal/changes`, { headers: bearer(r.alice) });
    expect(res.statusCode).toBe(403);
    expect(await res.body.json()).toMatchObject({ code: 'INTERNAL_ONLY' });
  });

  it("a write's new generation is on the feed before the write's reply", async () => {
    await publish('feed-pkg', '1.0.0');
    const lines = await follow();
    for (let i = 1; i <= 20; i++) {
      const read = await details('feed-pkg');
      expect(read.status).toBe(200);
      expect(lines.at(-1)).toBe(read.generation);
      await publish('feed-pkg', `1.0.${i}`);
      // Nothing awaited between the reply and this check but the reply itself.
      expect(lines.at(-1)).not.toBe(read.generation);
    }
  });

  it('a download moves the generation before its reply, when someone holds the current one', async () => {
    await publish('feed-dl', '1.0.0');
    const lines = await follow();
    const tarball = async () => {
      const res = await request(`${base}/npm/feed-dl/-/feed-dl-1.0.0.tgz`);
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    };
    const seen = lines.length;
    await tarball(); // nobody holds the current generation: nothing to tell
    expect(lines.length).toBe(seen);
    const read = await details('feed-dl');
    await tarball();
    expect(lines.at(-1)).not.toBe(read.generation);
    expect(lines.length).toBe(seen + 1);
  });

  it('a write by another path (a background commit) moves it within the sync interval', async () => {
    await publish('feed-bg', '1.0.0');
    const lines = await follow();
    const read = await details('feed-bg');
    r.db.prepare("UPDATE packages SET description = 'changed in the background' WHERE name = 'feed-bg'").run();
    const deadline = Date.now() + 2000;
    while (lines.at(-1) === read.generation && Date.now() < deadline) await new Promise((done) => setTimeout(done, 10));
    expect(lines.at(-1)).not.toBe(read.generation);
  });

  it('a database it cannot read for a moment counts as a change (the safe side for readers)', () => {
    const unreadable = {
      open: true,
      prepare: () => {
        throw new Error('SQLITE_BUSY');
      },
    } as unknown as Db;
    const feed = createChangeFeed(() => unreadable);
    try {
      const lines: string[] = [];
      feed.subscribe((line) => lines.push(line.trim()));
      const held = feed.current();
      feed.sync();
      expect(lines.at(-1)).not.toBe(held);
      expect(feed.current()).toBe(lines.at(-1));
    } finally {
      feed.stop();
    }
  });
});
