// Secrets that must never have a hard-coded default: taken from the environment, or generated once into
// the data folder (mode 0600) so every process of one suite agrees on them without configuration.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError } from './config.ts';

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

/**
 * The secrets of the suite. This is the first write into DATA_DIR of every process and script, so a data folder
 * that cannot be used (a file in the path, no permission, a read-only disk) is reported here as a ConfigError
 * naming DATA_DIR, which the entries print as one sentence instead of a stack trace.
 */
export function loadSecrets(config: Config): Secrets {
  const dir = path.join(config.DATA_DIR, 'secrets');
  const gen = (bytes: number) => () => randomBytes(bytes).toString('base64url');
  try {
    return {
      jwtSecret: config.JWT_SECRET ?? ensureSecretFile(dir, 'jwt-secret', gen(48)),
      internalToken: config.INTERNAL_TOKEN ?? ensureSecretFile(dir, 'internal-token', gen(32)),
      encryptionKey: ensureSecretFile(dir, 'encryption-key', () => randomBytes(32).toString('base64')),
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code || !DATA_DIR_ERRORS[code]) throw err;
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(config.DATA_DIR)} cannot be used: ${DATA_DIR_ERRORS[code]} (${code} on ${(err as NodeJS.ErrnoException).path ?? dir}). ` +
        'Set DATA_DIR to a folder this user can create and write, or fix its permissions.',
    );
  }
}

/** Filesystem errors that mean "this data folder is not usable", in words an operator acts on. */
const DATA_DIR_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  // mkdir -p reports a file standing where a folder must go as EEXIST.
  EEXIST: 'a file is where a folder should be',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EISDIR: 'a secret file is a folder',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
};
