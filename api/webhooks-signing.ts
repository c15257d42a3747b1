// Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of
// "{id}.{ts}.{body}">), whsec_ secrets, and their encryption at rest (they must stay usable for signing).
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';

/** whsec_ + base64 of 32 random bytes; the HMAC key is the decoded bytes. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function signatureOf(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of one attempt: one v1 signature per active secret (zero-downtime rotation). */
export function signedHeaders(secrets: string[], id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Elide-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signatureOf(s, id, timestamp, body)).join(' '),
  };
}

/** For receivers: true when one of the signatures matches and the timestamp is within 5 minutes. */
export function verifyWebhook(headers: Record<string, string | undefined>, rawBody: string, secret: string, nowMs = Date.now()): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (!id || !Number.isInteger(ts) || !sigs || Math.abs(nowMs / 1000 - ts) > 300) return false;
  const expected = Buffer.from(signatureOf(secret, id, ts, rawBody));
  return sigs.split(' ').some((s) => {
    const given = Buffer.from(s);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** AES-256-GCM with the suite's encryption key: "v1.<iv>.<tag>.<ciphertext>" in base64url. */
export function encryptSecret(plain: string, keyB64: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64'), iv);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv, c.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function decryptSecret(enc: string, keyB64: string): string {
  const [v, iv, tag, ct] = enc.split('.');
  if (v !== 'v1') throw new Error('unknown secret encryption version');
  const d = createDecipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64'), Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}

/** The signature value never reaches the delivery log. */
export function redactHeaders(h: Record<string, string>): Record<string, string> {
  return { ...h, 'webhook-signature': h['webhook-signature'].replace(/v1,[A-Za-z0-9+/=]+/g, 'v1,…') };
}
