import { createHmac } from 'node:crypto';

/** HMAC-SHA256 of `data` under `key`. */
export function hmacSha256(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The SigV4 key for one secret, day, region and service: four chained HMACs. */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const dateKey = hmacSha256(`AWS4${secretAccessKey}`, date);
  return hmacSha256(hmacSha256(hmacSha256(dateKey, region), service), 'aws4_request');
}

/**
 * Derived SigV4 signing keys, most recently used last. A key is valid for a whole day, so a busy endpoint derives
 * each one once instead of four HMACs per request; the bound keeps a flood of distinct keys from growing it.
 */
export class SigningKeyCache {
  readonly #keys = new Map<string, Buffer>();

  constructor(readonly capacity = 1024) {}

  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const id = `${date}\n${region}\n${service}\n${secretAccessKey}`;
    const cached = this.#keys.get(id);
    if (cached) {
      this.#keys.delete(id);
      this.#keys.set(id, cached);
      return cached;
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.#keys.set(id, key);
    while (this.#keys.size > this.capacity) {
      const oldest = this.#keys.keys().next();
      if (oldest.done) break;
      this.#keys.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.#keys.size;
  }
}
