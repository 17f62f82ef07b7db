import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';
import type { SignedRequest } from '../../../../src/aws/auth/index.js';

export const ACCESS_KEY = 'AKIAMALLEETEST000001';
export const SECRET = 'mallee/secret+key=with/odd+chars0123456789';

/** The fixed credential table tests verify against. */
export const credentials = {
  lookup: async (accessKeyId: string) =>
    accessKeyId === ACCESS_KEY
      ? { secretAccessKey: SECRET, principal: { account: '000000000001', user: 'alice' } }
      : undefined,
};

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The hash the JS SDK plugs into its signer, over node:crypto. */
export class NodeSha256 {
  readonly #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: SourceData): void {
    this.#hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** The signer of the JS SDK v3, as its clients configure it (S3 alone leaves the path unescaped). */
export function sdkSigner(service: string, region = 'us-east-1', secret = SECRET, accessKeyId = ACCESS_KEY) {
  return new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
  });
}

/** RFC 3986 escaping as the SDK writes query strings on the wire. */
export function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The query string the SDK's HTTP handler sends for a query bag (repeated keys as repeated pairs). */
export function wireQuery(query: QueryParameterBag | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    if (Array.isArray(value)) for (const item of value) parts.push(`${escapeUri(key)}=${escapeUri(item)}`);
    else if (value === null || value === undefined) parts.push(escapeUri(key));
    else parts.push(`${escapeUri(key)}=${escapeUri(value)}`);
  }
  return parts.join('&');
}

/** An SDK request as it reaches a server: raw path and query, lower-cased headers. */
export function asReceived(request: HttpRequest, overrides: Partial<SignedRequest> = {}): SignedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const body = request.body as Buffer | string | undefined;
  return {
    method: request.method,
    path: request.path,
    query: wireQuery(request.query),
    headers,
    ...(body === undefined ? {} : { body }),
    ...overrides,
  };
}

/** A request for the SDK signer to sign. */
export function sdkRequest(init: {
  method?: string;
  hostname?: string;
  path?: string;
  query?: QueryParameterBag;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): HttpRequest {
  const hostname = init.hostname ?? 'mallee.test:8773';
  return {
    method: init.method ?? 'GET',
    protocol: 'http:',
    hostname,
    path: init.path ?? '/',
    query: init.query ?? {},
    headers: { host: hostname, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  };
}
