import { createHmac } from 'node:crypto';
import { parseIsoBasic, type S3DialectErrors } from './auth-errors.js';
import { decodeParams, headerValue, percentDecode, safeEqual, splitQuery } from './canonical.js';
import { CLOCK_SKEW_MS, requireCredential, type VerifyContext } from './context.js';
import type { Authenticated, SignedRequest } from './types.js';

/**
 * Query parameters naming an S3 sub-resource or a response override: the legacy signature covers these and no
 * other. The list is the one S3 clients (botocore among them) sign, so it must not grow on its own.
 */
export const S3_SUBRESOURCES: ReadonlySet<string> = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

/** Path (with the bucket in front for a virtual-hosted request) and the signed sub-resources, sorted by name. */
export function s3CanonicalResource(request: SignedRequest): string {
  const bucket = request.virtualHostBucket === undefined ? '' : `/${request.virtualHostBucket}`;
  const subresources = splitQuery(request.query)
    .filter(({ key }) => S3_SUBRESOURCES.has(key))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key, value, hasValue }) => (hasValue ? `${key}=${percentDecode(value, false).toString('utf8')}` : key));
  const resource = `${bucket}${request.path || '/'}`;
  return subresources.length === 0 ? resource : `${resource}?${subresources.join('&')}`;
}

/** The `x-amz-*` headers, lower-cased, sorted, each `name:value\n`, repeated values joined with `,`. */
function canonicalAmzHeaders(headers: ReadonlyMap<string, readonly string[]>): string {
  return [...headers.keys()]
    .filter((name) => name.startsWith('x-amz-'))
    .sort()
    .map(
      (name) =>
        `${name}:${headers
          .get(name)!
          .map((value) => value.trim())
          .join(',')}\n`,
    )
    .join('');
}

/** S3's legacy string to sign: method, Content-MD5, Content-Type, the date line, amz headers and the resource. */
export function s3V2StringToSign(
  request: SignedRequest,
  headers: ReadonlyMap<string, readonly string[]>,
  dateLine: string,
  resource = s3CanonicalResource(request),
): string {
  const single = (name: string) => headers.get(name)?.join(',').trim() ?? '';
  return [
    request.method.toUpperCase(),
    single('content-md5'),
    single('content-type'),
    `${dateLine}\n${canonicalAmzHeaders(headers)}${resource}`,
  ].join('\n');
}

/**
 * The resources a client may have signed: the canonical one and, for a path-style request to a bucket itself
 * (`/bucket`), the same with a trailing slash, which botocore signs (its `auth_path`) and S3 accepts.
 */
function signedResources(request: SignedRequest): string[] {
  const resource = s3CanonicalResource(request);
  if (request.virtualHostBucket !== undefined || !/^\/[^/]+$/.test(request.path)) return [resource];
  return [resource, resource.replace(/^(\/[^/?]+)/, '$1/')];
}

function headerLists(request: SignedRequest): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) lists.set(name, typeof value === 'string' ? [value] : value);
  }
  return lists;
}

function hmacSha1(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

async function verifyV2Signature<P>(
  context: VerifyContext<P>,
  accessKeyId: string,
  provided: string,
  stringsToSign: readonly string[],
  method: 's3-v2-header' | 's3-v2-query',
  errors: S3DialectErrors,
): Promise<Authenticated<P>> {
  const credential = await requireCredential(context, accessKeyId, (id) => errors.unknownAccessKey(id));
  for (const stringToSign of stringsToSign) {
    if (safeEqual(hmacSha1(credential.secretAccessKey, stringToSign), provided)) {
      return { principal: credential.principal, accessKeyId, method, signedPayload: 'UNSIGNED-PAYLOAD' };
    }
  }
  throw errors.signatureMismatch({ accessKeyId, signatureProvided: provided, stringToSign: stringsToSign[0]! });
}

/** `Authorization: AWS AKID:signature`, HMAC-SHA1 over S3's legacy string to sign. */
export async function verifyS3V2Header<P>(
  context: VerifyContext<P>,
  authorization: string,
  errors: S3DialectErrors,
): Promise<Authenticated<P>> {
  const match = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!match) throw errors.s3V2MalformedHeader(authorization);
  const [, accessKeyId, signature] = match as unknown as [string, string, string];
  const { request } = context;
  if (headerValue(request, 'x-amz-security-token') !== undefined) throw errors.securityTokenUnsupported();
  const amzDate = headerValue(request, 'x-amz-date');
  const httpDate = headerValue(request, 'date');
  const sentDate = amzDate ?? httpDate;
  if (sentDate === undefined) throw errors.s3V2MissingDate();
  const signedAt = parseIsoBasic(sentDate.trim())?.getTime() ?? Date.parse(sentDate);
  if (Number.isNaN(signedAt)) throw errors.s3V2MissingDate();
  const skew = signedAt - context.now.getTime();
  const time = { requestTime: sentDate, now: context.now };
  if (skew > CLOCK_SKEW_MS) throw errors.requestInFuture(time);
  if (-skew > CLOCK_SKEW_MS) throw errors.requestTooOld(time);

  const headers = headerLists(request);
  // With x-amz-date present S3 signs an empty date line (it sits among the amz headers); some clients sign Date anyway.
  const dateLines = amzDate === undefined ? [httpDate ?? ''] : ['', ...(httpDate === undefined ? [] : [httpDate])];
  const stringsToSign = dateLines.flatMap((dateLine) =>
    signedResources(request).map((resource) => s3V2StringToSign(request, headers, dateLine, resource)),
  );
  return verifyV2Signature(context, accessKeyId, signature, stringsToSign, 's3-v2-header', errors);
}

/** `?AWSAccessKeyId=&Expires=&Signature=`: a v2 presigned URL, valid until `Expires` (seconds since the epoch). */
export async function verifyS3V2Query<P>(
  context: VerifyContext<P>,
  params: ReadonlyMap<string, string>,
  errors: S3DialectErrors,
): Promise<Authenticated<P>> {
  const accessKeyId = params.get('AWSAccessKeyId');
  const signature = params.get('Signature');
  const expires = params.get('Expires');
  if (!accessKeyId || !signature || expires === undefined) throw errors.s3V2QueryMissingParameters();
  if (!/^\d+$/.test(expires)) throw errors.s3V2InvalidExpires(expires);
  if (params.has('x-amz-security-token') || headerValue(context.request, 'x-amz-security-token') !== undefined) {
    throw errors.securityTokenUnsupported();
  }
  if (context.now.getTime() > Number(expires) * 1000) throw errors.s3V2Expired(Number(expires), context.now);

  // Presigners move x-amz-* headers, Content-Type and Content-MD5 into the query; they are signed as headers.
  const headers = headerLists(context.request);
  for (const [key, value] of decodeParams(context.request.query)) {
    const name = key.toLowerCase();
    if (name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5') headers.set(name, [value]);
  }
  const stringsToSign = signedResources(context.request).map((resource) =>
    s3V2StringToSign(context.request, headers, expires, resource),
  );
  // An unencoded `+` of the base64 signature arrives as a space once form-decoded.
  return verifyV2Signature(context, accessKeyId, signature.replace(/ /g, '+'), stringsToSign, 's3-v2-query', errors);
}
