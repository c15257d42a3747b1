// Storage-as-a-Service: S3-compatible object storage, CDN with edge caching, file storage with versioning.
import { z } from 'zod';
import { ALL_REGIONS, FREE_BACKUPS, PRO_BACKUPS, perThousandRequests, type ServiceTemplate, STD_BACKUPS, type Tier, usd } from './types.ts';

const storageTiers = (gb: [number, number, number]): Tier[] => [
  {
    id: 'free',
    name: 'Free',
    model: 'free',
    monthlyCents: 0,
    features: [`${gb[0]} GB storage`, '100k requests per month'],
    instances: { min: 1, max: 1 },
    backups: FREE_BACKUPS,
  },
  {
    id: 'standard',
    name: 'Standard',
    model: 'flat',
    monthlyCents: usd(15),
    features: [`${gb[1]} GB storage`, '5M requests included', '$0.004 per 1,000 requests after'],
    meter: perThousandRequests(0.004, 5_000_000),
    instances: { min: 1, max: 3 },
    backups: STD_BACKUPS,
  },
  {
    id: 'pro',
    name: 'Pro',
    model: 'flat',
    monthlyCents: usd(60),
    features: [`${gb[2]} GB storage`, '50M requests included', 'Cross-region replication'],
    meter: perThousandRequests(0.003, 50_000_000),
    instances: { min: 1, max: 6 },
    backups: PRO_BACKUPS,
  },
];

const sla = { uptime: 99.99, responseTime: 40, support: '24/7' };

export const storageTemplates: ServiceTemplate[] = [
  {
    id: 'svc-s3',
    slug: 's3-object-storage',
    name: 'S3-Compatible Object Storage',
    category: 'storage',
    engine: 's3',
    description: 'Object storage speaking the S3 API, with access keys per deployment',
    publisher: 'Elide',
    listing: 'featured',
    pricingModel: 'subscription',
    versions: ['2006-03-01'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxObjectSizeGb: 5000 },
    provisionSeconds: 5,
    tiers: storageTiers([5, 250, 2000]),
    configSchema: z.strictObject({
      bucketName: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
        .optional(),
      versioning: z.boolean().optional(),
    }),
  },
  {
    id: 'svc-cdn',
    slug: 'cdn-edge',
    name: 'CDN with edge caching',
    category: 'storage',
    engine: 'cdn',
    description: 'Edge-cached content delivery in front of any origin',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'subscription',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla: { uptime: 99.99, responseTime: 15, support: '24/7' },
    limits: { edgeLocations: 42 },
    provisionSeconds: 5,
    tiers: storageTiers([10, 500, 5000]),
    configSchema: z.strictObject({
      originUrl: z
        .string()
        .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
        .optional(),
      cacheTtlSeconds: z.number().int().min(0).max(31_536_000).optional(),
    }),
  },
  {
    id: 'svc-files',
    slug: 'file-storage',
    name: 'File storage with versioning',
    category: 'storage',
    engine: 'files',
    description: 'Versioned file storage with a simple HTTPS API and version history',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'subscription',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxFileSizeGb: 50 },
    provisionSeconds: 5,
    tiers: storageTiers([2, 100, 1000]),
    configSchema: z.strictObject({
      maxVersions: z.number().int().min(1).max(1000).optional(),
    }),
  },
];
