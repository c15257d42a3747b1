// The registry's change feed: a generation that moves whenever what /internal/packages* answers may have changed,
// streamed to the main API (GET /internal/changes) so it can reuse the registry's answers (details, search) until
// the next change instead of asking over HTTP on every request (issue #11; DESIGN.md section 3 still holds: the
// main API only ever keeps what the registry answered it).
//
// Why a reused answer is never older than a write its reader already saw acknowledged: every answer carries the
// generation read *before* the data (x-registry-generation), and a write's new generation is written to the feed
// *before* the write's own reply (onSend of every mutating request; the download count at the tarball's request).
// Background writes (scores, scans, the download flush, an offline advisory import) are picked up within
// SYNC_INTERVAL_MS. A generation only moves when someone holds the current one (an answer was sent with it since
// the last move), so a flood of downloads with no reader in between writes nothing to the feed.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../lib/db.ts';
import { REGISTRY_GENERATION_HEADER, requireInternalToken } from '../lib/internal.ts';
import { changeStamp } from '../lib/row-cache.ts';
import type { TypedApp } from '../lib/service-app.ts';

const SYNC_INTERVAL_MS = 100;
/** The current generation is repeated this often, so a reader notices a dead stream (its body timeout). */
export const FEED_HEARTBEAT_MS = 10_000;

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

export function createChangeFeed(getDb: () => Db) {
  // A new epoch per start: generations of an earlier run never match.
  const epoch = randomBytes(6).toString('hex');
  let generation = 0;
  let handedOut = false;
  let stamp: string | undefined;
  const listeners = new Set<(line: string) => void>();
  const token = () => `${epoch}.${generation}`;

  /** Something a reader may have been shown changed (or may have: a buffered download count). */
  function changed() {
    if (!handedOut) return;
    generation++;
    handedOut = false;
    const line = `${token()}\n`;
    for (const write of listeners) write(line);
  }
  /** Notices writes to registry.db by anyone since the last look. */
  function sync() {
    const db = getDb();
    if (!db.open) return;
    let now: string | undefined;
    try {
      now = changeStamp(db);
    } catch {
      // Unreadable for a moment (busy, closing): count it as a change, the safe side for every reader.
      now = undefined;
    }
    if (now === undefined || now !== stamp) {
      stamp = now;
      changed();
    }
  }
  const timer = setInterval(sync, SYNC_INTERVAL_MS);
  timer.unref();

  return {
    changed,
    sync,
    /** The generation an answer about to be read belongs to (call before reading). */
    current(): string {
      sync();
      handedOut = true;
      return token();
    },
    /** The current generation as a feed line, without handing it out. */
    line: () => `${token()}\n`,
    subscribe(write: (line: string) => void): () => void {
      write(`${token()}\n`);
      listeners.add(write);
      return () => listeners.delete(write);
    },
    stop: () => clearInterval(timer),
  };
}

/** GET /internal/changes (the stream) and the hooks that keep the generation honest; see the header comment. */
export function registerChangeFeed(app: TypedApp, feed: ChangeFeed, internalToken: string, beforeRead: () => void) {
  const guard = requireInternalToken(internalToken);
  const ends = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of ends) end();
  });
  app.addHook('onClose', async () => feed.stop());

  // A mutating request's change reaches the feed before its reply does.
  app.addHook('onSend', (req, _reply, payload, done) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') feed.sync();
    done(null, payload);
  });

  app.get('/internal/changes', { preHandler: guard }, async (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    // Node corks a chunked response's socket until the next tick: uncorked at once, the line is in the socket before
    // the reply of the write that moved the generation is even sent.
    const send = (line: string) => {
      res.write(line);
      res.socket?.uncork();
    };
    const unsubscribe = feed.subscribe(send);
    const heartbeat = setInterval(() => send(feed.line()), FEED_HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      ends.delete(end);
      if (!res.writableEnded) res.end();
    };
    ends.add(end);
    req.raw.on('close', end);
  });

  /** preHandler for the answers a reader may keep: pending counts written, then the generation, then the read. */
  return (_req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    beforeRead();
    reply.header(REGISTRY_GENERATION_HEADER, feed.current());
    done();
  };
}
