// Compute-as-a-Service: Serverless Functions, Container Hosting and Cron Jobs.
import { z } from 'zod';
import { ALL_REGIONS, FREE_BACKUPS, perThousandRequests, type ServiceTemplate, STD_BACKUPS, type Tier, usd } from './types.ts';

const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** A five-field cron expression (minute hour day-of-month month day-of-week) with *, lists, ranges and steps. */
export function isCronExpression(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  return fields.every((field, i) => {
    const [lo, hi] = RANGES[i];
    return field.split(',').every((part) => {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return false;
      if (m[4] !== undefined && Number(m[4]) === 0) return false;
      if (m[1] === '*') return true;
      const a = Number(m[2]);
      const b = m[3] === undefined ? a : Number(m[3]);
      return a >= lo && b <= hi && a <= b;
    });
  });
}

const computeTiers = (payg: number): Tier[] => [
  {
    id: 'free',
    name: 'Free',
    model: 'free',
    monthlyCents: 0,
    features: ['100k invocations per month', '128 MB memory'],
    instances: { min: 1, max: 1 },
    backups: FREE_BACKUPS,
  },
  {
    id: 'payg',
    name: 'Pay as you go',
    model: 'metered',
    monthlyCents: 0,
    features: ['1M invocations included', `$${payg} per 1,000 invocations after`],
    meter: perThousandRequests(payg, 1_000_000),
    instances: { min: 1, max: 10 },
    backups: STD_BACKUPS,
  },
  {
    id: 'pro',
    name: 'Pro',
    model: 'flat',
    monthlyCents: usd(25),
    features: ['10M invocations included', '2 GB memory', 'Autoscaling to 20 instances'],
    meter: perThousandRequests(payg / 2, 10_000_000),
    instances: { min: 1, max: 20 },
    backups: STD_BACKUPS,
  },
];

const sla = { uptime: 99.9, responseTime: 100, support: 'business hours' };

export const computeTemplates: ServiceTemplate[] = [
  {
    id: 'svc-functions',
    slug: 'serverless-functions',
    name: 'Serverless Functions',
    category: 'compute',
    engine: 'functions',
    description: 'Run functions on demand in Node.js, Python, Go or Java, billed per invocation',
    publisher: 'Elide',
    listing: 'premium',
    pricingModel: 'pay-as-you-go',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxTimeoutSeconds: 900, maxMemoryMb: 2048 },
    provisionSeconds: 8,
    tiers: computeTiers(0.02),
    configSchema: z.strictObject({
      runtime: z.enum(['nodejs20', 'python3.12', 'go1.22', 'java21']),
      memoryMb: z.number().int().min(128).max(2048).multipleOf(64).optional(),
      timeoutSeconds: z.number().int().min(1).max(900).optional(),
    }),
  },
  {
    id: 'svc-containers',
    slug: 'container-hosting',
    name: 'Container Hosting',
    category: 'compute',
    engine: 'containers',
    description: 'Run any OCI container image behind HTTPS with autoscaling',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'subscription',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla: { uptime: 99.95, responseTime: 80, support: '24/7' },
    limits: { maxInstances: 20, maxMemoryMb: 8192 },
    provisionSeconds: 12,
    tiers: computeTiers(0.03),
    configSchema: z.strictObject({
      image: z
        .string()
        .regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, 'must be an OCI image reference such as nginx:1.25'),
      port: z.number().int().min(1).max(65535).optional(),
    }),
  },
  {
    id: 'svc-cron',
    slug: 'cron-jobs',
    name: 'Cron Jobs',
    category: 'compute',
    engine: 'cron',
    description: 'Scheduled jobs on a cron schedule, with run history and alerts',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'pay-as-you-go',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla: { uptime: 99.9, responseTime: 1000, support: 'business hours' },
    limits: { minIntervalMinutes: 1, maxRuntimeMinutes: 60 },
    provisionSeconds: 5,
    tiers: computeTiers(0.01),
    configSchema: z.strictObject({
      schedule: z.string().refine(isCronExpression, 'must be a five-field cron expression such as "*/5 * * * *"'),
      command: z.string().min(1).max(1000),
      timezone: z
        .string()
        .regex(/^[A-Za-z_]+(\/[A-Za-z_]+)*$/)
        .optional(),
    }),
  },
];
