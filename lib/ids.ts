// Identifiers: short, URL-safe, prefixed by kind so a person can tell a deploy id from a user id.
import { randomBytes, randomUUID } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random lowercase base36 string of the given length (unbiased: rejection sampling on bytes). */
export function randomBase36(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

/** e.g. newId('deploy') -> "deploy-k3j9x2m1q8ab" */
export function newId(prefix: string, length = 12): string {
  return `${prefix}-${randomBase36(length)}`;
}

export function newUuid(): string {
  return randomUUID();
}
