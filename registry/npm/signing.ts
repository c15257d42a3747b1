// Registry signatures (npm's `dist.signatures`): ECDSA P-256 over "<name>@<version>:<integrity>", verified by
// `npm audit signatures` against the keys served at /-/npm/v1/keys. The key is generated once into the data
// folder (mode 0600) and kept, so signatures stay verifiable across restarts.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import path from 'node:path';
import { ensureSecretFile } from '../../lib/secrets.ts';

export interface RegistrySigner {
  keyid: string;
  /** Base64 DER SubjectPublicKeyInfo, as npm's keys endpoint serves it. */
  publicKeyBase64: string;
  sign(name: string, version: string, integrity: string): { keyid: string; sig: string };
}

export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function createSigner(privateKeyPem: string): RegistrySigner {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  // npm's keyid is "SHA256:" + base64 (unpadded) of the SHA-256 of the DER public key, like an SSH fingerprint.
  const keyid = `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`;
  return {
    keyid,
    publicKeyBase64: spki.toString('base64'),
    sign(name, version, integrity) {
      const sig = sign('sha256', Buffer.from(`${name}@${version}:${integrity}`), key).toString('base64');
      return { keyid, sig };
    },
  };
}

/** The signer kept in <DATA_DIR>/secrets/npm-signing-key.pem, created on first use. */
export function loadSigner(dataDir: string): RegistrySigner {
  return createSigner(ensureSecretFile(path.join(dataDir, 'secrets'), 'npm-signing-key.pem', generateSigningKeyPem));
}

/** Check a signature the way npm does (used by tests and the seed's self-check). */
export function verifySignature(publicKeyBase64: string, name: string, version: string, integrity: string, sig: string): boolean {
  const pub = createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' });
  return verify('sha256', Buffer.from(`${name}@${version}:${integrity}`), pub, Buffer.from(sig, 'base64'));
}
