// Secrets that must never have a hard-coded default: taken from the environment, or generated once into
// the data folder (mode 0600) so every process of one suite agrees on them without configuration.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

export interface Secrets {
  jwtSecret: string;
  internalToken: string;
  /** Key for encrypting deployment credentials at rest (32 bytes, base64). */
  encryptionKey: string;
}

/**
 * Read a secret file, creating it atomically if absent. Five processes may start at the same instant:
 * each writes its own temp file and hard-links it into place; link() fails if another process won,
 * and then everyone reads the winner's value.
 */
export function ensureSecretFile(dir: string, name: string, make: () => string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, name);
  if (!fs.existsSync(target)) {
    const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(tmp, make(), { mode: 0o600 });
    try {
      fs.linkSync(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  return fs.readFileSync(target, 'utf8').trim();
}

export function loadSecrets(config: Config): Secrets {
  const dir = path.join(config.DATA_DIR, 'secrets');
  const gen = (bytes: number) => () => randomBytes(bytes).toString('base64url');
  return {
    jwtSecret: config.JWT_SECRET ?? ensureSecretFile(dir, 'jwt-secret', gen(48)),
    internalToken: config.INTERNAL_TOKEN ?? ensureSecretFile(dir, 'internal-token', gen(32)),
    encryptionKey: ensureSecretFile(dir, 'encryption-key', () => randomBytes(32).toString('base64')),
  };
}
