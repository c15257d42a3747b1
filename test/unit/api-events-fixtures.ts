// Shared setup for the main API's event, webhook and analytics unit tests: an in-memory app, users with
// API tokens inserted directly, and an event factory.
import { randomUUID } from 'node:crypto';
import { buildApp } from '../../api/app.ts';
import { openApiDatabase } from '../../api/db.ts';
import { type PipelineOptions, pipelineOf, pipelineOptions } from '../../api/events-pipeline.ts';
import { createUser } from '../../api/users.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import type { OutboxEvent } from '../../lib/outbox.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';

export interface TestUser {
  id: string;
  token: string;
  auth: { authorization: string };
}

export function addUser(db: Db, clock: Clock, name: string, plan = 'team', role: 'user' | 'publisher' | 'admin' = 'user'): TestUser {
  const u = createUser(db, clock, 4, { username: name, email: `${name}@example.com`, password: 'password-123', role, planId: plan });
  const token = generateApiToken();
  db.prepare(
    `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES (?, ?, 'api', 'test', ?, 'elk_', ?)`,
  ).run(`tok-${name}`, u.id, hashToken(token), new Date(clock.now()).toISOString());
  return { id: u.id, token, auth: { authorization: `Bearer ${token}` } };
}

/** An in-memory main API. The webhook worker does not run in the background unless asked: tests drive it. */
export async function buildTestApi(clock: Clock, env: Record<string, string> = {}, opts: PipelineOptions = { worker: false }) {
  const db = openApiDatabase(':memory:');
  const deps = { config: testConfig(env), secrets: testSecrets, db, clock, logger: 'silent' };
  pipelineOptions.set(deps, opts);
  const app = await buildApp(deps);
  return { app, db, pipeline: pipelineOf(app) };
}

export type TestApi = Awaited<ReturnType<typeof buildTestApi>>;

/** A test API with two users on the Team plan, alice and bob: the events and audit tests start from it. */
export async function apiWithAliceAndBob(clock: Clock): Promise<{ t: TestApi; alice: TestUser; bob: TestUser }> {
  const t = await buildTestApi(clock);
  return { t, alice: addUser(t.db, clock, 'alice'), bob: addUser(t.db, clock, 'bob') };
}

export const internalHeaders = { 'x-internal-token': testSecrets.internalToken };

export function makeEvent(clock: Clock, e: Partial<OutboxEvent> & { type: string }): OutboxEvent {
  return {
    id: e.id ?? randomUUID(),
    ownerId: e.ownerId ?? null,
    subject: e.subject ?? null,
    data: e.data ?? {},
    occurredAt: e.occurredAt ?? new Date(clock.now()).toISOString(),
    type: e.type,
  };
}
