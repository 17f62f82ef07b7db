import { createHmac } from 'node:crypto';
import type { QueryDialectErrors } from './auth-errors.js';
import { headerValue, safeEqual, uriEncode } from './canonical.js';
import { CLOCK_SKEW_MS, requireCredential, type VerifyContext } from './context.js';
import type { Authenticated } from './types.js';

/** The parameters that make a Query or EC2 request a SigV2 one. */
export const SIGV2_PARAMETERS: readonly string[] = [
  'AWSAccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
];

const HMAC_ALGORITHMS: Readonly<Record<string, string>> = { HmacSHA256: 'sha256', HmacSHA1: 'sha1' };

/** An ISO 8601 timestamp as SigV2 clients write it (`2011-10-03T15:19:30Z`, with or without milliseconds or zone). */
function parseIsoExtended(value: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!match) return Number.NaN;
  const zone = match[2] === undefined ? 'Z' : match[2].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return Date.parse(`${match[1]}${zone}`);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** SigV2's string to sign: method, host, path and every parameter but the signature, sorted and strictly encoded. */
export function sigV2StringToSign(
  method: string,
  host: string,
  path: string,
  params: readonly [string, string][],
): string {
  const canonical = params
    .filter(([key]) => key !== 'Signature')
    .sort(([keyA, valueA], [keyB, valueB]) => compareBytes(keyA, keyB) || compareBytes(valueA, valueB))
    .map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`)
    .join('&');
  return `${method.toUpperCase()}\n${host.toLowerCase()}\n${path || '/'}\n${canonical}`;
}

function checkTime<P>(
  context: VerifyContext<P>,
  params: ReadonlyMap<string, string>,
  errors: QueryDialectErrors,
): void {
  const timestamp = params.get('Timestamp');
  const expires = params.get('Expires');
  if (timestamp !== undefined && expires !== undefined) {
    throw errors.sigV2ParameterCombination('The parameter Timestamp cannot be used with the parameter Expires');
  }
  if (timestamp === undefined && expires === undefined) throw errors.sigV2MissingParameter('Timestamp');
  const now = context.now.getTime();
  if (timestamp !== undefined) {
    const signedAt = parseIsoExtended(timestamp);
    if (Number.isNaN(signedAt)) {
      throw errors.sigV2InvalidParameter('Timestamp', timestamp, 'It must be an ISO 8601 date and time.');
    }
    if (Math.abs(now - signedAt) > CLOCK_SKEW_MS) throw errors.sigV2Expired('Timestamp', timestamp);
  } else if (expires !== undefined) {
    const until = parseIsoExtended(expires);
    if (Number.isNaN(until)) {
      throw errors.sigV2InvalidParameter('Expires', expires, 'It must be an ISO 8601 date and time.');
    }
    if (now > until) throw errors.sigV2Expired('Expires', expires);
  }
}

/** A Query or EC2 request signed with SigV2, its parameters from the query string and the form body together. */
export async function verifySigV2<P>(
  context: VerifyContext<P>,
  params: readonly [string, string][],
  errors: QueryDialectErrors,
): Promise<Authenticated<P>> {
  const first = new Map<string, string>();
  for (const [key, value] of params) if (!first.has(key)) first.set(key, value);
  const version = first.get('SignatureVersion');
  if (version === undefined) throw errors.sigV2MissingParameter('SignatureVersion');
  if (version !== '2') throw errors.sigV2InvalidParameter('SignatureVersion', version, 'Only version 2 is supported.');
  const accessKeyId = first.get('AWSAccessKeyId');
  if (!accessKeyId) throw errors.sigV2MissingParameter('AWSAccessKeyId');
  const signature = first.get('Signature');
  if (!signature) throw errors.sigV2MissingParameter('Signature');
  const signatureMethod = first.get('SignatureMethod');
  if (signatureMethod === undefined) throw errors.sigV2MissingParameter('SignatureMethod');
  const algorithm = HMAC_ALGORITHMS[signatureMethod];
  if (!algorithm) {
    throw errors.sigV2InvalidParameter('SignatureMethod', signatureMethod, 'It must be HmacSHA256 or HmacSHA1.');
  }
  if (first.has('SecurityToken')) throw errors.securityTokenUnsupported();
  checkTime(context, first, errors);
  const credential = await requireCredential(context, accessKeyId, (id) => errors.unknownAccessKey(id));

  const { request } = context;
  const stringToSign = sigV2StringToSign(request.method, headerValue(request, 'host') ?? '', request.path, params);
  const expected = createHmac(algorithm, credential.secretAccessKey).update(stringToSign, 'utf8').digest('base64');
  // An unencoded `+` of the base64 signature arrives as a space once form-decoded.
  const provided = signature.replace(/ /g, '+');
  if (!safeEqual(expected, provided)) {
    throw errors.signatureMismatch({ accessKeyId, signatureProvided: provided, stringToSign });
  }
  return { principal: credential.principal, accessKeyId, method: 'sigv2', signedPayload: 'UNSIGNED-PAYLOAD' };
}
