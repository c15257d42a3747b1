// A Config and Secrets for unit tests: in-memory databases, fixed secrets, quiet logs.
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../lib/config.ts';
import type { Secrets } from '../../lib/secrets.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: path.join(os.tmpdir(), 'elide-unit-unused'), BCRYPT_COST: '4', LOG_LEVEL: 'silent', ...env });
}

export const testSecrets: Secrets = {
  jwtSecret: 'unit-test-jwt-secret-0123456789abcdef',
  internalToken: 'unit-test-internal-token-0123456789',
  encryptionKey: Buffer.alloc(32, 7).toString('base64'),
};
