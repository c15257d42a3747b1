// Provisioning logic per engine (seed README, "Adding New Services"): each provisionX(request, service)
// returns the endpoint and credentials in the engine's real connection-string format. The timing of a
// deployment (pending -> provisioning -> running) is driven by deployment-ticker.ts from deadlines in the DB.
import { randomBytes } from 'node:crypto';
import type { Engine, ServiceTemplate } from '../services/templates/index.ts';
import type { CredentialSet } from './credentials.ts';

export interface ProvisioningRequest {
  deploymentId: string;
  name: string;
  tier: string;
  region: string;
  config: Record<string, unknown>;
}

export interface ProvisioningResult {
  success: boolean;
  deploymentId: string;
  endpoint: string;
  credentials: CredentialSet & { connectionString: string };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** URL-safe secret (no characters that need escaping inside a connection string). */
export function secret(length: number, alphabet = ALNUM): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) if (b < 248 && out.length < length) out += alphabet[b % alphabet.length];
  }
  return out;
}

const suffix = (id: string) => id.replace(/^deploy-/, '').slice(0, 8);
const modelName = (r: ProvisioningRequest) => {
  const m = r.config.model as { name?: string } | undefined;
  return m?.name ?? r.name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
};

export class ServiceProvisioner {
  /** Dispatch on the template's engine: one provisionX per family. */
  provision(request: ProvisioningRequest, service: ServiceTemplate): ProvisioningResult {
    const byEngine: Record<Engine, () => ProvisioningResult> = {
      postgres: () => this.provisionPostgres(request, service),
      mysql: () => this.provisionMySql(request, service),
      mongodb: () => this.provisionMongoDb(request, service),
      redis: () => this.provisionRedis(request, service),
      tensorflow: () => this.provisionModel(request, service),
      pytorch: () => this.provisionModel(request, service),
      onnx: () => this.provisionModel(request, service),
      'custom-model': () => this.provisionModel(request, service),
      'rest-gateway': () => this.provisionApi(request, service),
      graphql: () => this.provisionApi(request, service),
      websocket: () => this.provisionApi(request, service),
      s3: () => this.provisionObjectStorage(request, service),
      cdn: () => this.provisionCdn(request, service),
      files: () => this.provisionFiles(request, service),
      functions: () => this.provisionCompute(request, service),
      containers: () => this.provisionCompute(request, service),
      cron: () => this.provisionCron(request, service),
    };
    return byEngine[service.engine]();
  }

  /** New secrets for the same endpoint (credential rotation). */
  rotate(request: ProvisioningRequest, service: ServiceTemplate): ProvisioningResult {
    return this.provision(request, service);
  }

  private result(r: ProvisioningRequest, endpoint: string, credentials: ProvisioningResult['credentials']): ProvisioningResult {
    return { success: true, deploymentId: r.deploymentId, endpoint, credentials };
  }

  private sqlLike(r: ProvisioningRequest, scheme: 'postgresql' | 'mysql', port: number, query = '') {
    const host = `${r.deploymentId}.db.elide.services`;
    const username = `user_${suffix(r.deploymentId)}`;
    const password = secret(24);
    const database = 'defaultdb';
    return this.result(r, `${host}:${port}`, {
      host,
      port: String(port),
      database,
      username,
      password,
      connectionString: `${scheme}://${username}:${password}@${host}:${port}/${database}${query}`,
    });
  }

  provisionPostgres(r: ProvisioningRequest, _service: ServiceTemplate) {
    return this.sqlLike(r, 'postgresql', 5432, '?sslmode=require');
  }

  provisionMySql(r: ProvisioningRequest, _service: ServiceTemplate) {
    return this.sqlLike(r, 'mysql', 3306, '?ssl-mode=REQUIRED');
  }

  provisionMongoDb(r: ProvisioningRequest, _service: ServiceTemplate) {
    // SRV records carry the port, so a mongodb+srv URI has none.
    const host = `${r.deploymentId}.mongo.elide.services`;
    const username = `user_${suffix(r.deploymentId)}`;
    const password = secret(24);
    return this.result(r, `${host}:27017`, {
      host,
      port: '27017',
      database: 'defaultdb',
      username,
      password,
      connectionString: `mongodb+srv://${username}:${password}@${host}/defaultdb?retryWrites=true&w=majority`,
    });
  }

  provisionRedis(r: ProvisioningRequest, _service: ServiceTemplate) {
    // rediss:// = TLS; Redis 6+ ACL user "default".
    const host = `${r.deploymentId}.cache.elide.services`;
    const password = secret(32);
    return this.result(r, `${host}:6380`, {
      host,
      port: '6380',
      username: 'default',
      password,
      connectionString: `rediss://default:${password}@${host}:6380`,
    });
  }

  provisionModel(r: ProvisioningRequest, service: ServiceTemplate) {
    const host = `${r.deploymentId}.ml.elide.services`;
    const model = modelName(r);
    // TF Serving REST: /v1/models/{m}:predict; TorchServe: /predictions/{m}; KServe v2 (ONNX/Triton, and MLServer for
    // scikit-learn and XGBoost): /v2/models/{m}/infer. Custom hosting serves the framework its model names.
    const framework =
      service.engine === 'custom-model'
        ? ((r.config.model as { framework?: string } | undefined)?.framework ?? 'tensorflow')
        : service.engine;
    const path =
      framework === 'pytorch'
        ? `/predictions/${model}`
        : framework === 'onnx' || framework === 'sklearn' || framework === 'xgboost'
          ? `/v2/models/${model}/infer`
          : `/v1/models/${model}:predict`;
    const apiKey = `sk_${secret(40)}`;
    return this.result(r, `https://${host}`, { host, model, apiKey, connectionString: `https://${host}${path}` });
  }

  provisionApi(r: ProvisioningRequest, service: ServiceTemplate) {
    const host = `${r.deploymentId}.api.elide.services`;
    const apiKey = `ak_${secret(40)}`;
    const url =
      service.engine === 'websocket' ? `wss://${host}` : service.engine === 'graphql' ? `https://${host}/graphql` : `https://${host}`;
    return this.result(r, url, { host, apiKey, connectionString: url });
  }

  provisionObjectStorage(r: ProvisioningRequest, _service: ServiceTemplate) {
    const host = `s3.${r.region}.elide.services`;
    const bucket = (r.config.bucketName as string | undefined) ?? `${r.deploymentId}`;
    // AWS-shaped keys: 20-character AKIA id, 40-character secret.
    const accessKeyId = `AKIA${secret(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
    const secretAccessKey = secret(40);
    return this.result(r, `https://${host}/${bucket}`, {
      endpoint: `https://${host}`,
      region: r.region,
      bucket,
      accessKeyId,
      secretAccessKey,
      connectionString: `s3://${accessKeyId}:${secretAccessKey}@${host}/${bucket}`,
    });
  }

  provisionCdn(r: ProvisioningRequest, _service: ServiceTemplate) {
    const url = `https://${r.deploymentId}.cdn.elide.services`;
    const purgeToken = `cdn_${secret(32)}`;
    return this.result(r, url, { url, purgeToken, connectionString: url });
  }

  provisionFiles(r: ProvisioningRequest, _service: ServiceTemplate) {
    const host = `${r.deploymentId}.files.elide.services`;
    const token = `fs_${secret(32)}`;
    return this.result(r, `https://${host}`, { host, token, connectionString: `https://${host}/v1/files` });
  }

  provisionCompute(r: ProvisioningRequest, service: ServiceTemplate) {
    const host = `${r.deploymentId}.${service.engine === 'functions' ? 'fn' : 'apps'}.elide.services`;
    const token = `fn_${secret(32)}`;
    return this.result(r, `https://${host}`, { host, token, connectionString: `https://${host}` });
  }

  provisionCron(r: ProvisioningRequest, _service: ServiceTemplate) {
    const host = `${r.deploymentId}.cron.elide.services`;
    const token = `cr_${secret(32)}`;
    return this.result(r, `https://${host}`, {
      schedule: String(r.config.schedule),
      token,
      connectionString: `https://${host}/v1/jobs/${r.deploymentId}/runs`,
    });
  }
}
