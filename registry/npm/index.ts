// The npm registry API under /npm/ (npm config set registry http://host:4873/npm/): one encapsulated Fastify
// context so its lenient JSON parser (gzip, empty bodies) does not change the other ecosystems' routes.
import type { Logger } from 'pino';
import type { Config } from '../../lib/config.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { AccountsClient } from '../accounts-client.ts';
import { type OriginSource, publicOrigin } from '../public-url.ts';
import { createUplinkRepo } from '../uplink-repo.ts';
import { installNpmBodyParser } from './body-parser.ts';
import type { NpmContext } from './context.ts';
import { type AdvisoryLookup, registerAuditRoutes } from './routes-audit.ts';
import { registerMetaRoutes } from './routes-meta.ts';
import { registerPackageRoutes } from './routes-packages.ts';
import { registerUserRoutes } from './routes-user.ts';
import { createNpmUplink, type UplinkOptions } from './uplink.ts';

export interface NpmApiDeps {
  config: Config;
  ctx: NpmContext;
  guards: AuthGuards;
  accounts: AccountsClient;
  advisories?: AdvisoryLookup;
  /** Proxy names not published here to an upstream registry (UPLINK_URL). */
  uplink?: UplinkOptions;
}

/** Tarball URLs: REGISTRY_PUBLIC_URL when set, else the host the client used (trap 13), validated. */
export function publicBase(config: Config) {
  const origin = publicOrigin(config);
  return (req: OriginSource): string => `${origin(req)}/npm`;
}

export async function registerNpmApi(app: TypedApp, d: NpmApiDeps) {
  await app.register(async (npm) => {
    const api = npm as unknown as TypedApp;
    installNpmBodyParser(npm, d.config.BODY_LIMIT_MB * 1024 * 1024);
    registerUserRoutes(api, { config: d.config, guards: d.guards, accounts: d.accounts, identity: d.ctx.identity });
    registerMetaRoutes(api, { ctx: d.ctx, guards: d.guards });
    registerAuditRoutes(api, d.advisories);
    const baseOf = publicBase(d.config);
    const uplink = d.uplink && createNpmUplink(d.ctx, createUplinkRepo(d.ctx.db), d.uplink, npm.log as unknown as Logger, baseOf);
    registerPackageRoutes(api, { ctx: d.ctx, guards: d.guards, baseOf, uplink });
  });
}
