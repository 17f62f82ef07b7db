import { queryDialectErrors, s3DialectErrors, sigV4Errors } from './auth-errors.js';
import { decodeParams, headerValue } from './canonical.js';
import type { VerifyContext } from './context.js';
import { verifyS3V2Header, verifyS3V2Query } from './s3-v2.js';
import { SigningKeyCache } from './signing-key-cache.js';
import { SIGV2_PARAMETERS, verifySigV2 } from './sigv2.js';
import { SIGV4_ALGORITHM, verifySigV4Header, verifySigV4Query } from './sigv4.js';
import type { Authenticated, CredentialLookup, ServiceProfile, SignedRequest } from './types.js';

export interface RequestVerifierOptions<P> {
  credentials: CredentialLookup<P>;
  profile: ServiceProfile;
  /** Regions a SigV4 credential scope may name; any region when absent. */
  regions?: readonly string[];
  /** How many derived SigV4 signing keys to keep (one per secret, day, region and service). */
  signingKeyCacheSize?: number;
}

export interface RequestVerifier<P> {
  readonly profile: ServiceProfile;
  /** Who signed the request, or an `AuthError` (a `ServiceError`) in the profile's dialect. */
  verify(request: SignedRequest, now?: Date): Promise<Authenticated<P>>;
}

const SIGV4_QUERY_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'];

/** The first value of each parameter: SigV4 and SigV2 name each of theirs once. */
function firstValues(params: readonly [string, string][]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of params) if (!map.has(key)) map.set(key, value);
  return map;
}

/** The raw text of a form-encoded body, whose parameters Query and EC2 requests may sign (and S3 never). */
function formBody(request: SignedRequest, profile: ServiceProfile): string | undefined {
  if (profile.dialect === 's3' || request.body === undefined) return undefined;
  const contentType = headerValue(request, 'content-type')?.toLowerCase() ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) return undefined;
  return typeof request.body === 'string' ? request.body : request.body.toString('utf8');
}

function hasAny(params: ReadonlyMap<string, string>, names: readonly string[]): boolean {
  return names.some((name) => params.has(name));
}

/**
 * Whether a request carries any authentication at all. S3 serves anonymous requests (public-read objects) where the
 * other services refuse them, so Walrus asks this first and verifies only what claims an identity.
 */
export function hasAuthentication(request: SignedRequest, profile: ServiceProfile): boolean {
  if (headerValue(request, 'authorization') !== undefined) return true;
  const query = firstValues(decodeParams(request.query));
  if (hasAny(query, [...SIGV4_QUERY_PARAMETERS, ...SIGV2_PARAMETERS])) return true;
  const body = formBody(request, profile);
  return (
    body !== undefined && hasAny(firstValues(decodeParams(body)), [...SIGV4_QUERY_PARAMETERS, ...SIGV2_PARAMETERS])
  );
}

async function verifyRequest<P>(context: VerifyContext<P>): Promise<Authenticated<P>> {
  const { request, profile } = context;
  const authorization = headerValue(request, 'authorization');
  const queryParams = decodeParams(request.query);
  const query = firstValues(queryParams);
  const body = formBody(request, profile);
  const bodyParams = body === undefined ? [] : decodeParams(body);
  const params = firstValues([...queryParams, ...bodyParams]);
  const errors = sigV4Errors(profile.dialect);

  if (authorization !== undefined) {
    if (params.has('X-Amz-Algorithm')) throw errors.multipleMechanisms('X-Amz-Algorithm', authorization);
    if (params.has('Signature')) throw errors.multipleMechanisms('Signature', authorization);
    if (authorization.startsWith(`${SIGV4_ALGORITHM} `)) return verifySigV4Header(context, authorization);
    if (profile.dialect === 's3' && authorization.startsWith('AWS ')) {
      return verifyS3V2Header(context, authorization, s3DialectErrors);
    }
    throw errors.unsupportedAlgorithm(authorization);
  }

  if (hasAny(query, SIGV4_QUERY_PARAMETERS)) {
    if (query.has('AWSAccessKeyId') || query.has('Signature')) {
      throw errors.multipleMechanisms(query.has('Signature') ? 'Signature' : 'AWSAccessKeyId');
    }
    return verifySigV4Query(context, query, { query: request.query, inBody: false });
  }
  if (profile.dialect === 's3') {
    if (hasAny(query, ['AWSAccessKeyId', 'Signature', 'Expires'])) {
      return verifyS3V2Query(context, query, s3DialectErrors);
    }
    throw errors.missingAuthentication();
  }

  const bodyFirst = firstValues(bodyParams);
  if (body !== undefined && hasAny(bodyFirst, SIGV4_QUERY_PARAMETERS)) {
    const combined = [request.query, body].filter((part) => part !== '').join('&');
    return verifySigV4Query(context, bodyFirst, { query: combined, inBody: true });
  }
  if (hasAny(params, SIGV2_PARAMETERS)) {
    return verifySigV2(context, [...queryParams, ...bodyParams], queryDialectErrors[profile.dialect]);
  }
  throw errors.missingAuthentication();
}

/**
 * A verifier for one endpoint: decides who sent each request (SigV4 in the header or presigned, SigV2, S3's legacy
 * signatures) or refuses it with the error the real service would give. It keeps derived signing keys between
 * requests and nothing else; credentials come from the injected lookup.
 */
export function createRequestVerifier<P>(options: RequestVerifierOptions<P>): RequestVerifier<P> {
  const signingKeys = new SigningKeyCache(options.signingKeyCacheSize);
  const { credentials, profile, regions } = options;
  return {
    profile,
    verify: (request, now = new Date()) => verifyRequest({ request, now, profile, regions, credentials, signingKeys }),
  };
}
