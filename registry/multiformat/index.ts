// Registers PyPI (/pypi/), Maven (/maven2/) and RubyGems (/rubygems/) on the registry, each in its own Fastify
// context (own body parsers and error handler), plus the storage-usage route the main API's /api/auth/me reads and
// the orphan-blob collection (hourly, and POST /internal/blobs/gc for an operator).
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Config } from '../../lib/config.ts';
import type { Db } from '../../lib/db.ts';
import { notFound } from '../../lib/errors.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { AccountsClient } from '../accounts-client.ts';
import { createBlobCollector } from '../blob-gc.ts';
import type { BlobStore } from '../blob-store.ts';
import type { IdentityLookups } from '../identity-repo.ts';
import { registerMavenRoutes } from '../maven/routes.ts';
import type { DownloadCounter } from '../npm/downloads.ts';
import type { PackagesRepo } from '../packages-repo.ts';
import { publicOrigin } from '../public-url.ts';
import { registerPypiRoutes } from '../pypi/routes.ts';
import { registerRubygemsRoutes } from '../rubygems/routes.ts';
import type { FormatContext } from './context.ts';
import { createFilesRepo } from './files-repo.ts';
import { formatSecurityReport } from './security-report.ts';

export interface FormatApiDeps {
  config: Config;
  db: Db;
  repo: PackagesRepo;
  identity: IdentityLookups;
  clock: Clock;
  blobs: BlobStore;
  guards: AuthGuards;
  internalToken: string;
  downloads: DownloadCounter;
  /** Publish-time scanning of wheels, sdists, jars and gems (default on). */
  scan?: boolean;
  queueRescore: FormatContext['queueRescore'];
  onReview: FormatContext['onReview'];
  licensePolicy: FormatContext['licensePolicy'];
  /** The main API's accounts (`gem signin` trades a password for an API key there). */
  accounts: AccountsClient;
}

const GC_EVERY_MS = 60 * 60_000;

export async function registerFormatApis(app: TypedApp, d: FormatApiDeps) {
  const ctx: FormatContext = {
    db: d.db,
    repo: d.repo,
    files: createFilesRepo(d.db),
    identity: d.identity,
    clock: d.clock,
    blobs: d.blobs,
    gc: createBlobCollector(d.db, d.blobs, d.clock),
    guards: d.guards,
    maxUploadBytes: d.config.BODY_LIMIT_MB * 1024 * 1024,
    snapshotRetention: 5,
    scan: d.scan ?? true,
    downloads: d.downloads,
    queueRescore: d.queueRescore,
    onReview: d.onReview,
    licensePolicy: d.licensePolicy,
  };
  const originOf = publicOrigin(d.config);
  await app.register(async (pypi) => registerPypiRoutes(pypi, ctx, originOf), { prefix: '/pypi' });
  await app.register(async (maven) => registerMavenRoutes(maven, ctx), { prefix: '/maven2' });
  await app.register(async (gems) => registerRubygemsRoutes(gems, ctx, originOf, d.accounts), { prefix: '/rubygems' });

  const guard = requireInternalToken(d.internalToken);
  app.get(
    '/internal/usage/:userId',
    { preHandler: guard, schema: { params: z.object({ userId: z.string().min(1).max(200) }) } },
    async (req) => ctx.files.usage(req.params.userId),
  );
  // The data behind GET /api/packages/:name/:version/security?ecosystem=pypi|maven|rubygems (npm has its own route).
  app.get(
    '/internal/artifacts/:ecosystem/:name/:version/security',
    {
      preHandler: guard,
      schema: {
        params: z.object({
          ecosystem: z.enum(['pypi', 'maven', 'rubygems']),
          name: z.string().min(1).max(300),
          version: z.string().min(1).max(200),
        }),
      },
    },
    async (req) => {
      const { ecosystem, name, version } = req.params;
      const r = formatSecurityReport(ctx, ecosystem, name, version);
      if (!r) throw notFound(`version ${version} of ${name} was not found`, 'VERSION_NOT_FOUND');
      return r;
    },
  );
  app.post('/internal/blobs/gc', { preHandler: guard }, async () => ctx.gc.collect());
  const timer = setInterval(() => {
    ctx.gc.collect().then(
      (r) => r.removed + r.staleRows > 0 && app.log.info(r, 'orphan blobs collected'),
      (err) => app.log.error({ err }, 'orphan blob collection failed'),
    );
  }, GC_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  return ctx;
}
