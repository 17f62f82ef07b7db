import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { canonicalHeaders, canonicalQueries, canonicalUris, EMPTY_SHA256 } from '../../../../src/aws/auth/canonical.js';
import { computeSigV4 } from '../../../../src/aws/auth/sigv4.js';
import { deriveSigningKey } from '../../../../src/aws/auth/signing-key-cache.js';
import { createRequestVerifier, type ServiceProfile, type SignedRequest } from '../../../../src/aws/auth/index.js';

// The AWS SigV4 test suite (2015 edition): one secret, one instant, service "service" in us-east-1.
const SUITE_KEY = 'AKIDEXAMPLE';
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_TIME = new Date('2015-08-30T12:36:00Z');
const SUITE_SCOPE = '20150830/us-east-1/service/aws4_request';
const suiteProfile: ServiceProfile = { dialect: 'query', signingNames: ['service'] };

const credentials = {
  lookup: async (id: string) =>
    id === SUITE_KEY ? { secretAccessKey: SUITE_SECRET, principal: { user: 'suite' } } : undefined,
};

interface Vector {
  name: string;
  method: string;
  /** Path and query as the suite's request line holds them. */
  target: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  signedHeaders?: string;
  signature: string;
}

const vanilla = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
const vectors2015: Vector[] = [
  { name: 'get-vanilla', method: 'GET', target: '/', signature: vanilla },
  { name: 'get-vanilla-query', method: 'GET', target: '/?', signature: vanilla },
  {
    name: 'get-vanilla-empty-query-key',
    method: 'GET',
    target: '/?Param1=value1',
    signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    target: '/?Param2=value2&Param1=value1',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-value',
    method: 'GET',
    target: '/?Param1=value2&Param1=value1',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694',
  },
  {
    name: 'get-vanilla-query-order-encoded',
    method: 'GET',
    target: '/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1',
    signature: '371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac',
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    target:
      '/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  {
    name: 'get-vanilla-utf8-query',
    method: 'GET',
    target: '/?\u1234=bar',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    target: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    method: 'GET',
    target: '/\u1234',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'normalize-path/get-space',
    method: 'GET',
    target: '/example space/',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
  },
  {
    name: 'normalize-path/get-slashes',
    method: 'GET',
    target: '//example//',
    signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
  },
  { name: 'normalize-path/get-slash', method: 'GET', target: '//', signature: vanilla },
  { name: 'normalize-path/get-slash-dot-slash', method: 'GET', target: '/./', signature: vanilla },
  { name: 'normalize-path/get-relative', method: 'GET', target: '/example/..', signature: vanilla },
  {
    name: 'normalize-path/get-relative-relative',
    method: 'GET',
    target: '/example1/example2/../..',
    signature: vanilla,
  },
  {
    name: 'normalize-path/get-slash-pointless-dot',
    method: 'GET',
    target: '/./example',
    signature: 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    target: '/',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    target: '/?Param1=value1',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    target: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    target: '/',
    headers: { 'my-header1': ' value1', 'my-header2': '"a   b   c"' },
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    target: '/',
    headers: { 'my-header1': ['value2', 'value2', 'value1'] },
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-order',
    method: 'GET',
    target: '/',
    headers: { 'my-header1': ['value4', 'value1', 'value3', 'value2'] },
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
  },
];

function splitTarget(target: string): { path: string; query: string } {
  const question = target.indexOf('?');
  return question === -1
    ? { path: target, query: '' }
    : { path: target.slice(0, question), query: target.slice(question + 1) };
}

function suiteRequest(vector: Vector): SignedRequest {
  const signedHeaders = vector.signedHeaders ?? 'host;x-amz-date';
  return {
    method: vector.method,
    ...splitTarget(vector.target),
    headers: {
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      ...vector.headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${SUITE_KEY}/${SUITE_SCOPE}, SignedHeaders=${signedHeaders}, Signature=${vector.signature}`,
    },
    ...(vector.body === undefined ? {} : { body: vector.body }),
  };
}

t.test('the 2015 SigV4 test suite verifies, vector by vector', async (t) => {
  const verifier = createRequestVerifier({ credentials, profile: suiteProfile });
  for (const vector of vectors2015) {
    const result = await verifier.verify(suiteRequest(vector), SUITE_TIME);
    t.equal(result.method, 'sigv4-header', vector.name);
    t.same(result.principal, { user: 'suite' }, `${vector.name}: principal`);
    t.equal(result.seedSignature, vector.signature, `${vector.name}: seed signature`);
  }
});

t.test('a vector with one byte changed no longer verifies', async (t) => {
  const verifier = createRequestVerifier({ credentials, profile: suiteProfile });
  for (const vector of vectors2015) {
    const tampered = { ...vector, target: vector.target.replace(/\/$|$/, 'x') };
    await t.rejects(
      verifier.verify(suiteRequest(tampered), SUITE_TIME),
      { code: 'SignatureDoesNotMatch' },
      vector.name,
    );
  }
});

t.test('canonical request and string to sign match the suite line by line', async (t) => {
  const key = deriveSigningKey(SUITE_SECRET, '20150830', 'us-east-1', 'service');
  const build = (vector: Vector, payloadHash = EMPTY_SHA256) => {
    const { path, query } = splitTarget(vector.target);
    const signedHeaders = (vector.signedHeaders ?? 'host;x-amz-date').split(';');
    const request = suiteRequest(vector);
    return computeSigV4({
      method: vector.method,
      canonicalUri: [...canonicalUris(path, false)][0]!,
      canonicalQuery: [...canonicalQueries(query)][0]!,
      canonicalHeaders: canonicalHeaders(request, signedHeaders),
      signedHeaders: signedHeaders.join(';'),
      payloadHash,
      requestTime: '20150830T123600Z',
      scope: SUITE_SCOPE,
      signingKey: key,
    });
  };
  const space = build(vectors2015.find((v) => v.name === 'normalize-path/get-space')!);
  t.equal(
    space.canonicalRequest,
    [
      'GET',
      '/example%20space/',
      '',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      '',
      'host;x-amz-date',
      EMPTY_SHA256,
    ].join('\n'),
  );
  t.equal(
    space.stringToSign,
    [
      'AWS4-HMAC-SHA256',
      '20150830T123600Z',
      SUITE_SCOPE,
      '63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86',
    ].join('\n'),
  );
  const order = build(vectors2015.find((v) => v.name === 'get-vanilla-query-order-key-case')!);
  t.equal(order.canonicalRequest.split('\n')[2], 'Param1=value1&Param2=value2');
  t.equal(
    createHash('sha256').update(order.canonicalRequest).digest('hex'),
    '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0',
  );
  const form = vectors2015.find((v) => v.name === 'post-x-www-form-urlencoded')!;
  const formHash = createHash('sha256').update(form.body!).digest('hex');
  t.equal(formHash, '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e');
  t.equal(
    build(form, formHash).stringToSign.split('\n')[3],
    '42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281',
  );
  const trim = build(vectors2015.find((v) => v.name === 'get-header-value-trim')!);
  t.match(trim.canonicalRequest, 'my-header1:value1\nmy-header2:"a b c"\n');
});

t.test('S3 signs the path as sent: the suite unnormalised vectors', async (t) => {
  const key = deriveSigningKey(SUITE_SECRET, '20150830', 'us-east-1', 'service');
  const cases: [string, string][] = [
    ['//example//', '87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5'],
    ['/example1/example2/../..', 'dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b'],
    ['/example space/', '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741'],
  ];
  for (const [path, signature] of cases) {
    const request: SignedRequest = {
      method: 'GET',
      path,
      query: '',
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
    };
    const signatures = [...canonicalUris(path, true)].map(
      (canonicalUri) =>
        computeSigV4({
          method: 'GET',
          canonicalUri,
          canonicalQuery: '',
          canonicalHeaders: canonicalHeaders(request, ['host', 'x-amz-date']),
          signedHeaders: 'host;x-amz-date',
          payloadHash: EMPTY_SHA256,
          requestTime: '20150830T123600Z',
          scope: SUITE_SCOPE,
          signingKey: key,
        }).signature,
    );
    t.ok(signatures.includes(signature), path);
  }
  t.same([...canonicalUris('//example//', true)], ['//example//']);
  t.same([...canonicalUris('//example//', false)], ['/example/']);
});

t.test('the 2011 suite, signed with the HTTP Date header and one encoding of the path', async (t) => {
  const verifier = createRequestVerifier({ credentials, profile: { dialect: 'query', signingNames: ['host'] } });
  const now = new Date('2011-09-09T23:36:00Z');
  const b27 = 'b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470';
  const cases: [string, string, string, Record<string, string>, string?][] = [
    ['GET', '/', b27, {}],
    ['GET', '/foo/bar/../..', b27, {}],
    ['GET', '/./', b27, {}],
    ['GET', '/./foo', '910e4d6c9abafaf87898e1eb4c929135782ea25bb0279703146455745391e63a', {}],
    ['GET', '/%E1%88%B4', '8d6634c189aa8c75c2e51e106b6b5121bed103fdb351f7d7d4381c738823af74', {}],
    ['GET', '/?foo=Zoo&foo=aha', 'be7148d34ebccdc6423b19085378aa0bee970bdc61d144bd1a8c48c33079ab09', {}],
    ['GET', '/?foo=b&foo=a', 'feb926e49e382bec75c9d7dcb2a1b6dc8aa50ca43c25d2bc51143768c0875acc', {}],
    ['GET', '/?\u1234=bar', '6fb359e9a05394cc7074e0feb42573a2601abc0c869a953e8c5c12e4e01f1a8c', {}],
    ['POST', '/?foo=bar', 'b6e3b79003ce0743a491606ba1035a804593b0efb1e20a11cba83f8c25a57a92', {}],
    ['POST', '/', 'b7a95a52518abbca0964a999a880429ab734f35ebbf1235bd79a5de87756dc4a', { zoo: 'zoobar' }],
    ['POST', '/', '273313af9d0c265c531e11db70bbd653f3ba074c1009239e8559d3987039cad7', { zoo: 'ZOOBAR' }],
    ['POST', '/', 'debf546796015d6f6ded8626f5ce98597c33b47b9164cf6b17b4642036fcb592', { p: 'phfft' }],
    [
      'POST',
      '/',
      '5a15b22cf462f047318703b92e6f4f38884e4a7ab7b1d6426ca46a8bd1c26cbc',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'foo=bar',
    ],
  ];
  for (const [method, target, signature, extra, body] of cases) {
    const signed = ['date', 'host', ...Object.keys(extra)].sort().join(';');
    const request: SignedRequest = {
      method,
      ...splitTarget(target),
      headers: {
        host: 'host.foo.com',
        date: 'Mon, 09 Sep 2011 23:36:00 GMT',
        ...extra,
        authorization: `AWS4-HMAC-SHA256 Credential=${SUITE_KEY}/20110909/us-east-1/host/aws4_request, SignedHeaders=${signed}, Signature=${signature}`,
      },
      ...(body === undefined ? {} : { body }),
    };
    const result = await verifier.verify(request, now);
    t.equal(result.requestTime, '20110909T233600Z', `${method} ${target} ${signed}`);
  }
});

t.test('a real STS request, as the SDKs sign GetCallerIdentity', async (t) => {
  const verifier = createRequestVerifier({
    credentials: {
      lookup: async (id) =>
        id === 'ASIARD4OQDT6A77FR3CL'
          ? { secretAccessKey: 'Y8AfSaucF37G4PpvfguKZ3/l7Id4uocLXxX0+VTx', principal: 'sts-user' }
          : undefined,
    },
    profile: { dialect: 'query', signingNames: ['sts'] },
    regions: ['us-east-2'],
  });
  const result = await verifier.verify(
    {
      method: 'POST',
      path: '',
      query: 'Action=GetCallerIdentity&Version=2011-06-15',
      headers: {
        host: 'sts.us-east-2.amazonaws.com',
        'x-amz-date': '20200811T065522Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=ASIARD4OQDT6A77FR3CL/20200811/us-east-2/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=d095ba304919cd0d5570ba8a3787884ee78b860f268ed040ba23831d55536d56',
      },
    },
    new Date('2020-08-11T06:55:22Z'),
  );
  t.match(result, { principal: 'sts-user', region: 'us-east-2', service: 'sts', method: 'sigv4-header' });
});

// The worked examples of the S3 API reference: one secret, 24 May 2013.
const S3_KEY = 'AKIAIOSFODNN7EXAMPLE';
const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const s3Verifier = () =>
  createRequestVerifier({
    credentials: {
      lookup: async (id) => (id === S3_KEY ? { secretAccessKey: S3_SECRET, principal: 'alice' } : undefined),
    },
    profile: { dialect: 's3', signingNames: ['s3'] },
    regions: ['us-east-1'],
  });

t.test('S3 reference: GET Object with a range, header-signed', async (t) => {
  const result = await s3Verifier().verify(
    {
      method: 'GET',
      path: '/test.txt',
      query: '',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${S3_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
      },
    },
    new Date('2013-05-24T00:00:00Z'),
  );
  t.match(result, { principal: 'alice', method: 'sigv4-header', signedPayload: EMPTY_SHA256, service: 's3' });
});

t.test('S3 reference: a presigned GET valid for a day', async (t) => {
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const request: SignedRequest = {
    method: 'GET',
    path: '/test.txt',
    query,
    headers: { host: 'examplebucket.s3.amazonaws.com' },
  };
  const result = await s3Verifier().verify(request, new Date('2013-05-24T23:59:59Z'));
  t.match(result, { method: 'sigv4-query', signedPayload: 'UNSIGNED-PAYLOAD' });
  await t.rejects(s3Verifier().verify(request, new Date('2013-05-25T00:00:01Z')), {
    code: 'AccessDenied',
    message: 'Request has expired',
    status: 403,
    details: { 'X-Amz-Expires': '86400', Expires: '2013-05-25T00:00:00Z', ServerTime: '2013-05-25T00:00:01Z' },
  });
});

t.test('S3 reference: a chunked upload exposes what its chunk verifier needs', async (t) => {
  const result = await s3Verifier().verify(
    {
      method: 'PUT',
      path: '/examplebucket/chunkObject.txt',
      query: '',
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization: `AWS4-HMAC-SHA256 Credential=${S3_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
      },
    },
    new Date('2013-05-24T00:00:00Z'),
  );
  t.equal(result.signedPayload, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  t.equal(result.seedSignature, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
  // The first 64 KiB chunk's signature chains from the seed under the same key, time and scope.
  const chunkStringToSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    result.requestTime,
    result.scope,
    result.seedSignature,
    EMPTY_SHA256,
    createHash('sha256').update(Buffer.alloc(65536, 'a')).digest('hex'),
  ].join('\n');
  t.equal(
    createHmac('sha256', result.signingKey!).update(chunkStringToSign).digest('hex'),
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  );
});
