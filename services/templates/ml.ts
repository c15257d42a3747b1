// ML-Model-as-a-Service: TensorFlow Serving, PyTorch Inference, ONNX Runtime and custom model hosting.
import { z } from 'zod';
import { ALL_REGIONS, FREE_BACKUPS, perThousandRequests, type ServiceTemplate, STD_BACKUPS, usd } from './types.ts';

// The seed's "Deploy ML Model" block: { model: { framework, version, modelPath } }.
const modelBlock = (frameworks: [string, ...string[]]) =>
  z.strictObject({
    model: z.strictObject({
      framework: z.enum(frameworks),
      version: z.string().regex(/^\d+(\.\d+){0,2}$/, 'must be a version such as 2.13'),
      modelPath: z.string().regex(/^(s3|gs|https):\/\/[^\s]+$/, 'must be an s3://, gs:// or https:// URL'),
      name: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
        .optional(),
    }),
    minInstances: z.number().int().min(1).max(20).optional(),
  });

const mlTiers = [
  {
    id: 'cpu',
    name: 'CPU',
    model: 'metered' as const,
    monthlyCents: 0,
    features: ['2 vCPU', '100k predictions included', '$0.05 per 1,000 predictions after'],
    meter: perThousandRequests(0.05, 100_000),
    instances: { min: 1, max: 3 },
    backups: FREE_BACKUPS,
  },
  {
    id: 'standard',
    name: 'Standard',
    model: 'flat' as const,
    monthlyCents: usd(99),
    features: ['4 vCPU, 16 GB', '2M predictions included', 'Autoscaling to 5 instances'],
    meter: perThousandRequests(0.04, 2_000_000),
    instances: { min: 1, max: 5 },
    backups: STD_BACKUPS,
  },
  {
    id: 'gpu',
    name: 'GPU',
    model: 'flat' as const,
    monthlyCents: usd(499),
    features: ['1x NVIDIA T4', '10M predictions included', 'Autoscaling to 10 instances'],
    meter: perThousandRequests(0.02, 10_000_000),
    instances: { min: 1, max: 10 },
    backups: STD_BACKUPS,
    regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'],
  },
];

const sla = { uptime: 99.9, responseTime: 100, support: 'business hours' };

export const mlTemplates: ServiceTemplate[] = [
  {
    id: 'svc-tensorflow',
    slug: 'tensorflow-serving',
    name: 'TensorFlow Serving',
    category: 'ml',
    engine: 'tensorflow',
    description: 'Serve TensorFlow SavedModels over the TF Serving REST API (/v1/models/{model}:predict)',
    publisher: 'Elide',
    listing: 'featured',
    pricingModel: 'hybrid',
    versions: ['2.15', '2.14', '2.13'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxModelSizeGb: 20, maxBatchSize: 128 },
    provisionSeconds: 20,
    tiers: mlTiers,
    configSchema: modelBlock(['tensorflow']),
  },
  {
    id: 'svc-pytorch',
    slug: 'pytorch-inference',
    name: 'PyTorch Inference',
    category: 'ml',
    engine: 'pytorch',
    description: 'TorchServe-compatible inference endpoints (/predictions/{model})',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'hybrid',
    versions: ['2.2', '2.1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxModelSizeGb: 20, maxBatchSize: 64 },
    provisionSeconds: 20,
    tiers: mlTiers,
    configSchema: modelBlock(['pytorch']),
  },
  {
    id: 'svc-onnx',
    slug: 'onnx-runtime',
    name: 'ONNX Runtime',
    category: 'ml',
    engine: 'onnx',
    description: 'Run ONNX models with the KServe v2 inference protocol',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'hybrid',
    versions: ['1.17', '1.16'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxModelSizeGb: 10, maxBatchSize: 256 },
    provisionSeconds: 15,
    tiers: mlTiers,
    configSchema: modelBlock(['onnx']),
  },
  {
    id: 'svc-custom-model',
    slug: 'custom-model-hosting',
    name: 'Custom Model Hosting',
    category: 'ml',
    engine: 'custom-model',
    description: 'Host any TensorFlow, PyTorch, ONNX or scikit-learn model behind one prediction API',
    publisher: 'Elide',
    listing: 'standard',
    pricingModel: 'hybrid',
    versions: ['1'],
    regions: [...ALL_REGIONS],
    sla,
    limits: { maxModelSizeGb: 50 },
    provisionSeconds: 30,
    tiers: mlTiers,
    configSchema: modelBlock(['tensorflow', 'pytorch', 'onnx', 'sklearn', 'xgboost']),
  },
];
