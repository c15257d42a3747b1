// All five processes under concurrent writes at once (npm publishes, deployments, webhook deliveries and event
// writes, logins, dashboard reads) through the soak driver: no SQLITE_BUSY or lock error reaches a user (no 5xx,
// no dropped connection) and none is logged; p99 per operation is printed for docs/RELIABILITY.md.
// CONTENTION_SECONDS (default 20) and CONTENTION_CONCURRENCY (default 8) for longer runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runSoak, startReceiver } from '../../scripts/soak.ts';
import { startSuiteSequential } from '../helpers/reliability.ts';
import type { Suite } from '../helpers/suite.ts';

const SECONDS = Number(process.env.CONTENTION_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.CONTENTION_CONCURRENCY ?? 8);

describe('contention: five processes writing at once', () => {
  let suite: Suite;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    suite = await startSuiteSequential(['api', 'registry', 'marketplace', 'orchestrator', 'dashboard'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', SIM_TIME_SCALE: '0.05' },
    });
  }, 180_000);
  afterAll(async () => {
    receiver?.close();
    await suite?.stopAll();
  });

  it('lets no busy or lock error reach a user', async () => {
    const report = await runSoak(suite, { durationMs: SECONDS * 1000, concurrency: CONCURRENCY, receiverUrl: receiver.url });
    report.webhookDeliveries = receiver.count();
    console.info(formatReport(report));
    expect(report.errorSamples).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.lockLinesInLogs).toBe(0);
    expect(report.ops['npm.publish']?.count).toBeGreaterThan(0);
    expect(report.ops['deployment.create']?.count).toBeGreaterThan(0);
  }, 300_000);
});
