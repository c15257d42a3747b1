// The shape of a catalog entry (one per seed service): tiers with integer-cent prices, regions, SLA and the
// zod schema the service's extra deployment config must satisfy. Templates are code, so a new service is
// one object in a family file plus a provisionX method (seed README, "Adding New Services").
import type { z } from 'zod';

export type Category = 'database' | 'ml' | 'api' | 'storage' | 'compute';
export const CATEGORIES: Category[] = ['database', 'ml', 'api', 'storage', 'compute'];

/** US, EU and Asia (seed README: "Multi-Region Support"). */
export const ALL_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1'] as const;

export type Engine =
  | 'postgres'
  | 'mongodb'
  | 'redis'
  | 'mysql'
  | 'tensorflow'
  | 'pytorch'
  | 'onnx'
  | 'custom-model'
  | 'rest-gateway'
  | 'graphql'
  | 'websocket'
  | 's3'
  | 'cdn'
  | 'files'
  | 'functions'
  | 'containers'
  | 'cron';

/** A usage meter with an included amount per cycle and one overage price ("0.015 USD per 1000" -> 1_500_000 µ per 1000). */
export interface Meter {
  id: 'requests';
  unit: string;
  includedPerCycle: number;
  /** Micro-cents (1 cent = 1,000,000 µ) per `per` units beyond the included amount. */
  unitPriceMicros: number;
  per: number;
}

export interface Tier {
  id: string;
  name: string;
  /** free: $0; flat: monthly price prorated per second; metered: pay-as-you-go on the meter only. */
  model: 'free' | 'flat' | 'metered';
  monthlyCents: number;
  features: string[];
  meter?: Meter;
  instances: { min: number; max: number };
  backups: { retentionDays: number; pitrWindowHours: number; scheduleHours: number | null };
  /** Tier-specific regions (a subset of the service's); absent = all of them. */
  regions?: string[];
}

export interface ServiceTemplate {
  id: string;
  slug: string;
  name: string;
  category: Category;
  engine: Engine;
  description: string;
  publisher: string;
  /** Paid listing placement (seed README: premium $99/month, featured $299/month): ordered first, marked. */
  listing: 'standard' | 'premium' | 'featured';
  pricingModel: 'subscription' | 'pay-as-you-go' | 'hybrid';
  versions: string[];
  regions: string[];
  sla: { uptime: number; responseTime: number; support: string };
  limits: Record<string, string | number>;
  /** Simulated provisioning time in seconds (seed: "5-30 seconds"), multiplied by SIM_TIME_SCALE. */
  provisionSeconds: number;
  tiers: Tier[];
  /** Keys of `config` besides tier and region; strict, so unknown keys are refused. */
  configSchema: z.ZodType;
}

export const usd = (dollars: number) => Math.round(dollars * 100);

export const FREE_BACKUPS = { retentionDays: 1, pitrWindowHours: 0, scheduleHours: null };
export const STD_BACKUPS = { retentionDays: 7, pitrWindowHours: 24, scheduleHours: 24 };
export const PRO_BACKUPS = { retentionDays: 30, pitrWindowHours: 168, scheduleHours: 6 };

/** "$0.015 per 1,000 requests" as micro-cents per 1000. */
export const perThousandRequests = (dollars: number, included: number): Meter => ({
  id: 'requests',
  unit: 'request',
  includedPerCycle: included,
  unitPriceMicros: Math.round(dollars * 100 * 1_000_000),
  per: 1000,
});
