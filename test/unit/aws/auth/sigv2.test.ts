import { createHmac } from 'node:crypto';
import t from 'tap';
import { createRequestVerifier, serviceProfiles, type SignedRequest } from '../../../../src/aws/auth/index.js';
import { ACCESS_KEY, credentials, escapeUri, SECRET } from './helpers.js';

const now = new Date('2024-06-01T12:00:00Z');
const ec2 = createRequestVerifier({ credentials, profile: serviceProfiles.ec2 });
const query = createRequestVerifier({ credentials, profile: serviceProfiles.query });

/** Signs SigV2 parameters the way the spec spells it, independently of the module under test. */
function signV2(stringToSign: string, method: 'HmacSHA256' | 'HmacSHA1', secret = SECRET): string {
  return createHmac(method === 'HmacSHA256' ? 'sha256' : 'sha1', secret)
    .update(stringToSign)
    .digest('base64');
}

function formEncode(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([key, value]) => `${escapeUri(key).replace(/%20/g, '+')}=${escapeUri(value).replace(/%20/g, '+')}`)
    .join('&');
}

const baseParams = {
  Action: 'DescribeRegions',
  Version: '2016-11-15',
  'RegionName.1': 'a b/c~',
  AWSAccessKeyId: ACCESS_KEY,
  SignatureVersion: '2',
  Timestamp: '2024-06-01T12:00:00Z',
};

t.test('SigV2 with HmacSHA256 in the query string, string to sign as the spec spells it', async (t) => {
  const params = { ...baseParams, SignatureMethod: 'HmacSHA256' };
  const stringToSign = [
    'GET',
    'ec2.mallee.test:8773',
    '/',
    `AWSAccessKeyId=${ACCESS_KEY}&Action=DescribeRegions&RegionName.1=a%20b%2Fc~&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2024-06-01T12%3A00%3A00Z&Version=2016-11-15`,
  ].join('\n');
  const signature = signV2(stringToSign, 'HmacSHA256');
  const request: SignedRequest = {
    method: 'GET',
    path: '/',
    query: formEncode({ ...params, Signature: signature }),
    headers: { host: 'EC2.Mallee.Test:8773' },
  };
  t.match(await ec2.verify(request, now), {
    principal: { user: 'alice' },
    accessKeyId: ACCESS_KEY,
    method: 'sigv2',
    signedPayload: 'UNSIGNED-PAYLOAD',
  });
  t.equal(request.query.includes('RegionName.1=a+b%2Fc~'), true, 'the wire used + for the space');
  const unencodedPlus = { ...request, query: request.query.replace(/Signature=[^&]+/, `Signature=${signature}`) };
  t.equal((await ec2.verify(unencodedPlus, now)).method, 'sigv2', 'a + left unencoded in the signature still works');
  await t.rejects(ec2.verify({ ...request, headers: { host: 'other.host' } }, now), {
    code: 'AuthFailure',
    status: 401,
  });
});

t.test('SigV2 with HmacSHA1 in a form body', async (t) => {
  const params = { ...baseParams, SignatureMethod: 'HmacSHA1', Action: 'GetCallerIdentity', Version: '2011-06-15' };
  const canonical = Object.entries(params)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
    .join('&');
  const signature = signV2(`POST\nsts.mallee.test\n/\n${canonical}`, 'HmacSHA1');
  const request: SignedRequest = {
    method: 'POST',
    path: '/',
    query: '',
    headers: { host: 'sts.mallee.test', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: Buffer.from(formEncode({ ...params, Signature: signature })),
  };
  t.equal((await query.verify(request, now)).method, 'sigv2');
  await t.rejects(query.verify({ ...request, body: `${String(request.body)}&Extra=1` }, now), {
    code: 'SignatureDoesNotMatch',
  });
  await t.rejects(
    query.verify({ ...request, headers: { ...request.headers, 'content-type': 'application/json' } }, now),
    { code: 'MissingAuthenticationToken' },
    'parameters count only in a form body',
  );
});

t.test('SigV2 refusals', async (t) => {
  const sign = (params: Record<string, string>) => {
    const canonical = Object.entries(params)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
      .join('&');
    return `${formEncode(params)}&Signature=${escapeUri(signV2(`GET\nh\n/\n${canonical}`, 'HmacSHA256'))}`;
  };
  const request = (params: Record<string, string>): SignedRequest => ({
    method: 'GET',
    path: '/',
    query: sign(params),
    headers: { host: 'h' },
  });
  const good = { ...baseParams, SignatureMethod: 'HmacSHA256' };
  t.equal((await ec2.verify(request(good), new Date('2024-06-01T12:15:00Z'))).method, 'sigv2', 'edge of the window');
  await t.rejects(ec2.verify(request(good), new Date('2024-06-01T12:15:01Z')), {
    code: 'RequestExpired',
    status: 400,
    message: 'Request has expired. Timestamp date is 2024-06-01T12:00:00Z',
  });
  await t.rejects(ec2.verify(request(good), new Date('2024-06-01T11:44:59Z')), { code: 'RequestExpired' });
  const { Timestamp: _timestamp, ...untimed } = good;
  t.equal(
    (await ec2.verify(request({ ...untimed, Expires: '2024-06-01T13:00:00Z' }), new Date('2024-06-01T13:00:00Z')))
      .method,
    'sigv2',
  );
  await t.rejects(
    ec2.verify(request({ ...untimed, Expires: '2024-06-01T13:00:00Z' }), new Date('2024-06-01T13:00:01Z')),
    {
      code: 'RequestExpired',
      message: 'Request has expired. Expires date is 2024-06-01T13:00:00Z',
    },
  );
  await t.rejects(ec2.verify(request({ ...good, Expires: '2024-06-01T13:00:00Z' }), now), {
    code: 'InvalidParameterCombination',
    message: 'The parameter Timestamp cannot be used with the parameter Expires',
  });
  await t.rejects(ec2.verify(request(untimed), now), {
    code: 'MissingParameter',
    message: 'The request must contain the parameter Timestamp',
  });
  await t.rejects(ec2.verify(request({ ...good, Timestamp: 'yesterday' }), now), {
    code: 'InvalidParameterValue',
    message: 'Value (yesterday) for parameter Timestamp is invalid. It must be an ISO 8601 date and time.',
  });
  await t.rejects(ec2.verify(request({ ...good, SignatureVersion: '1' }), now), {
    code: 'InvalidParameterValue',
    message: 'Value (1) for parameter SignatureVersion is invalid. Only version 2 is supported.',
  });
  await t.rejects(ec2.verify(request({ ...good, SignatureMethod: 'HmacMD5' }), now), {
    code: 'InvalidParameterValue',
    message: 'Value (HmacMD5) for parameter SignatureMethod is invalid. It must be HmacSHA256 or HmacSHA1.',
  });
  const { SignatureMethod: _method, ...methodless } = good;
  await t.rejects(ec2.verify(request(methodless), now), { code: 'MissingParameter' });
  await t.rejects(ec2.verify(request({ ...good, AWSAccessKeyId: 'AKIANOBODY' }), now), {
    code: 'AuthFailure',
    status: 401,
  });
  await t.rejects(query.verify(request({ ...good, AWSAccessKeyId: 'AKIANOBODY' }), now), {
    code: 'InvalidClientTokenId',
    status: 403,
  });
  const { AWSAccessKeyId: _key, ...keyless } = good;
  await t.rejects(query.verify(request(keyless), now), { code: 'MissingAuthenticationToken' });
  await t.rejects(ec2.verify(request({ ...good, SecurityToken: 'FwoGZXIvYXdzE' }), now), {
    code: 'AuthFailure',
    message: /session tokens/,
  });
  await t.rejects(ec2.verify({ ...request(good), headers: { host: 'h', authorization: 'AWS4-HMAC-SHA256 x' } }, now), {
    code: 'IncompleteSignature',
    message: "Found both 'Signature' as a query-string param and 'Authorization' as HTTP header.",
  });
});

// The worked examples of the S3 API reference for its legacy signatures (secret of the 2013 examples).
const S3_KEY = 'AKIAIOSFODNN7EXAMPLE';
const s3 = createRequestVerifier({
  credentials: {
    lookup: async (id: string) =>
      id === S3_KEY
        ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', principal: 'johnsmith' }
        : undefined,
  },
  profile: serviceProfiles.s3,
});

function s3Request(
  method: string,
  target: string,
  date: string,
  signature: string,
  headers: Record<string, string | string[]> = {},
  bucket = 'johnsmith',
): SignedRequest {
  const [path = '/', query = ''] = target.split('?');
  return {
    method,
    path,
    query,
    headers: { host: `${bucket}.s3.amazonaws.com`, date, authorization: `AWS ${S3_KEY}:${signature}`, ...headers },
    virtualHostBucket: bucket,
  };
}

t.test('S3 v2 header signatures: the reference examples', async (t) => {
  const cases: [string, SignedRequest][] = [
    [
      'object GET',
      s3Request('GET', '/photos/puppy.jpg', 'Tue, 27 Mar 2007 19:36:42 +0000', 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='),
    ],
    [
      'object PUT',
      s3Request('PUT', '/photos/puppy.jpg', 'Tue, 27 Mar 2007 21:15:45 +0000', 'MyyxeRY7whkBe+bq8fHCL/2kKUg=', {
        'content-type': 'image/jpeg',
        'content-length': '94328',
      }),
    ],
    [
      'list (query parameters that are no sub-resource)',
      s3Request(
        'GET',
        '/?prefix=photos&max-keys=50&marker=puppy',
        'Tue, 27 Mar 2007 19:42:41 +0000',
        'htDYFYduRNen8P9ZfE/s9SuKy0U=',
        {
          'user-agent': 'Mozilla/5.0',
        },
      ),
    ],
    [
      'fetch the ACL (a sub-resource)',
      s3Request('GET', '/?acl', 'Tue, 27 Mar 2007 19:44:46 +0000', 'c2WLPFtWHVgbEmeEG93a4cG37dM='),
    ],
    [
      'upload with amz headers, a repeated one among them',
      s3Request(
        'PUT',
        '/db-backup.dat.gz',
        'Tue, 27 Mar 2007 21:06:08 +0000',
        'ilyl83RwaSoYIEdixDQcA4OnAnc=',
        {
          host: 'static.johnsmith.net:8080',
          'x-amz-acl': 'public-read',
          'content-type': 'application/x-download',
          'content-md5': '4gJE4saaMU4BqNR0kLY+lw==',
          'x-amz-meta-reviewedby': ['joe@johnsmith.net', 'jane@johnsmith.net'],
          'x-amz-meta-filechecksum': '0x02661779',
          'x-amz-meta-checksumalgorithm': 'crc32',
          'content-disposition': 'attachment; filename=database.dat',
          'content-encoding': 'gzip',
          'content-length': '5913339',
        },
        'static.johnsmith.net',
      ),
    ],
  ];
  for (const [name, request] of cases) {
    const date = Date.parse(String(request.headers.date));
    t.match(
      await s3.verify(request, new Date(date + 60_000)),
      { principal: 'johnsmith', method: 's3-v2-header' },
      name,
    );
  }
  const pathStyle = { ...cases[0]![1], path: '/johnsmith/photos/puppy.jpg', virtualHostBucket: undefined };
  t.equal((await s3.verify(pathStyle, new Date('2007-03-27T19:36:42Z'))).method, 's3-v2-header', 'path-style');
});

t.test('S3 v2 header refusals', async (t) => {
  const at = new Date('2007-03-27T19:36:42Z');
  const good = s3Request('GET', '/photos/puppy.jpg', 'Tue, 27 Mar 2007 19:36:42 +0000', 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  const mismatch = await s3.verify({ ...good, path: '/photos/kitten.jpg' }, at).catch((e: unknown) => e);
  t.match(mismatch, {
    code: 'SignatureDoesNotMatch',
    status: 403,
    details: {
      AWSAccessKeyId: S3_KEY,
      StringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/kitten.jpg',
      SignatureProvided: 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=',
    },
  });
  await t.rejects(s3.verify(good, new Date('2007-03-27T19:51:43Z')), {
    code: 'RequestTimeTooSkewed',
    status: 403,
    details: { RequestTime: 'Tue, 27 Mar 2007 19:36:42 +0000', MaxAllowedSkewMilliseconds: '900000' },
  });
  await t.rejects(s3.verify({ ...good, headers: { ...good.headers, date: undefined } }, at), {
    code: 'AccessDenied',
    status: 403,
    message: 'AWS authentication requires a valid Date or x-amz-date header',
  });
  await t.rejects(s3.verify({ ...good, headers: { ...good.headers, authorization: 'AWS justakey' } }, at), {
    code: 'InvalidArgument',
    status: 400,
    message: 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
  });
  await t.rejects(s3.verify({ ...good, headers: { ...good.headers, authorization: 'AWS AKIANOBODY:abc=' } }, at), {
    code: 'InvalidAccessKeyId',
    details: { AWSAccessKeyId: 'AKIANOBODY' },
  });
  // With x-amz-date the date line is empty: what SDKs that set x-amz-date sign.
  const amzDate = 'Tue, 27 Mar 2007 19:36:42 +0000';
  const stringToSign = `GET\n\n\n\nx-amz-date:${amzDate}\n/johnsmith/photos/puppy.jpg`;
  const signature = createHmac('sha1', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
    .update(stringToSign)
    .digest('base64');
  const withAmzDate = s3Request('GET', '/photos/puppy.jpg', 'Thu, 01 Jan 1970 00:00:00 GMT', signature, {
    'x-amz-date': amzDate,
  });
  t.equal((await s3.verify(withAmzDate, at)).method, 's3-v2-header');
});

t.test('S3 v2 presigned URLs', async (t) => {
  const request: SignedRequest = {
    method: 'GET',
    path: '/photos/puppy.jpg',
    query: 'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620',
    headers: { host: 'johnsmith.s3.amazonaws.com' },
    virtualHostBucket: 'johnsmith',
  };
  t.match(await s3.verify(request, new Date(1175139620_000)), { method: 's3-v2-query', principal: 'johnsmith' });
  await t.rejects(s3.verify(request, new Date(1175139621_000)), {
    code: 'AccessDenied',
    status: 403,
    message: 'Request has expired',
    details: { Expires: '2007-03-29T03:40:20Z', ServerTime: '2007-03-29T03:40:21Z' },
  });
  await t.rejects(s3.verify({ ...request, query: request.query.replace(/&Expires=\d+/, '') }, new Date(0)), {
    code: 'AccessDenied',
    message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
  });
  await t.rejects(s3.verify({ ...request, query: request.query.replace('1175139620', 'tomorrow') }, new Date(0)), {
    code: 'AccessDenied',
    message: 'Invalid date (should be seconds since epoch): tomorrow',
  });
  await t.rejects(s3.verify({ ...request, path: '/photos/kitten.jpg' }, new Date(0)), {
    code: 'SignatureDoesNotMatch',
    details: { StringToSign: 'GET\n\n\n1175139620\n/johnsmith/photos/kitten.jpg' },
  });
  // Presigners move x-amz-* headers into the query; they are signed as headers.
  const stringToSign = 'PUT\n\ntext/plain\n1175139620\nx-amz-acl:public-read\n/johnsmith/notes.txt';
  const signature = createHmac('sha1', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
    .update(stringToSign)
    .digest('base64');
  const put: SignedRequest = {
    method: 'PUT',
    path: '/johnsmith/notes.txt',
    query: `AWSAccessKeyId=${S3_KEY}&Expires=1175139620&x-amz-acl=public-read&Signature=${escapeUri(signature)}`,
    headers: { host: 's3.amazonaws.com', 'content-type': 'text/plain' },
  };
  t.equal((await s3.verify(put, new Date(0))).method, 's3-v2-query');
});
