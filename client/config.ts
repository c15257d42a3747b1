// Where the CLIs talk to (flags > ELIDE_* env > localhost defaults) and the stored login (0600 file in the config folder).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

export const DEFAULT_URLS = {
  api: 'http://localhost:3000',
  registry: 'http://localhost:4873',
  marketplace: 'http://localhost:3001',
} as const;

export type Target = keyof typeof DEFAULT_URLS;

export interface GlobalFlags {
  apiUrl?: string;
  registryUrl?: string;
  marketplaceUrl?: string;
  json?: boolean;
  yes?: boolean;
}

export interface Urls {
  api: string;
  registry: string;
  marketplace: string;
}

const trim = (u: string) => u.replace(/\/+$/, '');

/** The registry URL may be given as npm knows it (…/npm/): the CLI adds the protocol prefixes itself. */
export function resolveUrls(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Urls {
  return {
    api: trim(flags.apiUrl ?? env.ELIDE_API_URL ?? DEFAULT_URLS.api),
    registry: trim(flags.registryUrl ?? env.ELIDE_REGISTRY_URL ?? DEFAULT_URLS.registry).replace(/\/npm$/, ''),
    marketplace: trim(flags.marketplaceUrl ?? env.ELIDE_MARKETPLACE_URL ?? DEFAULT_URLS.marketplace),
  };
}

/** $XDG_CONFIG_HOME/elide or ~/.config/elide. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'elide');
}

export const credentialsFile = (env: NodeJS.ProcessEnv = process.env) => path.join(configDir(env), 'credentials.json');

export interface StoredLogin {
  token: string;
  username: string;
  apiUrl: string;
  /** Where the registry and the marketplace were at login (files written before these were kept lack them). */
  registryUrl?: string;
  marketplaceUrl?: string;
  expiresAt: string | null;
  savedAt: string;
}

let warnedOpenFile = false;

export function readLogin(env: NodeJS.ProcessEnv = process.env): StoredLogin | undefined {
  try {
    const file = credentialsFile(env);
    const text = fs.readFileSync(file, 'utf8');
    // Like ssh with a private key: a token others can read is no longer a secret; say so (once) and how to fix it.
    if ((fs.statSync(file).mode & 0o077) !== 0 && !warnedOpenFile) {
      warnedOpenFile = true;
      process.stderr.write(`warning: ${file} can be read by other users: run chmod 600 ${file} (or publish-cli login again)\n`);
    }
    const parsed = JSON.parse(text) as Partial<StoredLogin>;
    return typeof parsed.token === 'string' ? (parsed as StoredLogin) : undefined;
  } catch {
    return undefined;
  }
}

/** Written to a temp file with mode 0600 then renamed, so the token is never readable by others, even briefly. */
export function saveLogin(login: StoredLogin, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export function clearLogin(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    fs.unlinkSync(credentialsFile(env));
    return true;
  } catch {
    return false;
  }
}

export interface Credential {
  token: string;
  source: 'env' | 'file';
  username?: string;
  /** A stored login is only for the suite it was made on (as npm keeps a token per registry): the URLs then. */
  issuedFor?: Partial<Urls>;
}

/** ELIDE_TOKEN wins over the stored login, so CI can use a token without logging in. */
export function currentCredential(env: NodeJS.ProcessEnv = process.env): Credential | undefined {
  if (env.ELIDE_TOKEN) return { token: env.ELIDE_TOKEN, source: 'env' };
  const l = readLogin(env);
  if (!l) return undefined;
  const issuedFor = { api: l.apiUrl, registry: l.registryUrl, marketplace: l.marketplaceUrl };
  return { token: l.token, source: 'file', username: l.username, issuedFor };
}
