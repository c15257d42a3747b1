// API-as-a-Service: REST API Gateway, GraphQL Proxy and WebSocket Gateway.
import { z } from 'zod';
import { ALL_REGIONS, FREE_BACKUPS, perThousandRequests, type ServiceTemplate, STD_BACKUPS, type Tier, usd } from './types.ts';

const apiTiers = (unit: string): Tier[] => [
  {
    id: 'free',
    name: 'Free',
    model: 'free',
    monthlyCents: 0,
    features: [`100k ${unit} per month`, 'Shared edge', 'Community support'],
    instances: { min: 1, max: 1 },
    backups: FREE_BACKUPS,
  },
  {
    id: 'payg',
    name: 'Pay as you go',
    model: 'metered',
    monthlyCents: 0,
    features: [`1M ${unit} included`, `$0.02 per 1,000 ${unit} after`, 'Autoscaling to 4 instances'],
    meter: perThousandRequests(0.02, 1_000_000),
    instances: { min: 1, max: 4 },
    backups: STD_BACKUPS,
  },
  {
    id: 'business',
    name: 'Business',
    model: 'flat',
    monthlyCents: usd(79),
    features: [`20M ${unit} included`, 'Custom domains', 'Autoscaling to 10 instances', '24/7 support'],
    meter: perThousandRequests(0.01, 20_000_000),
    instances: { min: 1, max: 10 },
    backups: STD_BACKUPS,
  },
];

const sla = { uptime: 99.95, responseTime: 30, support: '24/7' };
const httpsUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL');

export const apiTemplates: ServiceTemplate[] = [
  {
    id: 'svc-rest-gateway',
    slug: 'rest-api-gateway',
    name: 'REST API Gateway',
    category: 'api',
    engine: 'rest-gateway',
    description: 'Managed REST gateway with API keys, rate limiting and request logging',
    publisher: 'Elide',
    listing: 'premium',
    pricingModel: 'pay-as-you-go',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxRoutes: 500, maxRequestBodyMb: 10 },
    provisionSeconds: 6,
    tiers: apiTiers('requests'),
    configSchema: z.strictObject({
      upstreamUrl: httpsUrl.optional(),
      rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
    }),
  },
  {
    id: 'svc-graphql',
    slug: 'graphql-proxy',
    name: 'GraphQL Proxy',
    category: 'api',
    engine: 'graphql',
    description: 'GraphQL proxy with persisted queries, caching and depth limits in front of your schema',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'pay-as-you-go',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxQueryDepth: 15 },
    provisionSeconds: 6,
    tiers: apiTiers('operations'),
    configSchema: z.strictObject({
      upstreamUrl: httpsUrl.optional(),
      maxQueryDepth: z.number().int().min(1).max(50).optional(),
    }),
  },
  {
    id: 'svc-websocket',
    slug: 'websocket-gateway',
    name: 'WebSocket Gateway',
    category: 'api',
    engine: 'websocket',
    description: 'Managed WebSocket gateway with channels and presence over wss://',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'pay-as-you-go',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla: { uptime: 99.9, responseTime: 20, support: '24/7' },
    limits: { maxConnectionsPerInstance: 10000 },
    provisionSeconds: 6,
    tiers: apiTiers('messages'),
    configSchema: z.strictObject({
      maxConnections: z.number().int().min(1).max(1_000_000).optional(),
    }),
  },
];
