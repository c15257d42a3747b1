// The registry (port 4873): npm at /npm/, PyPI at /pypi/, Maven at /maven2/, RubyGems at /rubygems/.
import type { Logger } from 'pino';
import { createAuthenticator } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { createPeerClient } from '../lib/http.ts';
import { startOutboxRelay } from '../lib/outbox.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { type AccountsClient, createAccountsClient } from './accounts-client.ts';
import { type BlobStore, createFsBlobStore } from './blob-store.ts';
import { createChangeFeed, registerChangeFeed } from './change-feed.ts';
import { createIdentityLookups } from './identity-repo.ts';
import { createFilesRepo } from './multiformat/files-repo.ts';
import { registerFormatApis } from './multiformat/index.ts';
import type { NpmContext } from './npm/context.ts';
import { createDownloadCounter } from './npm/downloads.ts';
import { registerNpmApi } from './npm/index.ts';
import { createPackumentCache } from './npm/packument.ts';
import type { AdvisoryLookup } from './npm/routes-audit.ts';
import { registerDependentsRoutes } from './npm/routes-dependents.ts';
import { loadSigner, type RegistrySigner } from './npm/signing.ts';
import { createPackagesRepo } from './packages-repo.ts';
import { registerInternalRoutes } from './routes-internal.ts';
import { configuredLicensePolicy } from './security/licenses.ts';
import { createRegistrySecurity } from './security/registry-security.ts';
import { registerSecurityRoutes } from './security/routes-security.ts';

export interface RegistryDeps {
  config: Config;
  secrets: Secrets;
  /** registry.db, owned and migrated by this process. */
  db: Db;
  /** Read-only view of the identity tables in marketplace.db (opened lazily: the main API creates them). */
  identityDb: () => Db;
  clock: Clock;
  logger?: Logger | string;
  /** Artifact bytes; default: the filesystem store in config.BLOB_DIR. */
  blobs?: BlobStore;
  /** Registry signing key; default: generated once into <DATA_DIR>/secrets. */
  signer?: RegistrySigner;
  /** The main API's account endpoints; default: HTTP to config.urls.api. */
  accounts?: AccountsClient;
  /** Relay outbox events to the main API (the server entry turns it on; unit tests stay offline). */
  relayEvents?: boolean;
  /** Advisories for npm audit (issue "Scoring and security"); default: none known. */
  advisories?: AdvisoryLookup;
  /** Uplink cache tuning (with UPLINK_URL): packument max age (default 2 min, as Verdaccio) and tarball bytes (1 GiB). */
  uplinkMaxAgeMs?: number;
  uplinkMaxCacheBytes?: number;
}

export async function buildApp(deps: RegistryDeps) {
  const bodyLimit = deps.config.BODY_LIMIT_MB * 1024 * 1024;
  const app = createServiceApp({
    service: 'registry',
    logger: deps.logger,
    bodyLimitBytes: bodyLimit,
    ready: () => databaseAnswers(deps.db),
  });
  const authenticator = createAuthenticator(deps.identityDb, deps.secrets.jwtSecret, deps.clock.now);
  const guards = createAuthGuards(authenticator);
  const api = createPeerClient({
    name: 'main API',
    baseUrl: deps.config.urls.api,
    timeoutMs: deps.config.PEER_TIMEOUT_MS,
    internalToken: deps.secrets.internalToken,
  });
  const repo = createPackagesRepo(deps.db);
  const licensePolicy = configuredLicensePolicy(deps.config.LICENSE_POLICY, deps.config.LICENSE_ALLOW, deps.config.LICENSE_DENY);
  const security = createRegistrySecurity(deps.db, repo, deps.clock, {
    onError: (err, what) => app.log.error({ err }, what),
    licensePolicy,
  });
  // Publishes are rescored after their acknowledgement (registry-security.ts): any read first applies the pending
  // rescores, so no client sees a score older than the last publish; writes keep sharing one rescore commit.
  // A callback hook (not async): it runs on every request, and the flush itself is synchronous.
  app.addHook('onRequest', (req, _reply, done) => {
    try {
      if (req.method === 'GET') security.flushRescores();
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  // Before any route is registered: its onSend hook must reach every write route, those in plugins included.
  const feed = createChangeFeed(() => deps.db);
  const keptRead = registerChangeFeed(app, feed, deps.secrets.internalToken, () => ctx.downloads.flush());
  const ctx: NpmContext = {
    db: deps.db,
    repo,
    identity: createIdentityLookups(deps.identityDb),
    clock: deps.clock,
    blobs: deps.blobs ?? createFsBlobStore(deps.config.BLOB_DIR),
    signer: deps.signer ?? loadSigner(deps.config.DATA_DIR),
    packuments: createPackumentCache(security.visibleRepo(repo)),
    // base64 inflates by 4/3: the decoded tarball of a body at the limit is 3/4 of it.
    maxTarballBytes: Math.floor(bodyLimit * 0.75),
    downloads: createDownloadCounter(deps.db, repo, deps.clock, 1000, feed.changed),
    security,
    analysis: createFilesRepo(deps.db),
  };
  const accounts = deps.accounts ?? createAccountsClient(api, deps.secrets.internalToken);
  await registerNpmApi(app, {
    config: deps.config,
    ctx,
    // npm prints the 401's sentence: tell its user what to run.
    guards: createAuthGuards(authenticator, 'run npm login, or set an auth token for this registry in .npmrc'),
    accounts,
    advisories: deps.advisories ?? security.auditLookup,
    uplink: deps.config.UPLINK_URL
      ? {
          url: deps.config.UPLINK_URL,
          auth: deps.config.UPLINK_AUTH,
          maxAgeMs: deps.uplinkMaxAgeMs ?? 120_000,
          maxCacheBytes: deps.uplinkMaxCacheBytes ?? 1024 * 1024 * 1024,
          timeoutMs: 30_000,
        }
      : undefined,
  });
  registerInternalRoutes(app, ctx, deps.secrets.internalToken, keptRead);
  registerSecurityRoutes(app, security, deps.secrets.internalToken, deps.clock.now);
  registerDependentsRoutes(app, deps.db, deps.secrets.internalToken);
  // PyPI, Maven and RubyGems (issue #5) share the package tables, blobs, identity and guards.
  await registerFormatApis(app, {
    ...ctx,
    config: deps.config,
    guards,
    internalToken: deps.secrets.internalToken,
    queueRescore: security.queueRescore,
    onReview: security.onReview,
    licensePolicy,
    accounts,
  });

  if (deps.relayEvents) {
    const logger = app.log as unknown as Logger;
    const relay = startOutboxRelay({ table: 'outbox', db: deps.db, api, clock: deps.clock, logger });
    app.addHook('onClose', async () => relay.stop());
    // Issue #6: the server also runs the periodic rescoring (download counts move daily; hourly keeps scores fresh).
    const stopScores = security.startScoreJob(3_600_000, (err) => app.log.error({ err }, 'package rescoring failed'));
    app.addHook('onClose', async () => stopScores());
  }
  app.addHook('onClose', async () => {
    ctx.downloads.stop();
    if (deps.db.open) security.flushRescores();
    if (deps.db.open) deps.db.close();
  });
  return app;
}
