import { commonErrors, ServiceError } from '../service-error.js';
import type { ErrorDialect } from './types.js';

/**
 * A refused signature. `details` carries the extra elements some services put in their error document (S3's
 * `StringToSign`, `CanonicalRequest`, `RequestTime` ...), in document order, for the serialiser to write.
 */
export class AuthError extends ServiceError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, status);
    this.name = 'AuthError';
  }
}

/** Where SigV4 parameters came from: S3 words its errors differently for each. */
export type SigV4Location = 'header' | 'query';

/** What a mismatched signature was computed over, for the error (S3 shows it; the others keep it to themselves). */
export interface MismatchContext {
  accessKeyId: string;
  signatureProvided: string;
  stringToSign: string;
  canonicalRequest?: string;
}

/** SigV4 time checks report the request's timestamp and the server's clock in ISO 8601 basic format. */
export interface TimeContext {
  /** The request's own timestamp, as the client sent it. */
  requestTime: string;
  now: Date;
}

export interface SigV4Errors {
  missingAuthentication(): AuthError;
  unknownAccessKey(accessKeyId: string): AuthError;
  signatureMismatch(context: MismatchContext): AuthError;
  securityTokenUnsupported(): AuthError;
  /** `found` is the parameter that competes with the Authorization header (given) or with another parameter. */
  multipleMechanisms(found: string, authorization?: string): AuthError;
  unsupportedAlgorithm(authorization: string): AuthError;
  incompleteHeader(missing: readonly string[], authorization: string): AuthError;
  malformedCredential(credential: string, where: SigV4Location): AuthError;
  missingDate(): AuthError;
  malformedDate(value: string, where: SigV4Location): AuthError;
  scopeDateMismatch(scopeDate: string, requestDate: string, dateSource: string, where: SigV4Location): AuthError;
  wrongRegion(region: string, expected: readonly string[], where: SigV4Location): AuthError;
  wrongService(service: string, expected: readonly string[], where: SigV4Location): AuthError;
  wrongTerminator(terminator: string, where: SigV4Location): AuthError;
  hostNotSigned(where: SigV4Location): AuthError;
  requestTooOld(time: TimeContext): AuthError;
  requestInFuture(time: TimeContext): AuthError;
  presignMissingParameters(missing: readonly string[]): AuthError;
  presignUnsupportedAlgorithm(algorithm: string): AuthError;
  presignBadExpires(problem: 'not-a-number' | 'negative' | 'too-long'): AuthError;
  presignExpired(time: TimeContext, expiresSeconds: number): AuthError;
  presignNotYetValid(time: TimeContext): AuthError;
  missingContentSha256(): AuthError;
  invalidContentSha256(value: string): AuthError;
  contentSha256Mismatch(claimed: string, computed: string): AuthError;
}

/** EC2 and the Query services also take SigV2, whose parameter problems read like any other parameter's. */
export interface SigV2Errors {
  sigV2MissingParameter(name: string): ServiceError;
  sigV2InvalidParameter(name: string, value: string, why: string): ServiceError;
  sigV2ParameterCombination(message: string): ServiceError;
  sigV2Expired(parameter: 'Timestamp' | 'Expires', value: string): AuthError;
}

/** S3's legacy signatures: `Authorization: AWS AKID:signature` and `?AWSAccessKeyId=&Expires=&Signature=`. */
export interface S3V2Errors {
  s3V2MalformedHeader(authorization: string): AuthError;
  s3V2MissingDate(): AuthError;
  s3V2QueryMissingParameters(): AuthError;
  s3V2InvalidExpires(value: string): AuthError;
  s3V2Expired(expiresEpochSeconds: number, now: Date): AuthError;
}

export type QueryDialectErrors = SigV4Errors & SigV2Errors;
export type S3DialectErrors = SigV4Errors & S3V2Errors;

const WINDOW_MINUTES = 15;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const S3_SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const EC2_AUTH_FAILURE = 'AWS was not able to validate the provided access credentials';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const NO_SESSION_TOKENS = 'this cloud issues no session tokens; sign with an access key and its secret alone.';
const S3_CREDENTIAL_FORMAT =
  'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const S3_EXPIRES_MAX =
  'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds';

/** `20150830T123600Z`, the form AWS quotes timestamps in. */
export function isoBasic(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hexBytes(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

function shifted(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function durationWords(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min.` : `${seconds} sec.`;
}

function expiresProblem(problem: 'not-a-number' | 'negative' | 'too-long'): string {
  if (problem === 'not-a-number') return 'X-Amz-Expires should be a number';
  if (problem === 'negative') return 'X-Amz-Expires must be non-negative';
  return S3_EXPIRES_MAX;
}

function incompleteHeaderMessage(missing: readonly string[], authorization: string): string {
  const parts = missing.map((name) => `Authorization header requires '${name}' parameter.`);
  return `${parts.join(' ')} Authorization=${authorization}`;
}

/**
 * The SigV4 and SigV2 errors EC2 and the Query services (IAM, STS) share; they differ in the code for a bad or
 * missing key, for an expired request and for a session token.
 */
function queryStyleErrors(dialect: 'ec2' | 'query'): QueryDialectErrors {
  const ec2 = dialect === 'ec2';
  const error = (code: string, message: string, status: number) => new AuthError(code, message, status);
  const incomplete = (message: string) => error('IncompleteSignature', message, 400);
  const mismatch = (message: string) => error('SignatureDoesNotMatch', message, 403);
  const expired = () => error('RequestExpired', 'Request has expired.', 400);
  const tooOld = ({ requestTime, now }: TimeContext, seconds: number) =>
    ec2
      ? expired()
      : mismatch(
          `Signature expired: ${requestTime} is now earlier than ${isoBasic(shifted(now, -seconds))} (${isoBasic(now)} - ${durationWords(seconds)})`,
        );
  const inFuture = ({ requestTime, now }: TimeContext) =>
    ec2
      ? expired()
      : mismatch(
          `Signature not yet current: ${requestTime} is still later than ${isoBasic(shifted(now, WINDOW_MINUTES * 60))} (${isoBasic(now)} + ${WINDOW_MINUTES} min.)`,
        );
  return {
    missingAuthentication: () =>
      ec2
        ? error('AuthFailure', EC2_AUTH_FAILURE, 401)
        : error('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
    unknownAccessKey: () =>
      ec2 ? error('AuthFailure', EC2_AUTH_FAILURE, 401) : error('InvalidClientTokenId', INVALID_TOKEN, 403),
    // EC2 answers a wrong secret as it answers an unknown key: AuthFailure, 401 (clients and Eucalyptus alike).
    signatureMismatch: () => (ec2 ? error('AuthFailure', EC2_AUTH_FAILURE, 401) : mismatch(SIGNATURE_MISMATCH)),
    securityTokenUnsupported: () =>
      ec2
        ? error('AuthFailure', `${EC2_AUTH_FAILURE}: ${NO_SESSION_TOKENS}`, 401)
        : error('InvalidClientTokenId', `${INVALID_TOKEN.slice(0, -1)}: ${NO_SESSION_TOKENS}`, 403),
    multipleMechanisms: (found, authorization) =>
      incomplete(
        authorization === undefined
          ? `Found both 'X-Amz-Algorithm' and '${found}' as query-string params.`
          : `Found both '${found}' as a query-string param and 'Authorization' as HTTP header.`,
      ),
    unsupportedAlgorithm: (authorization) => {
      const algorithm = authorization.split(/\s/, 1)[0] ?? '';
      return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'. Authorization=${authorization}`);
    },
    incompleteHeader: (missing, authorization) => incomplete(incompleteHeaderMessage(missing, authorization)),
    malformedCredential: (credential) =>
      incomplete(
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
      ),
    missingDate: () =>
      incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."),
    malformedDate: (value) =>
      incomplete(`Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`),
    scopeDateMismatch: (scopeDate, requestDate, dateSource) =>
      mismatch(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${requestDate}', from '${dateSource}'.`,
      ),
    wrongRegion: (region) => mismatch(`Credential should be scoped to a valid region, not '${region}'. `),
    wrongService: (_service, expected) =>
      mismatch(`Credential should be scoped to correct service: '${expected.join("' or '")}'. `),
    wrongTerminator: (terminator) =>
      mismatch(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `),
    hostNotSigned: () => incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
    requestTooOld: (time) => tooOld(time, WINDOW_MINUTES * 60),
    requestInFuture: inFuture,
    presignMissingParameters: (missing) =>
      incomplete(
        `AWS query-string parameters must include ${missing.map((name) => `'${name}'`).join(', ')}. Re-examine the query-string parameters.`,
      ),
    presignUnsupportedAlgorithm: (algorithm) => incomplete(`Unsupported AWS 'algorithm': '${algorithm}'.`),
    presignBadExpires: (problem) => incomplete(expiresProblem(problem)),
    presignExpired: (time, expiresSeconds) => tooOld(time, expiresSeconds),
    presignNotYetValid: inFuture,
    missingContentSha256: () => incomplete('Missing required header for this request: x-amz-content-sha256'),
    invalidContentSha256: (value) =>
      incomplete(`x-amz-content-sha256 must be the hex SHA-256 of the request body, not '${value}'.`),
    contentSha256Mismatch: () =>
      mismatch("The provided 'x-amz-content-sha256' header does not match what was computed."),
    sigV2MissingParameter: (name) =>
      name === 'AWSAccessKeyId'
        ? ec2
          ? error('AuthFailure', EC2_AUTH_FAILURE, 401)
          : error('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : commonErrors.missingParameter(name),
    sigV2InvalidParameter: (name, value, why) => commonErrors.invalidParameterValue(name, value, why),
    sigV2ParameterCombination: (message) => commonErrors.invalidParameterCombination(message),
    sigV2Expired: (parameter, value) =>
      error('RequestExpired', `Request has expired. ${parameter} date is ${value}`, 400),
  };
}

function s3Errors(): S3DialectErrors {
  const error = (code: string, message: string, status: number, details: Record<string, string> = {}) =>
    new AuthError(code, message, status, details);
  const malformed = (where: 'header' | 'query', problem: string, details: Record<string, string> = {}) =>
    where === 'header'
      ? error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${problem}`, 400, details)
      : error(
          'AuthorizationQueryParametersError',
          `Error parsing the X-Amz-Credential parameter; ${problem}`,
          400,
          details,
        );
  const queryParameters = (message: string) => error('AuthorizationQueryParametersError', message, 400);
  const skewed = ({ requestTime, now }: TimeContext) =>
    error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403, {
      RequestTime: requestTime,
      ServerTime: isoSeconds(now),
      MaxAllowedSkewMilliseconds: String(WINDOW_MINUTES * 60 * 1000),
    });
  const missingDate = () => error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', 403);
  return {
    missingAuthentication: () => error('AccessDenied', 'Access Denied', 403),
    unknownAccessKey: (accessKeyId) =>
      error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, {
        AWSAccessKeyId: accessKeyId,
      }),
    signatureMismatch: ({ accessKeyId, signatureProvided, stringToSign, canonicalRequest }) =>
      error('SignatureDoesNotMatch', S3_SIGNATURE_MISMATCH, 403, {
        AWSAccessKeyId: accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: signatureProvided,
        StringToSignBytes: hexBytes(stringToSign),
        ...(canonicalRequest === undefined
          ? {}
          : { CanonicalRequest: canonicalRequest, CanonicalRequestBytes: hexBytes(canonicalRequest) }),
      }),
    securityTokenUnsupported: () =>
      error('InvalidToken', `The provided token is malformed or otherwise invalid: ${NO_SESSION_TOKENS}`, 400),
    multipleMechanisms: (found, authorization) =>
      error(
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        400,
        authorization === undefined
          ? { ArgumentName: found, ArgumentValue: '' }
          : { ArgumentName: 'Authorization', ArgumentValue: authorization },
      ),
    unsupportedAlgorithm: (authorization) =>
      error('InvalidArgument', 'Unsupported Authorization Type', 400, {
        ArgumentName: 'Authorization',
        ArgumentValue: authorization,
      }),
    incompleteHeader: () =>
      malformed(
        'header',
        'the authorization header requires three components: Credential, SignedHeaders, and Signature.',
      ),
    malformedCredential: (_credential, where) => malformed(where, S3_CREDENTIAL_FORMAT),
    missingDate,
    malformedDate: (_value, where) =>
      where === 'header'
        ? missingDate()
        : queryParameters(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`),
    scopeDateMismatch: (scopeDate, requestDate, dateSource, where) =>
      malformed(
        where,
        `Invalid credential date "${scopeDate}". This date is not the same as ${dateSource}: "${requestDate}".`,
      ),
    wrongRegion: (region, expected, where) =>
      malformed(where, `the region '${region}' is wrong; expecting '${expected[0] ?? ''}'`, {
        Region: expected[0] ?? '',
      }),
    wrongService: (service, expected, where) =>
      malformed(where, `incorrect service "${service}". This endpoint belongs to "${expected[0] ?? 's3'}".`),
    wrongTerminator: (terminator, where) =>
      malformed(where, `incorrect terminal "${terminator}". This endpoint uses "aws4_request".`),
    hostNotSigned: (where) =>
      where === 'header'
        ? malformed(where, 'the SignedHeaders must include host.')
        : queryParameters('X-Amz-SignedHeaders must include host.'),
    requestTooOld: skewed,
    requestInFuture: skewed,
    presignMissingParameters: () =>
      queryParameters(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      ),
    presignUnsupportedAlgorithm: () => queryParameters('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'),
    presignBadExpires: (problem) => queryParameters(expiresProblem(problem)),
    presignExpired: ({ requestTime, now }, expiresSeconds) =>
      error('AccessDenied', 'Request has expired', 403, {
        'X-Amz-Expires': String(expiresSeconds),
        Expires: isoSeconds(shifted(parseIsoBasic(requestTime) ?? now, expiresSeconds)),
        ServerTime: isoSeconds(now),
      }),
    presignNotYetValid: () => error('AccessDenied', 'Request is not valid yet', 403),
    missingContentSha256: () =>
      error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400),
    invalidContentSha256: (value) =>
      error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.',
        400,
        { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
      ),
    contentSha256Mismatch: (claimed, computed) =>
      error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
        { ClientComputedContentSHA256: claimed, S3ComputedContentSHA256: computed },
      ),
    s3V2MalformedHeader: (authorization) =>
      error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature', 400, {
        ArgumentName: 'Authorization',
        ArgumentValue: authorization,
      }),
    s3V2MissingDate: missingDate,
    s3V2QueryMissingParameters: () =>
      error(
        'AccessDenied',
        'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
        403,
      ),
    s3V2InvalidExpires: (value) => error('AccessDenied', `Invalid date (should be seconds since epoch): ${value}`, 403),
    s3V2Expired: (expires, now) =>
      error('AccessDenied', 'Request has expired', 403, {
        Expires: isoSeconds(new Date(expires * 1000)),
        ServerTime: isoSeconds(now),
      }),
  };
}

/** `20150830T123600Z` to a Date; `undefined` unless it is exactly that form and a real instant. */
export function parseIsoBasic(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (month 13, February 30): a real timestamp reads back the same.
  const same =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return same ? date : undefined;
}

export const queryDialectErrors: Readonly<Record<'ec2' | 'query', QueryDialectErrors>> = {
  ec2: queryStyleErrors('ec2'),
  query: queryStyleErrors('query'),
};

export const s3DialectErrors: S3DialectErrors = s3Errors();

export function sigV4Errors(dialect: ErrorDialect): SigV4Errors {
  return dialect === 's3' ? s3DialectErrors : queryDialectErrors[dialect];
}
