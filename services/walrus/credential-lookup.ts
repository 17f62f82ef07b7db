import type { Credential, CredentialLookup } from '../../src/aws/auth/index.js';
import { callPeer, type PeerTls } from '../../src/runtime/peer-client.js';
import { s3Errors } from './s3-errors.js';

/** The part of the clc's principal Walrus uses: whose account a key belongs to, and which user holds it. */
export interface WalrusPrincipal {
  accountId: string;
  accountName: string;
  arn: string;
  /** An IAM user's unique id (`AIDA...`); absent for the account's root identity. */
  userId?: string;
}

export interface ClcCredentialLookupOptions {
  /** The clc's URL (`peers.clc`). */
  clcUrl: string;
  tls: PeerTls;
  /** How long an answer is kept (30 s): a deleted or disabled key keeps working on Walrus for up to this long. */
  ttlMs?: number;
  /** How long "no such key" is kept, shorter, so a key just created works almost at once. */
  negativeTtlMs?: number;
  now?: () => number;
}

/**
 * Walrus has no account database: it asks the clc who owns an access key, over mTLS on the clc's internal route
 * `GET /internal/credentials/:accessKeyId`, and keeps each answer for `ttlMs`. Concurrent requests with the same key
 * share one call. When the clc cannot be reached the request fails with `ServiceUnavailable` (503, which SDKs retry),
 * never as a signature error.
 */
export class ClcCredentialLookup implements CredentialLookup<WalrusPrincipal> {
  private readonly cache = new Map<string, { value: Credential<WalrusPrincipal> | undefined; until: number }>();
  private readonly pending = new Map<string, Promise<Credential<WalrusPrincipal> | undefined>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ClcCredentialLookupOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  async lookup(accessKeyId: string): Promise<Credential<WalrusPrincipal> | undefined> {
    const cached = this.cache.get(accessKeyId);
    if (cached && cached.until > this.now()) return cached.value;
    let pending = this.pending.get(accessKeyId);
    if (!pending) {
      pending = this.fetch(accessKeyId).finally(() => this.pending.delete(accessKeyId));
      this.pending.set(accessKeyId, pending);
    }
    return pending;
  }

  private async fetch(accessKeyId: string): Promise<Credential<WalrusPrincipal> | undefined> {
    const url = `${this.options.clcUrl.replace(/\/$/, '')}/internal/credentials/${encodeURIComponent(accessKeyId)}`;
    let answer;
    try {
      answer = await callPeer(url, this.options.tls, { timeoutMs: 5000 });
    } catch {
      throw s3Errors.serviceUnavailable('The cloud controller, which holds the access keys, cannot be reached.');
    }
    let value: Credential<WalrusPrincipal> | undefined;
    if (answer.status === 200) {
      const body = JSON.parse(answer.body) as { secretAccessKey: string; principal: WalrusPrincipal };
      value = {
        secretAccessKey: body.secretAccessKey,
        principal: {
          accountId: body.principal.accountId,
          accountName: body.principal.accountName,
          arn: body.principal.arn,
          ...(body.principal.userId !== undefined && { userId: body.principal.userId }),
        },
      };
    } else if (answer.status !== 404) {
      throw s3Errors.serviceUnavailable(`The cloud controller answered the key lookup with HTTP ${answer.status}.`);
    }
    this.cache.set(accessKeyId, { value, until: this.now() + (value ? this.ttlMs : this.negativeTtlMs) });
    if (this.cache.size > 10_000) {
      for (const [key, entry] of this.cache) if (entry.until <= this.now()) this.cache.delete(key);
    }
    return value;
  }
}
