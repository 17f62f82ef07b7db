import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual, type Decipher } from 'node:crypto';

/**
 * Server-side encryption at rest (S3's SSE-S3, `AES256`): a sealed blob's bytes are AES-256 in counter mode under a
 * data key of its own, which no other blob shares. The data key is kept wrapped (AES-256-GCM) under a master key in
 * the `seal` recorded with the blob's metadata, so the blob store (this disk, or a Ceph RGW bucket) never holds a key
 * to its bytes. Counter mode keeps a blob's size and lets a range be read without the bytes before it.
 *
 * The master keys live in the metadata database (`sealing_keys`): the metadata backup carries them, and a restore
 * reads the blobs it refers to. The newest one seals new blobs; older ones still open what they sealed.
 *
 * With a customer-provided key (SSE-C) the customer's key is the data key: it is never kept, only a salted HMAC of it
 * (`keyCheck`), which tells whether a later request brings the same key. Such a seal is `customer.IV.KEYCHECK`.
 */
export interface SealingKey {
  id: string;
  key: Buffer;
}

export interface SealingKeyTable {
  /** Every master key, oldest first. */
  sealingKeys(): SealingKey[];
  addSealingKey(key: SealingKey): void;
}

/** A sealed blob's data key and initial counter block. */
export interface BlobKey {
  key: Buffer;
  iv: Buffer;
}

const sealFormat = 'aes256ctr';
const customerFormat = 'customer';
const blockBytes = 16;

export class SealError extends Error {
  override name = 'SealError';
}

export class BlobSealer {
  private readonly masterKeys = new Map<string, Buffer>();
  private readonly current: SealingKey;

  /** Loads the master keys, making the first one when there is none yet. */
  constructor(table: SealingKeyTable) {
    const known = table.sealingKeys();
    if (known.length === 0) {
      const first = { id: randomBytes(6).toString('hex'), key: randomBytes(32) };
      table.addSealingKey(first);
      known.push(first);
    }
    for (const { id, key } of known) this.masterKeys.set(id, key);
    this.current = known[known.length - 1]!;
  }

  /** A fresh data key for a new blob, and its seal: `aes256ctr.KEYID.IV.WRAPPED` (base64url). */
  newSeal(): BlobKey & { seal: string } {
    const key = randomBytes(32);
    const iv = randomBytes(blockBytes);
    const nonce = randomBytes(12);
    const wrap = createCipheriv('aes-256-gcm', this.current.key, nonce);
    wrap.setAAD(Buffer.from(`${sealFormat}.${this.current.id}.${iv.toString('base64url')}`));
    const wrapped = Buffer.concat([nonce, wrap.update(key), wrap.final(), wrap.getAuthTag()]);
    const seal = [sealFormat, this.current.id, iv.toString('base64url'), wrapped.toString('base64url')].join('.');
    return { key, iv, seal };
  }

  /**
   * The data key a seal holds; a `SealError` when it is malformed, its master key unknown or it was altered. A
   * customer's seal opens only with `customerKey`, the key it was sealed with.
   */
  open(seal: string, customerKey?: Buffer): BlobKey {
    if (isCustomerSeal(seal)) return openCustomerSeal(seal, customerKey);
    const [format, keyId, ivText, wrappedText, ...rest] = seal.split('.');
    if (format !== sealFormat || !keyId || !ivText || !wrappedText || rest.length > 0) {
      throw new SealError(`not a blob seal: ${seal.slice(0, 40)}`);
    }
    const master = this.masterKeys.get(keyId);
    if (!master) throw new SealError(`the blob was sealed with master key ${keyId}, which this metadata does not hold`);
    const iv = Buffer.from(ivText, 'base64url');
    const wrapped = Buffer.from(wrappedText, 'base64url');
    if (iv.length !== blockBytes || wrapped.length !== 12 + 32 + 16)
      throw new SealError('a blob seal of the wrong size');
    const unwrap = createDecipheriv('aes-256-gcm', master, wrapped.subarray(0, 12));
    unwrap.setAAD(Buffer.from(`${format}.${keyId}.${ivText}`));
    unwrap.setAuthTag(wrapped.subarray(44));
    try {
      return { key: Buffer.concat([unwrap.update(wrapped.subarray(12, 44)), unwrap.final()]), iv };
    } catch {
      throw new SealError(`the blob seal does not open with master key ${keyId}`);
    }
  }
}

/** The counter block for byte `offset` of a blob: its IV plus the number of whole blocks before it (mod 2^128). */
export function counterAt(iv: Buffer, offset: number): Buffer {
  const counter = Buffer.from(iv);
  let carry = BigInt(Math.floor(offset / blockBytes));
  for (let index = blockBytes - 1; index >= 0 && carry > 0n; index--) {
    const sum = BigInt(counter[index]!) + (carry & 0xffn);
    counter[index] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return counter;
}

/** A decipher positioned at byte `offset` of a sealed blob (counter mode: the same transform encrypts). */
export function cipherAt({ key, iv }: BlobKey, offset = 0): Decipher {
  const cipher = createDecipheriv('aes-256-ctr', key, counterAt(iv, offset));
  const within = offset % blockBytes;
  if (within > 0) cipher.update(Buffer.alloc(within));
  return cipher;
}

/** `chunks` encrypted (or decrypted) as they pass, from byte `offset` of the blob. */
export async function* sealChunks(
  chunks: AsyncIterable<Uint8Array>,
  blobKey: BlobKey,
  offset = 0,
): AsyncGenerator<Buffer, void, undefined> {
  const cipher = cipherAt(blobKey, offset);
  for await (const chunk of chunks) yield cipher.update(chunk);
  const last = cipher.final();
  if (last.length > 0) yield last;
}

/** A whole buffer encrypted or decrypted, from byte `offset` of the blob. */
export function sealBuffer(data: Uint8Array, blobKey: BlobKey, offset = 0): Buffer {
  const cipher = cipherAt(blobKey, offset);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Whether a seal is a customer's (SSE-C), which only the customer's key opens. */
export function isCustomerSeal(seal: string): boolean {
  return seal.startsWith(`${customerFormat}.`);
}

/** A salted HMAC of a customer's key: `SALT||HMAC-SHA256(SALT, KEY)`, base64url. */
export function customerKeyCheck(customerKey: Buffer, salt: Buffer = randomBytes(16)): string {
  return Buffer.concat([salt, createHmac('sha256', salt).update(customerKey).digest()]).toString('base64url');
}

/** Whether `customerKey` is the key `keyCheck` was made from. */
export function customerKeyMatches(keyCheck: string, customerKey: Buffer): boolean {
  const check = Buffer.from(keyCheck, 'base64url');
  if (check.length !== 48) return false;
  return timingSafeEqual(check, Buffer.from(customerKeyCheck(customerKey, check.subarray(0, 16)), 'base64url'));
}

/** A new blob sealed with a customer's key: the key itself, a fresh counter, and the seal that checks the key. */
export function newCustomerSeal(customerKey: Buffer): BlobKey & { seal: string } {
  const iv = randomBytes(blockBytes);
  return {
    key: customerKey,
    iv,
    seal: [customerFormat, iv.toString('base64url'), customerKeyCheck(customerKey)].join('.'),
  };
}

/** The key check of a customer's seal. */
export function customerSealKeyCheck(seal: string): string {
  return seal.split('.')[2] ?? '';
}

function openCustomerSeal(seal: string, customerKey: Buffer | undefined): BlobKey {
  const [, ivText, keyCheck, ...rest] = seal.split('.');
  const iv = Buffer.from(ivText ?? '', 'base64url');
  if (!keyCheck || iv.length !== blockBytes || rest.length > 0) throw new SealError('a malformed customer seal');
  if (!customerKey) throw new SealError("the blob is sealed with its customer's key, which was not given");
  if (!customerKeyMatches(keyCheck, customerKey)) throw new SealError("the key given is not the blob's customer key");
  return { key: customerKey, iv };
}
