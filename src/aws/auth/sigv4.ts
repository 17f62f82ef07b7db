import { parseIsoBasic, sigV4Errors, type SigV4Errors, type SigV4Location } from './auth-errors.js';
import {
  canonicalHeaders,
  canonicalQueries,
  canonicalUris,
  decodeParams,
  EMPTY_SHA256,
  headerValue,
  safeEqual,
  sha256Hex,
} from './canonical.js';
import { CLOCK_SKEW_MS, requireCredential, type VerifyContext } from './context.js';
import { hmacSha256 } from './signing-key-cache.js';
import type { Authenticated } from './types.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
/** Presigned URLs live at most a week. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/** The `x-amz-content-sha256` markers S3 accepts instead of a hash; the caller decodes what they announce. */
export const PAYLOAD_MARKERS: ReadonlySet<string> = new Set([
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);

const PRESIGN_PARAMETERS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
] as const;

/** A SigV4 signature taken apart, before anything about it is checked against the clock or a key. */
interface SigV4Claim {
  location: SigV4Location;
  credential: string;
  signedHeaders: string;
  signature: string;
  /** The timestamp as sent, and where it came from. */
  requestTime: string;
  dateSource: 'X-Amz-Date' | 'Date';
  /** Presigned only. */
  expires?: number;
  /** Raw query string the canonical request is built from (a presigned form body's parameters join it). */
  query: string;
  /** Presigned parameters travelled in a form body, which is then not the signed payload. */
  inBody: boolean;
}

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  /** The request time, parsed. */
  signedAt: Date;
}

/** The SigV4 pieces of a string to sign, for the verifier and for tests that check a vector line by line. */
export interface SigV4Computation {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** Canonical request, string to sign and signature for one guess at the canonical URI and query. */
export function computeSigV4(input: {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  payloadHash: string;
  requestTime: string;
  scope: string;
  signingKey: Buffer;
}): SigV4Computation {
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.canonicalUri,
    input.canonicalQuery,
    input.canonicalHeaders,
    input.signedHeaders,
    input.payloadHash,
  ].join('\n');
  const stringToSign = [SIGV4_ALGORITHM, input.requestTime, input.scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = hmacSha256(input.signingKey, stringToSign).toString('hex');
  return { canonicalRequest, stringToSign, signature };
}

function parseAuthorizationHeader<P>(
  context: VerifyContext<P>,
  authorization: string,
  errors: SigV4Errors,
): SigV4Claim {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(SIGV4_ALGORITHM.length).split(/[\s,]+/)) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals), part.slice(equals + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !fields.get(name));
  if (missing.length > 0) throw errors.incompleteHeader(missing, authorization);
  const { request } = context;
  const amzDate = headerValue(request, 'x-amz-date');
  const httpDate = headerValue(request, 'date');
  let requestTime: string;
  let dateSource: SigV4Claim['dateSource'];
  if (amzDate !== undefined) {
    requestTime = amzDate.trim();
    dateSource = 'X-Amz-Date';
  } else if (httpDate !== undefined) {
    // The 2011 form of SigV4 signs with the HTTP Date header; its string to sign still uses the basic format.
    const parsed = Date.parse(httpDate);
    if (Number.isNaN(parsed)) throw errors.malformedDate(httpDate, 'header');
    requestTime = new Date(parsed)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    dateSource = 'Date';
  } else {
    throw errors.missingDate();
  }
  return {
    location: 'header',
    credential: fields.get('Credential')!,
    signedHeaders: fields.get('SignedHeaders')!,
    signature: fields.get('Signature')!,
    requestTime,
    dateSource,
    query: request.query,
    inBody: false,
  };
}

function parsePresigned(
  params: ReadonlyMap<string, string>,
  query: string,
  inBody: boolean,
  s3: boolean,
  errors: SigV4Errors,
): SigV4Claim {
  const algorithm = params.get('X-Amz-Algorithm');
  if (algorithm !== undefined && algorithm !== SIGV4_ALGORITHM) throw errors.presignUnsupportedAlgorithm(algorithm);
  const required: readonly string[] = s3 ? [...PRESIGN_PARAMETERS, 'X-Amz-Expires'] : PRESIGN_PARAMETERS;
  const missing = required.filter((name) => !params.get(name));
  if (missing.length > 0) throw errors.presignMissingParameters(missing);
  const expiresText = params.get('X-Amz-Expires');
  let expires: number | undefined;
  if (expiresText !== undefined) {
    if (/^-\d+$/.test(expiresText)) throw errors.presignBadExpires('negative');
    if (!/^\d+$/.test(expiresText)) throw errors.presignBadExpires('not-a-number');
    expires = Number(expiresText);
    if (expires > MAX_PRESIGN_SECONDS) throw errors.presignBadExpires('too-long');
  }
  return {
    location: 'query',
    credential: params.get('X-Amz-Credential')!,
    signedHeaders: params.get('X-Amz-SignedHeaders')!,
    signature: params.get('X-Amz-Signature')!,
    requestTime: params.get('X-Amz-Date')!,
    dateSource: 'X-Amz-Date',
    ...(expires === undefined ? {} : { expires }),
    query,
    inBody,
  };
}

function checkScope<P>(context: VerifyContext<P>, claim: SigV4Claim, errors: SigV4Errors): Scope {
  const parts = claim.credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    throw errors.malformedCredential(claim.credential, claim.location);
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== TERMINATOR) throw errors.wrongTerminator(terminator, claim.location);
  const { signingNames } = context.profile;
  if (!signingNames.includes(service)) throw errors.wrongService(service, signingNames, claim.location);
  if (context.regions && !context.regions.includes(region)) {
    throw errors.wrongRegion(region, context.regions, claim.location);
  }
  const signedAt = parseIsoBasic(claim.requestTime);
  if (signedAt === undefined) throw errors.malformedDate(claim.requestTime, claim.location);
  if (date !== claim.requestTime.slice(0, 8)) {
    throw errors.scopeDateMismatch(date, claim.requestTime.slice(0, 8), claim.dateSource, claim.location);
  }
  return { accessKeyId, date, region, service, signedAt };
}

function checkClock<P>(context: VerifyContext<P>, claim: SigV4Claim, scope: Scope, errors: SigV4Errors): void {
  const signedAt = scope.signedAt.getTime();
  const now = context.now.getTime();
  const time = { requestTime: claim.requestTime, now: context.now };
  if (signedAt - now > CLOCK_SKEW_MS) {
    throw claim.expires === undefined ? errors.requestInFuture(time) : errors.presignNotYetValid(time);
  }
  if (claim.expires === undefined) {
    if (now - signedAt > CLOCK_SKEW_MS) throw errors.requestTooOld(time);
  } else if (now - signedAt > claim.expires * 1000) {
    throw errors.presignExpired(time, claim.expires);
  }
}

/** What the canonical request says about the body, and what the result reports to the caller. */
function payloadHash<P>(context: VerifyContext<P>, claim: SigV4Claim, errors: SigV4Errors): string {
  const { request } = context;
  const s3 = context.profile.dialect === 's3';
  let claimed = headerValue(request, 'x-amz-content-sha256');
  if (claimed === undefined && claim.location === 'query') {
    // Presigners hoist x-amz-* headers into the query, this one included.
    claimed = decodeParams(claim.query).find(([key]) => key.toLowerCase() === 'x-amz-content-sha256')?.[1];
  }
  if (claimed !== undefined) {
    if (/^[0-9a-fA-F]{64}$/.test(claimed)) {
      const computed = request.payloadHash ?? (request.body === undefined ? undefined : sha256Hex(request.body));
      if (computed !== undefined && computed.toLowerCase() !== claimed.toLowerCase()) {
        throw errors.contentSha256Mismatch(claimed, computed);
      }
      return claimed;
    }
    if (s3 && PAYLOAD_MARKERS.has(claimed)) return claimed;
    throw errors.invalidContentSha256(claimed);
  }
  if (s3) {
    if (claim.location === 'header') throw errors.missingContentSha256();
    return 'UNSIGNED-PAYLOAD';
  }
  if (claim.inBody) return EMPTY_SHA256;
  return request.payloadHash ?? (request.body === undefined ? EMPTY_SHA256 : sha256Hex(request.body));
}

/** Verifies a SigV4 claim: scope, clock, key, payload, then the signature itself. */
async function verifyClaim<P>(
  context: VerifyContext<P>,
  claim: SigV4Claim,
  errors: SigV4Errors,
): Promise<Authenticated<P>> {
  const { request } = context;
  const scope = checkScope(context, claim, errors);
  const signedHeaders = claim.signedHeaders.split(';').map((name) => name.trim().toLowerCase());
  if (!signedHeaders.includes('host')) throw errors.hostNotSigned(claim.location);
  checkClock(context, claim, scope, errors);
  const credential = await requireCredential(context, scope.accessKeyId, (id) => errors.unknownAccessKey(id));
  const payload = payloadHash(context, claim, errors);

  const scopeText = `${scope.date}/${scope.region}/${scope.service}/${TERMINATOR}`;
  const signingKey = context.signingKeys.get(credential.secretAccessKey, scope.date, scope.region, scope.service);
  const headersBlock = canonicalHeaders(request, signedHeaders);
  const s3 = context.profile.dialect === 's3';
  const excluded = claim.location === 'query' ? 'X-Amz-Signature' : undefined;
  let first: SigV4Computation | undefined;
  for (const canonicalUri of canonicalUris(request.path, s3)) {
    for (const canonicalQuery of canonicalQueries(claim.query, excluded)) {
      const computed = computeSigV4({
        method: request.method,
        canonicalUri,
        canonicalQuery,
        canonicalHeaders: headersBlock,
        signedHeaders: signedHeaders.join(';'),
        payloadHash: payload,
        requestTime: claim.requestTime,
        scope: scopeText,
        signingKey,
      });
      first ??= computed;
      if (safeEqual(computed.signature, claim.signature)) {
        return {
          principal: credential.principal,
          accessKeyId: scope.accessKeyId,
          method: claim.location === 'header' ? 'sigv4-header' : 'sigv4-query',
          region: scope.region,
          service: scope.service,
          signedPayload: payload,
          requestTime: claim.requestTime,
          scope: scopeText,
          signingKey,
          seedSignature: computed.signature,
        };
      }
    }
  }
  throw errors.signatureMismatch({
    accessKeyId: scope.accessKeyId,
    signatureProvided: claim.signature,
    stringToSign: first!.stringToSign,
    canonicalRequest: first!.canonicalRequest,
  });
}

/** A request signed in its `Authorization: AWS4-HMAC-SHA256 ...` header. */
export async function verifySigV4Header<P>(
  context: VerifyContext<P>,
  authorization: string,
): Promise<Authenticated<P>> {
  const errors = sigV4Errors(context.profile.dialect);
  if (headerValue(context.request, 'x-amz-security-token') !== undefined) throw errors.securityTokenUnsupported();
  const claim = parseAuthorizationHeader(context, authorization, errors);
  return verifyClaim(context, claim, errors);
}

/**
 * A presigned request: its `X-Amz-*` parameters in the query string or, for a form-encoded Query request, in the
 * body (which then joins the canonical query, and the signed payload is empty, as when the SDKs presign a POST).
 */
export async function verifySigV4Query<P>(
  context: VerifyContext<P>,
  params: ReadonlyMap<string, string>,
  source: { query: string; inBody: boolean },
): Promise<Authenticated<P>> {
  const errors = sigV4Errors(context.profile.dialect);
  const claim = parsePresigned(params, source.query, source.inBody, context.profile.dialect === 's3', errors);
  if (params.has('X-Amz-Security-Token') || headerValue(context.request, 'x-amz-security-token') !== undefined) {
    throw errors.securityTokenUnsupported();
  }
  return verifyClaim(context, claim, errors);
}
