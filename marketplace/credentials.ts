// Credentials at rest: AES-256-GCM with secrets.encryptionKey, a fresh 96-bit IV per value and the
// deployment id as associated data, so a ciphertext copied onto another deployment's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type CredentialSet = Record<string, string>;

export function createCredentialCipher(keyBase64: string) {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('encryption key must be 32 bytes (base64)');
  return {
    encrypt(deploymentId: string, creds: CredentialSet): string {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(deploymentId));
      const data = Buffer.concat([c.update(JSON.stringify(creds), 'utf8'), c.final()]);
      return [iv, c.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
    },
    decrypt(deploymentId: string, sealed: string): CredentialSet {
      const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAAD(Buffer.from(deploymentId));
      d.setAuthTag(tag);
      return JSON.parse(Buffer.concat([d.update(data), d.final()]).toString('utf8')) as CredentialSet;
    },
  };
}

export type CredentialCipher = ReturnType<typeof createCredentialCipher>;
