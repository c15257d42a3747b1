// Seeds a registry through the npm protocol (PUT /<name> per version, as `npm publish` does), a few packages
// at a time, and reports the sustained publish throughput.
import { Agent, request } from 'undici';
import { docPath, type PackagePlan, publishBody } from './fixtures.ts';

export interface PublishResult {
  packages: number;
  versions: number;
  seconds: number;
  versionsPerSecond: number;
  errors: number;
  firstError?: string;
}

export async function publishPlan(
  plan: PackagePlan,
  target: { registryUrl: string; authorization: string },
  opts: { concurrency: number; progress?: (done: number, total: number) => void },
): Promise<PublishResult> {
  const dispatcher = new Agent({ connections: opts.concurrency, keepAliveTimeout: 30_000 });
  const base = target.registryUrl.replace(/\/$/, '');
  let next = 0;
  let versions = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  let lastReport = started;

  async function worker() {
    while (next < plan.packages.length) {
      const p = plan.packages[next++];
      // Versions of one package in order, as a maintainer publishes them; packages in parallel.
      for (const v of p.versions) {
        const body = JSON.stringify(publishBody(p, v, base));
        const res = await request(`${base}${docPath(p.name)}`, {
          method: 'PUT',
          headers: { authorization: target.authorization, 'content-type': 'application/json', 'npm-command': 'publish' },
          body,
          dispatcher,
        }).catch((e: Error) => e);
        if (res instanceof Error || res.statusCode >= 300) {
          errors++;
          firstError ??= res instanceof Error ? res.message : `${res.statusCode} ${p.name}@${v}: ${(await res.body.text()).slice(0, 300)}`;
          if (errors > 20 && versions === 0) throw new Error(`publishing fails from the start: ${firstError}`);
          continue;
        }
        await res.body.dump();
        versions++;
        const now = performance.now();
        if (opts.progress && now - lastReport > 5000) {
          lastReport = now;
          opts.progress(versions, plan.totalVersions);
        }
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    packages: plan.packages.length,
    versions,
    seconds: round(seconds, 1),
    versionsPerSecond: round(versions / seconds, 1),
    errors,
    firstError,
  };
}

export const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
