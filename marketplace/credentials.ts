// Secrets at rest: AES-256-GCM with secrets.encryptionKey, a fresh 96-bit IV per value and a context string as
// associated data (the deployment id for credentials), so a ciphertext copied onto another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type CredentialSet = Record<string, string>;

export function createCredentialCipher(keyBase64: string) {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('encryption key must be 32 bytes (base64)');
  /** Any JSON value, sealed to `context`: "iv.tag.data" in base64. */
  function seal(context: string, value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(context));
    const data = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return [iv, c.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
  }
  /** The value seal(context, …) sealed; throws when it was sealed to another context, altered, or is not sealed. */
  function open<T>(context: string, sealed: string): T {
    const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
    if (!iv || !tag || !data) throw new Error('not a sealed value');
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(Buffer.from(context));
    d.setAuthTag(tag);
    return JSON.parse(Buffer.concat([d.update(data), d.final()]).toString('utf8')) as T;
  }
  return {
    seal,
    open,
    encrypt: (deploymentId: string, creds: CredentialSet): string => seal(deploymentId, creds),
    decrypt: (deploymentId: string, sealed: string): CredentialSet => open<CredentialSet>(deploymentId, sealed),
  };
}

export type CredentialCipher = ReturnType<typeof createCredentialCipher>;
