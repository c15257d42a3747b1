// The hot paths measured, as load specs for our suite and, where the npm protocol has the same request, for
// Verdaccio. Paths rotate over a sample of the seeded packages, deployments and search words.
import { docPath, type PackagePlan, tarballPath, WORDS } from './fixtures.ts';
import type { LoadSpec } from './load.ts';

const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
// What npm 11 sends (minipass-fetch adds gzip/deflate), so compression cost is part of every npm read.
const NPM_HEADERS = { 'accept-encoding': 'gzip,deflate', 'npm-command': 'install' };

export interface Endpoint {
  name: string;
  targetP95: number;
  /** The main API asks a peer (the registry) over HTTP for each request: compared with the one-hop ceiling too. */
  viaPeer?: boolean;
  ours: LoadSpec;
  verdaccio?: LoadSpec;
  /**
   * Verdaccio gets one round instead of the bench's rounds: its search reads every package per request (about a
   * second each at 2,000 packages) and drains its queue for minutes after a load.
   */
  verdaccioOnce?: boolean;
}

export interface EndpointInputs {
  plan: PackagePlan;
  registry: string;
  api: string;
  marketplace: string;
  dashboard: string;
  verdaccio?: string;
  authorization: string;
  deploymentIds: string[];
  sampleSize?: number;
}

export function sampleOf<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]);
}

export function endpoints(x: EndpointInputs): Endpoint[] {
  const pkgs = sampleOf(x.plan.packages, x.sampleSize ?? 200);
  const docs = pkgs.map((p) => docPath(p.name));
  const tarballs = pkgs.map((p) => tarballPath(p.name, p.versions[p.versions.length - 1]));
  const searches = WORDS.map((w) => `/-/v1/search?text=${w}&size=20`);
  const both = (name: string, targetP95: number, paths: string[], headers: Record<string, string>): Endpoint => ({
    name,
    targetP95,
    ours: { origin: x.registry, paths: paths.map((p) => `/npm${p}`), headers },
    verdaccio: x.verdaccio ? { origin: x.verdaccio, paths, headers } : undefined,
  });
  const auth = { authorization: x.authorization };
  return [
    both('full packument', 10, docs, { ...NPM_HEADERS, accept: 'application/json' }),
    both('abbreviated packument', 10, docs, { ...NPM_HEADERS, accept: CORGI }),
    both('tarball', 10, tarballs, NPM_HEADERS),
    { ...both('npm search /-/v1/search', 10, searches, { accept: 'application/json' }), verdaccioOnce: true },
    {
      name: 'REST search /api/packages/search',
      targetP95: 10,
      viaPeer: true,
      ours: { origin: x.api, paths: WORDS.map((w) => `/api/packages/search?q=${w}`) },
    },
    {
      name: 'package details /api/packages/:name',
      targetP95: 10,
      viaPeer: true,
      ours: { origin: x.api, paths: pkgs.map((p) => `/api/packages/${p.name}`) },
    },
    { name: 'service list /api/services', targetP95: 10, ours: { origin: x.marketplace, paths: ['/api/services'] } },
    {
      name: 'deployment status /api/deployments/:id',
      targetP95: 10,
      ours: { origin: x.marketplace, paths: sampleOf(x.deploymentIds, 200).map((id) => `/api/deployments/${id}`), headers: auth },
    },
    {
      name: 'analytics 30 days /api/analytics',
      targetP95: 20,
      ours: {
        origin: x.api,
        paths: pkgs.map((p) => `/api/analytics?type=package&id=${encodeURIComponent(p.name)}&days=30`),
        headers: auth,
      },
    },
    { name: 'dashboard page /', targetP95: 10, ours: { origin: x.dashboard, paths: ['/'] } },
  ];
}
