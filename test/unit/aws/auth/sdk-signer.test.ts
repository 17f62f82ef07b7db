import { createHash } from 'node:crypto';
import type { QueryParameterBag } from '@smithy/types';
import t from 'tap';
import { createRequestVerifier, serviceProfiles, type ServiceProfile } from '../../../../src/aws/auth/index.js';
import { deriveSigningKey } from '../../../../src/aws/auth/signing-key-cache.js';
import { ACCESS_KEY, asReceived, credentials, escapeUri, SECRET, sdkRequest, sdkSigner } from './helpers.js';

// Requests signed by @smithy/signature-v4, the signer of the AWS SDK for JavaScript v3.
const signingDate = new Date('2026-03-14T09:26:53Z');
const now = new Date('2026-03-14T09:30:00Z');
const verifierFor = (profile: ServiceProfile) => createRequestVerifier({ credentials, profile });

const oddQueries: QueryParameterBag[] = [
  { Action: 'DescribeInstances', Version: '2016-11-15' },
  { Action: 'DescribeTags', 'Filter.1.Name': 'tag:Name', 'Filter.1.Value.1': 'a b+c=d&e/f' },
  { Action: 'DescribeImages', 'Owner.1': 'self', note: "caf\u00e9 \u{1F600} ~*!'()" },
  { Action: 'X', repeated: ['b', 'a', 'a b'], empty: '', plus: '+', equals: '==' },
];

t.test('EC2 Query requests, form body and query string', async (t) => {
  const ec2 = verifierFor(serviceProfiles.ec2);
  const body = 'Action=RunInstances&Version=2016-11-15&ImageId=emi-12345678&UserData=SGVsbG8gd29ybGQ%3D';
  const signed = await sdkSigner('ec2').sign(
    sdkRequest({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    }),
    { signingDate },
  );
  const result = await ec2.verify(asReceived(signed), now);
  t.match(result, {
    principal: { user: 'alice' },
    accessKeyId: ACCESS_KEY,
    method: 'sigv4-header',
    region: 'us-east-1',
    service: 'ec2',
    signedPayload: createHash('sha256').update(body).digest('hex'),
  });
  t.same(result.signingKey, deriveSigningKey(SECRET, '20260314', 'us-east-1', 'ec2'));

  await t.rejects(ec2.verify(asReceived(signed, { body: `${body}&MaxCount=100` }), now), {
    code: 'SignatureDoesNotMatch',
  });

  for (const query of oddQueries) {
    const request = await sdkSigner('ec2').sign(sdkRequest({ query }), { signingDate });
    t.equal((await ec2.verify(asReceived(request), now)).method, 'sigv4-header', JSON.stringify(query));
  }
});

t.test('the wire may encode a query differently from the SDK and still verify', async (t) => {
  const ec2 = verifierFor(serviceProfiles.ec2);
  const query = { Action: 'DescribeTags', 'Filter.1.Value.1': 'a b', tilde: '~', star: '*' };
  const signed = await sdkSigner('ec2').sign(sdkRequest({ query }), { signingDate });
  const variants = [
    'Action=DescribeTags&Filter.1.Value.1=a+b&tilde=~&star=%2A', // form encoding: + for a space
    'Action=DescribeTags&Filter.1.Value.1=a%20b&tilde=%7E&star=*', // over- and under-encoded
    'star=%2a&tilde=~&Filter.1.Value.1=a%20b&Action=DescribeTags', // another order, lower-case hex
  ];
  for (const raw of variants) {
    t.equal((await ec2.verify(asReceived(signed, { query: raw }), now)).service, 'ec2', raw);
  }
  await t.rejects(ec2.verify(asReceived(signed, { query: 'Action=DescribeTags&Filter.1.Value.1=a%2Bb' }), now), {
    code: 'AuthFailure',
  });
});

t.test('STS, header-signed and presigned', async (t) => {
  const sts = verifierFor(serviceProfiles.query);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signed = await sdkSigner('sts', 'eu-north-1').sign(
    sdkRequest({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
    { signingDate },
  );
  t.match(await sts.verify(asReceived(signed), now), { service: 'sts', region: 'eu-north-1' });

  const presigned = await sdkSigner('sts').presign(
    sdkRequest({ query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }),
    { signingDate, expiresIn: 900 },
  );
  t.match(await sts.verify(asReceived(presigned), now), { method: 'sigv4-query', service: 'sts' });
  await t.rejects(sts.verify(asReceived(presigned), new Date(signingDate.getTime() + 901_000)), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: /^Signature expired: 20260314T092653Z is now earlier than/,
  });
  t.equal((await sts.verify(asReceived(presigned), new Date(signingDate.getTime() + 900_000))).service, 'sts');

  // Query services also take the presigned parameters in a form body, the payload then being empty.
  const postable = await sdkSigner('sts').presign(
    sdkRequest({ method: 'POST', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }),
    { signingDate, expiresIn: 900 },
  );
  const inBody = asReceived(postable, {
    query: '',
    headers: { host: 'mallee.test:8773', 'content-type': 'application/x-www-form-urlencoded' },
    body: asReceived(postable).query,
  });
  t.match(await sts.verify(inBody, now), { method: 'sigv4-query', service: 'sts' });
  await t.rejects(sts.verify({ ...inBody, body: `${String(inBody.body)}&Extra=1` }, now), {
    code: 'SignatureDoesNotMatch',
  });

  const iam = await sdkSigner('iam').sign(sdkRequest({ query: { Action: 'ListUsers', Version: '2010-05-08' } }), {
    signingDate,
  });
  t.equal((await sts.verify(asReceived(iam), now)).service, 'iam', 'one Query endpoint tells IAM from STS');
});

t.test('S3: odd keys, query strings and payload markers', async (t) => {
  const s3 = verifierFor(serviceProfiles.s3);
  const keys = ['photos/puppy.jpg', 'a b/c+d=e&f', 'caf\u00e9/\u{1F600}.txt', 'dots/../and/./slashes//', "it's (1)*!~"];
  for (const key of keys) {
    const path = `/bucket/${key.split('/').map(escapeUri).join('/')}`;
    for (const payload of [
      'UNSIGNED-PAYLOAD',
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    ]) {
      const signed = await sdkSigner('s3').sign(
        sdkRequest({ method: 'PUT', path, headers: { 'x-amz-content-sha256': payload } }),
        { signingDate },
      );
      t.match(await s3.verify(asReceived(signed), now), { signedPayload: payload, service: 's3' }, `${key} ${payload}`);
    }
  }

  const listing = await sdkSigner('s3').sign(
    sdkRequest({
      path: '/bucket',
      query: {
        'list-type': '2',
        prefix: 'a b/+=',
        delimiter: '/',
        'continuation-token': 'x==',
        'encoding-type': 'url',
      },
      headers: { 'x-amz-content-sha256': createHash('sha256').update('').digest('hex') },
    }),
    { signingDate },
  );
  t.equal((await s3.verify(asReceived(listing), now)).method, 'sigv4-header');

  const body = Buffer.from('hello, walrus');
  const put = await sdkSigner('s3').sign(
    sdkRequest({
      method: 'PUT',
      path: '/bucket/hello.txt',
      headers: {
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        'content-type': 'text/plain',
      },
      body,
    }),
    { signingDate },
  );
  t.equal((await s3.verify(asReceived(put), now)).method, 'sigv4-header', 'body matches its hash');
  t.equal((await s3.verify(asReceived(put, { body: undefined }), now)).method, 'sigv4-header', 'streamed body');
  await t.rejects(s3.verify(asReceived(put, { body: Buffer.from('hello, world!') }), now), {
    code: 'XAmzContentSHA256Mismatch',
  });
});

t.test('S3 presigned URLs, as the SDK presigner and a plain presign make them', async (t) => {
  const s3 = verifierFor(serviceProfiles.s3);
  const path = `/bucket/${escapeUri('report 2026+final=v2.pdf')}`;
  // @aws-sdk/s3-request-presigner sets this header, which the signer hoists into the query.
  const hoisted = await sdkSigner('s3').presign(
    sdkRequest({
      path,
      query: { 'response-content-disposition': 'attachment; filename="r.pdf"' },
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }),
    { signingDate, expiresIn: 3600 },
  );
  t.match(hoisted.query, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
  t.match(await s3.verify(asReceived(hoisted), now), { method: 'sigv4-query', signedPayload: 'UNSIGNED-PAYLOAD' });

  const put = await sdkSigner('s3').presign(
    sdkRequest({
      method: 'PUT',
      path,
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-acl': 'private' },
    }),
    { signingDate, expiresIn: 604800 },
  );
  t.equal((await s3.verify(asReceived(put), new Date(signingDate.getTime() + 604_800_000))).method, 'sigv4-query');
  await t.rejects(s3.verify(asReceived(put), new Date(signingDate.getTime() + 604_801_000)), {
    code: 'AccessDenied',
    message: 'Request has expired',
  });
});
