import t from 'tap';
import {
  AuthError,
  createRequestVerifier,
  hasAuthentication,
  serviceProfiles,
  type ServiceProfile,
  type SignedRequest,
} from '../../../../src/aws/auth/index.js';
import { ServiceError } from '../../../../src/aws/service-error.js';
import { SigningKeyCache } from '../../../../src/aws/auth/signing-key-cache.js';
import { ACCESS_KEY, asReceived, credentials, sdkRequest, sdkSigner } from './helpers.js';

const signingDate = new Date('2024-01-01T00:00:00Z');
const later = (seconds: number) => new Date(signingDate.getTime() + seconds * 1000);
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function verifier(profile: ServiceProfile, regions?: readonly string[]) {
  return createRequestVerifier({ credentials, profile, ...(regions ? { regions } : {}) });
}

async function headerSigned(service: string, options: { secret?: string; accessKeyId?: string; region?: string } = {}) {
  const signed = await sdkSigner(service, options.region, options.secret, options.accessKeyId).sign(
    sdkRequest({
      query: { Action: 'DescribeRegions' },
      ...(service === 's3' ? { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } } : {}),
    }),
    { signingDate },
  );
  return asReceived(signed);
}

async function presigned(service: string, expiresIn = 300, extra: Record<string, string> = {}) {
  const signed = await sdkSigner(service).presign(sdkRequest({ query: { Action: 'GetCallerIdentity', ...extra } }), {
    signingDate,
    expiresIn,
  });
  return asReceived(signed);
}

function withAuthorization(request: SignedRequest, edit: (value: string) => string): SignedRequest {
  return { ...request, headers: { ...request.headers, authorization: edit(String(request.headers.authorization)) } };
}

function withQuery(request: SignedRequest, edit: (value: string) => string): SignedRequest {
  return { ...request, query: edit(request.query) };
}

t.test('errors are ServiceErrors with AWS codes, statuses and messages', async (t) => {
  const error = await verifier(serviceProfiles.ec2)
    .verify({ method: 'GET', path: '/', query: '', headers: {} }, signingDate)
    .catch((e: unknown) => e);
  t.ok(error instanceof AuthError && error instanceof ServiceError);
  t.match(error, { code: 'AuthFailure', status: 401, fault: 'Sender' });
});

t.test('EC2', async (t) => {
  const ec2 = verifier(serviceProfiles.ec2);
  const unsigned: SignedRequest = { method: 'GET', path: '/', query: 'Action=DescribeRegions', headers: {} };
  const authFailure = {
    code: 'AuthFailure',
    status: 401,
    message: 'AWS was not able to validate the provided access credentials',
  };
  await t.rejects(ec2.verify(unsigned, signingDate), authFailure, 'no authentication');
  await t.rejects(ec2.verify(await headerSigned('ec2', { accessKeyId: 'AKIANOBODY' }), signingDate), authFailure);
  await t.rejects(
    ec2.verify(await headerSigned('ec2', { secret: 'wrong' }), signingDate),
    authFailure,
    'a wrong secret is an AuthFailure, as EC2 answers it',
  );
  const good = await headerSigned('ec2');
  t.equal((await ec2.verify(good, later(900))).method, 'sigv4-header', '15 minutes late is on time');
  t.equal((await ec2.verify(good, later(-900))).method, 'sigv4-header', '15 minutes early is on time');
  const expired = { code: 'RequestExpired', status: 400, message: 'Request has expired.' };
  await t.rejects(ec2.verify(good, later(901)), expired, 'one second too late');
  await t.rejects(ec2.verify(good, later(-901)), expired, 'one second too early');
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace(/, Signature=\w+/, '')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      status: 400,
      message: /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 Credential=/,
    },
  );
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      message: /^Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'/,
    },
  );
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace('/us-east-1/', '/')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      message: `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${ACCESS_KEY}/20240101/ec2/aws4_request'`,
    },
  );
  await t.rejects(ec2.verify(await headerSigned('sts'), signingDate), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: "Credential should be scoped to correct service: 'ec2'. ",
  });
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace('aws4_request', 'aws5_request')),
      signingDate,
    ),
    {
      message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
    },
  );
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace('/20240101/', '/20231231/')),
      signingDate,
    ),
    {
      code: 'SignatureDoesNotMatch',
      message:
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from 'X-Amz-Date'.",
    },
  );
  await t.rejects(
    ec2.verify(
      withAuthorization(good, (v) => v.replace('SignedHeaders=host;', 'SignedHeaders=')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    },
  );
  const noDate = { ...good, headers: { ...good.headers, 'x-amz-date': undefined } };
  await t.rejects(ec2.verify(noDate, signingDate), {
    code: 'IncompleteSignature',
    message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  });
  const badDate = { ...good, headers: { ...good.headers, 'x-amz-date': '2024-01-01T00:00:00Z' } };
  await t.rejects(ec2.verify(badDate, signingDate), {
    code: 'IncompleteSignature',
    message:
      "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
  });
  const token = { ...good, headers: { ...good.headers, 'x-amz-security-token': 'FwoGZXIvYXdzE' } };
  await t.rejects(ec2.verify(token, signingDate), {
    code: 'AuthFailure',
    status: 401,
    message: /session tokens/,
  });
  await t.rejects(verifier(serviceProfiles.ec2, ['mallee-1']).verify(good, signingDate), {
    code: 'SignatureDoesNotMatch',
    message: "Credential should be scoped to a valid region, not 'us-east-1'. ",
  });
  t.equal(
    (await verifier(serviceProfiles.ec2, ['mallee-1', 'us-east-1']).verify(good, signingDate)).region,
    'us-east-1',
  );
});

t.test('IAM and STS (Query)', async (t) => {
  const query = verifier(serviceProfiles.query);
  await t.rejects(query.verify({ method: 'POST', path: '/', query: '', headers: {}, body: '' }, signingDate), {
    code: 'MissingAuthenticationToken',
    status: 403,
    message: 'Request is missing Authentication Token',
  });
  await t.rejects(query.verify(await headerSigned('sts', { accessKeyId: 'AKIANOBODY' }), signingDate), {
    code: 'InvalidClientTokenId',
    status: 403,
    message: 'The security token included in the request is invalid.',
  });
  await t.rejects(query.verify(await headerSigned('iam', { secret: 'wrong' }), signingDate), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: SIGNATURE_MISMATCH,
  });
  const good = await headerSigned('sts');
  await t.rejects(query.verify(good, later(901)), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: 'Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z (20240101T001501Z - 15 min.)',
  });
  await t.rejects(query.verify(good, later(-901)), {
    code: 'SignatureDoesNotMatch',
    message:
      'Signature not yet current: 20240101T000000Z is still later than 20231231T235959Z (20231231T234459Z + 15 min.)',
  });
  await t.rejects(query.verify(await headerSigned('ec2'), signingDate), {
    message: "Credential should be scoped to correct service: 'iam' or 'sts'. ",
  });

  const url = await presigned('sts', 60);
  t.equal((await query.verify(url, later(60))).method, 'sigv4-query', 'valid to the last second');
  await t.rejects(query.verify(url, later(61)), {
    code: 'SignatureDoesNotMatch',
    message: 'Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z (20240101T000101Z - 1 min.)',
  });
  await t.rejects(query.verify(url, later(-901)), { message: /^Signature not yet current: / });
  await t.rejects(
    query.verify(
      withQuery(url, (q) => `${q}&X-Amz-Security-Token=FwoGZXIvYXdzE`),
      signingDate,
    ),
    {
      code: 'InvalidClientTokenId',
      status: 403,
      message: /^The security token included in the request is invalid: this cloud issues no session tokens/,
    },
  );
  await t.rejects(
    query.verify(
      withQuery(url, (q) => q.replace(/&X-Amz-Signature=\w+/, '')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      message: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
    },
  );
  await t.rejects(
    query.verify(
      withQuery(url, (q) => q.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801')),
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
      message: /^X-Amz-Expires must be less than a week/,
    },
  );
  await t.rejects(query.verify({ ...good, query: `${good.query}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, signingDate), {
    code: 'IncompleteSignature',
    message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
  });
});

t.test('a body that does not match its declared hash', async (t) => {
  const query = verifier(serviceProfiles.query);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signed = asReceived(
    await sdkSigner('sts').sign(
      sdkRequest({
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-amz-content-sha256': 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
        },
        body,
      }),
      { signingDate },
    ),
  );
  await t.rejects(query.verify(signed, signingDate), {
    code: 'SignatureDoesNotMatch',
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  });
  await t.rejects(
    query.verify(
      { ...signed, headers: { ...signed.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
      signingDate,
    ),
    {
      code: 'IncompleteSignature',
    },
  );
});

t.test('S3', async (t) => {
  const s3 = verifier(serviceProfiles.s3, ['mallee-1']);
  const signed = await headerSigned('s3', { region: 'mallee-1' });
  t.equal((await s3.verify(signed, signingDate)).region, 'mallee-1');
  await t.rejects(s3.verify({ method: 'GET', path: '/b/k', query: '', headers: {} }, signingDate), {
    code: 'AccessDenied',
    status: 403,
    message: 'Access Denied',
  });
  await t.rejects(s3.verify(await headerSigned('s3', { region: 'mallee-1', accessKeyId: 'AKIANOBODY' }), signingDate), {
    code: 'InvalidAccessKeyId',
    status: 403,
    message: 'The AWS Access Key Id you provided does not exist in our records.',
    details: { AWSAccessKeyId: 'AKIANOBODY' },
  });
  const mismatch = await s3.verify(await headerSigned('s3', { region: 'mallee-1', secret: 'wrong' }), signingDate).then(
    () => new AuthError('Unexpected', 'verified', 200),
    (e: unknown) => e as AuthError,
  );
  t.match(mismatch, {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  });
  t.same(Object.keys(mismatch.details), [
    'AWSAccessKeyId',
    'StringToSign',
    'SignatureProvided',
    'StringToSignBytes',
    'CanonicalRequest',
    'CanonicalRequestBytes',
  ]);
  t.match(
    mismatch.details.StringToSign,
    /^AWS4-HMAC-SHA256\n20240101T000000Z\n20240101\/mallee-1\/s3\/aws4_request\n[0-9a-f]{64}$/,
  );
  t.match(mismatch.details.CanonicalRequest, /^GET\n\/\nAction=DescribeRegions\nhost:mallee.test:8773\n/);
  t.equal(mismatch.details.StringToSignBytes?.slice(0, 11), '41 57 53 34');

  await t.rejects(s3.verify(signed, later(901)), {
    code: 'RequestTimeTooSkewed',
    status: 403,
    message: 'The difference between the request time and the current time is too large.',
    details: {
      RequestTime: '20240101T000000Z',
      ServerTime: '2024-01-01T00:15:01Z',
      MaxAllowedSkewMilliseconds: '900000',
    },
  });
  await t.rejects(s3.verify(await headerSigned('s3'), signingDate), {
    code: 'AuthorizationHeaderMalformed',
    status: 400,
    message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'mallee-1'",
    details: { Region: 'mallee-1' },
  });
  await t.rejects(s3.verify(await headerSigned('ec2', { region: 'mallee-1' }), signingDate), {
    code: 'AuthorizationHeaderMalformed',
    message: 'The authorization header is malformed; incorrect service "ec2". This endpoint belongs to "s3".',
  });
  await t.rejects(
    s3.verify(
      withAuthorization(signed, (v) => v.replace(/Credential=[^/]+\//, 'Credential=')),
      signingDate,
    ),
    {
      code: 'AuthorizationHeaderMalformed',
      message:
        'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    },
  );
  const noHash = { ...signed, headers: { ...signed.headers, 'x-amz-content-sha256': undefined } };
  await t.rejects(s3.verify(noHash, signingDate), {
    code: 'InvalidRequest',
    status: 400,
    message: 'Missing required header for this request: x-amz-content-sha256',
  });
  const oddHash = {
    ...signed,
    headers: { ...signed.headers, 'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' },
  };
  await t.rejects(s3.verify(oddHash, signingDate), {
    code: 'InvalidArgument',
    details: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' },
  });
  await t.rejects(s3.verify({ ...signed, headers: { ...signed.headers, authorization: 'Bearer abc' } }, signingDate), {
    code: 'InvalidArgument',
    status: 400,
    message: 'Unsupported Authorization Type',
    details: { ArgumentName: 'Authorization', ArgumentValue: 'Bearer abc' },
  });
  await t.rejects(s3.verify({ ...signed, query: `${signed.query}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, signingDate), {
    code: 'InvalidArgument',
    message:
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
  });
  await t.rejects(
    s3.verify({ ...signed, headers: { ...signed.headers, 'x-amz-security-token': 'abc' } }, signingDate),
    {
      code: 'InvalidToken',
      status: 400,
    },
  );
  await t.rejects(
    s3.verify(
      withAuthorization(signed, (v) => v.replace(/Signature=\w+/, '')),
      signingDate,
    ),
    {
      code: 'AuthorizationHeaderMalformed',
      message:
        'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
    },
  );
});

t.test('S3 presigned URL errors', async (t) => {
  const s3 = verifier(serviceProfiles.s3);
  const url = asReceived(
    await sdkSigner('s3').presign(
      sdkRequest({ path: '/bucket/key', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { signingDate, expiresIn: 300 },
    ),
  );
  t.equal((await s3.verify(url, later(300))).method, 'sigv4-query');
  await t.rejects(s3.verify(url, later(301)), {
    code: 'AccessDenied',
    status: 403,
    message: 'Request has expired',
    details: { 'X-Amz-Expires': '300', Expires: '2024-01-01T00:05:00Z', ServerTime: '2024-01-01T00:05:01Z' },
  });
  await t.rejects(s3.verify(url, later(-901)), { code: 'AccessDenied', message: 'Request is not valid yet' });
  const parametersError = (message: string | RegExp) => ({
    code: 'AuthorizationQueryParametersError',
    status: 400,
    message,
  });
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => q.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801')),
      signingDate,
    ),
    parametersError(
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    ),
  );
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => q.replace('X-Amz-Expires=300', 'X-Amz-Expires=-1')),
      signingDate,
    ),
    parametersError('X-Amz-Expires must be non-negative'),
  );
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => q.replace('X-Amz-Expires=300', 'X-Amz-Expires=soon')),
      signingDate,
    ),
    parametersError('X-Amz-Expires should be a number'),
  );
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => q.replace(/&?X-Amz-Expires=300/, '')),
      signingDate,
    ),
    parametersError(/^Query-string authentication version 4 requires the X-Amz-Algorithm/),
  );
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => q.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256')),
      signingDate,
    ),
    parametersError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'),
  );
  await t.rejects(verifier(serviceProfiles.s3, ['mallee-1']).verify(url, signingDate), {
    ...parametersError(
      "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'mallee-1'",
    ),
    details: { Region: 'mallee-1' },
  });
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => `${q}&X-Amz-Security-Token=abc`),
      signingDate,
    ),
    { code: 'InvalidToken' },
  );
  await t.rejects(
    s3.verify(
      withQuery(url, (q) => `${q}&versionId=2`),
      signingDate,
    ),
    { code: 'SignatureDoesNotMatch' },
  );
  await t.rejects(s3.verify({ ...url, path: '/bucket/other' }, signingDate), { code: 'SignatureDoesNotMatch' });
});

t.test('hasAuthentication tells anonymous requests apart', async (t) => {
  const anonymous: SignedRequest = {
    method: 'GET',
    path: '/public/object',
    query: 'versionId=3',
    headers: { host: 'x' },
  };
  t.notOk(hasAuthentication(anonymous, serviceProfiles.s3));
  t.ok(hasAuthentication(await headerSigned('s3'), serviceProfiles.s3));
  t.ok(hasAuthentication(await presigned('s3'), serviceProfiles.s3));
  t.ok(hasAuthentication({ ...anonymous, query: 'AWSAccessKeyId=A&Expires=1&Signature=x' }, serviceProfiles.s3));
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  t.ok(hasAuthentication({ ...anonymous, headers: form, body: 'Action=X&SignatureVersion=2' }, serviceProfiles.ec2));
  t.notOk(hasAuthentication({ ...anonymous, headers: form, body: 'Action=X' }, serviceProfiles.ec2));
});

t.test('signing keys are cached, bounded, least recently used out first', async (t) => {
  const cache = new SigningKeyCache(2);
  const a = cache.get('secret-a', '20240101', 'r', 's3');
  cache.get('secret-b', '20240101', 'r', 's3');
  t.equal(cache.get('secret-a', '20240101', 'r', 's3'), a, 'same Buffer from the cache');
  cache.get('secret-c', '20240101', 'r', 's3');
  t.equal(cache.size, 2);
  t.equal(cache.get('secret-a', '20240101', 'r', 's3'), a, 'a was used last, so b went');
  t.not(cache.get('secret-a', '20240102', 'r', 's3'), a, 'another day, another key');
});

t.test('a signature of the wrong length or case is refused, not thrown on', async (t) => {
  const ec2 = verifier(serviceProfiles.ec2);
  const good = await headerSigned('ec2');
  for (const edit of [(s: string) => s.slice(0, -1), (s: string) => s.toUpperCase(), (s: string) => `${s}00`]) {
    await t.rejects(
      ec2.verify(
        withAuthorization(good, (v) => v.replace(/Signature=(\w+)/, (_m, s: string) => `Signature=${edit(s)}`)),
        signingDate,
      ),
      { code: 'AuthFailure' },
    );
  }
});
