import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCommand, temporaryDir } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus } from '../helpers/walrus.js';

// Browser uploads (S3's POST Object) with the clients that make them: boto3's generate_presigned_post posted by curl
// -F, the JS SDK's createPresignedPost posted by fetch with FormData, and a form signed by hand with S3's v2
// signature. The policy is enforced before anything is stored (key prefix, size range, fields, expiry, signature), the
// object lands as PutObject would store it, and an unsigned form is an anonymous upload the bucket's policy decides.
const cloud = await startWalrus(t);
const bucket = 'uploads';
const work = temporaryDir('post-object');

const boto3Calls = (calls: [string, Record<string, unknown>][]) => callBoto3(cloud, cloud.admin, calls);
t.match(await boto3Calls([['create_bucket', { Bucket: bucket }]]), [{ status: 200 }]);

/** A form as boto3 presigns it (url and fields), from a Python one-liner with the admin's key. */
async function boto3PresignedPost(
  key: string,
  fields: Record<string, string>,
  conditions: unknown[],
): Promise<{ url: string; fields: Record<string, string> }> {
  const script = `
import boto3, botocore.config, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], verify=sys.argv[3],
    config=botocore.config.Config(s3={'addressing_style': 'path'}))
print(json.dumps(s3.generate_presigned_post(sys.argv[4], sys.argv[5], Fields=json.loads(sys.argv[6]),
    Conditions=json.loads(sys.argv[7]), ExpiresIn=600)))
`;
  const run = await runCommand(
    '/usr/bin/python3',
    [
      '-c',
      script,
      cloud.url,
      cloud.region,
      cloud.caBundle,
      bucket,
      key,
      JSON.stringify(fields),
      JSON.stringify(conditions),
    ],
    { env: cloud.awsEnv() },
  );
  if (run.code !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { url: string; fields: Record<string, string> };
}

/** Posts a form with curl -F (fields in order, the file last): the status, the headers and the body. */
async function curlPost(
  url: string,
  fields: Record<string, string>,
  file: { path: string } | { text: string },
): Promise<{ status: number; headers: string; body: string }> {
  const headersFile = join(work, 'headers.txt');
  const args = ['-sS', '--cacert', cloud.caBundle, '-D', headersFile, '-o', '-', '-w', '\n%{http_code}'];
  for (const [name, value] of Object.entries(fields)) args.push('--form-string', `${name}=${value}`);
  args.push('-F', 'path' in file ? `file=@${file.path}` : `file=${file.text}`, url);
  const run = await runCommand('curl', args);
  const lines = run.stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n'), headers: readFileSync(headersFile, 'utf8') };
}

const readBack = async (key: string) =>
  (await boto3Calls([['head_object', { Bucket: bucket, Key: key }]]))[0] as {
    status: number;
    body?: Record<string, unknown>;
  };

t.test('boto3 presigns a form, curl posts it, and the object lands with its headers and metadata', async (t) => {
  const form = await boto3PresignedPost(
    'photos/${filename}',
    { 'Content-Type': 'text/plain', 'x-amz-meta-origin': 'browser', acl: 'private' },
    [
      ['starts-with', '$key', 'photos/'],
      { 'Content-Type': 'text/plain' },
      { 'x-amz-meta-origin': 'browser' },
      { acl: 'private' },
      ['content-length-range', 1, 1024],
    ],
  );
  const path = join(work, 'holiday.txt');
  writeFileSync(path, 'sunny days');
  const posted = await curlPost(form.url, form.fields, { path });
  t.equal(posted.status, 204, posted.body);
  t.match(posted.headers, new RegExp(`etag: "${createHash('md5').update('sunny days').digest('hex')}"`, 'i'));
  const head = await readBack('photos/holiday.txt');
  t.match(head, {
    status: 200,
    body: {
      ContentLength: 10,
      ContentType: 'text/plain',
      Metadata: { origin: 'browser' },
      ETag: `"${createHash('md5').update('sunny days').digest('hex')}"`,
    },
  });
});

t.test('a form that asks for AES256 is stored sealed (SSE-S3), and reads back', async (t) => {
  const form = await boto3PresignedPost('sealed.txt', { 'x-amz-server-side-encryption': 'AES256' }, [
    { 'x-amz-server-side-encryption': 'AES256' },
  ]);
  const posted = await curlPost(form.url, form.fields, { text: 'kept secret' });
  t.equal(posted.status, 204, posted.body);
  const [head] = await boto3Calls([['head_object', { Bucket: bucket, Key: 'sealed.txt' }]]);
  t.match(head, { status: 200, body: { ServerSideEncryption: 'AES256', ContentLength: 11 } });
  const got = await cloud.s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'sealed.txt' }));
  t.equal(await got.Body!.transformToString(), 'kept secret');
});

t.test('the policy is enforced before anything is stored', async (t) => {
  const form = await boto3PresignedPost('photos/${filename}', {}, [
    ['starts-with', '$key', 'photos/'],
    ['content-length-range', 1, 16],
  ]);
  const big = await curlPost(form.url, { ...form.fields, key: 'photos/big.bin' }, { text: 'x'.repeat(17) });
  t.equal(big.status, 400);
  t.match(big.body, /<Code>EntityTooLarge<\/Code>/);
  t.match(await readBack('photos/big.bin'), { status: 404 }, 'nothing stored');
  const elsewhere = await curlPost(form.url, { ...form.fields, key: 'secrets/x.txt' }, { text: 'x' });
  t.equal(elsewhere.status, 403);
  t.match(elsewhere.body, /Invalid according to Policy: Policy Condition failed: \["starts-with","\$key","photos\/"\]/);
  const extra = await curlPost(form.url, { ...form.fields, 'x-amz-meta-sneaky': 'yes' }, { text: 'x' });
  t.equal(extra.status, 403);
  t.match(extra.body, /Extra input fields: x-amz-meta-sneaky/);
  const tampered = await curlPost(form.url, { ...form.fields, 'x-amz-signature': '0'.repeat(64) }, { text: 'x' });
  t.equal(tampered.status, 403);
  t.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  const noKey = await curlPost(
    form.url,
    Object.fromEntries(Object.entries(form.fields).filter(([name]) => name !== 'key')),
    {
      text: 'x',
    },
  );
  t.equal(noKey.status, 400);
  t.match(noKey.body, /<Code>InvalidArgument<\/Code>.*field named 'key'/s);
});

/** A form signed as S3's v2 signature signs it (HMAC-SHA1 of the base64 policy), with the admin's key. */
function v2Form(policy: Record<string, unknown>, fields: Record<string, string>): Record<string, string> {
  const encoded = Buffer.from(JSON.stringify(policy)).toString('base64');
  const signature = createHmac('sha1', cloud.admin.secretAccessKey).update(encoded).digest('base64');
  return { ...fields, AWSAccessKeyId: cloud.admin.accessKeyId, policy: encoded, signature };
}

t.test("S3's v2 signature; an expired policy is refused; success_action_redirect answers 303", async (t) => {
  const url = `${cloud.url}/${bucket}`;
  const conditions = [{ bucket }, ['starts-with', '$key', 'v2/'], ['starts-with', '$success_action_redirect', '']];
  const fields = { key: 'v2/hello.txt', success_action_redirect: 'https://app.example.test/done?step=2' };
  const ok = await curlPost(
    url,
    v2Form({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions }, fields),
    { text: 'hello' },
  );
  t.equal(ok.status, 303, ok.body);
  const location = /^location: (.*)$/im.exec(ok.headers)?.[1]?.trim() ?? '';
  const target = new URL(location);
  t.equal(target.host, 'app.example.test');
  t.equal(target.searchParams.get('step'), '2');
  t.equal(target.searchParams.get('bucket'), bucket);
  t.equal(target.searchParams.get('key'), 'v2/hello.txt');
  t.equal(target.searchParams.get('etag'), `"${createHash('md5').update('hello').digest('hex')}"`);
  const expired = await curlPost(
    url,
    v2Form({ expiration: new Date(Date.now() - 1000).toISOString(), conditions }, { ...fields, key: 'v2/late.txt' }),
    { text: 'late' },
  );
  t.equal(expired.status, 403);
  t.match(expired.body, /Invalid according to Policy: Policy expired\./);
  t.match(await readBack('v2/late.txt'), { status: 404 });
});

t.test('the JS SDK presigns, fetch posts FormData, and 201 answers with a PostResponse', async (t) => {
  const s3 = cloud.s3();
  const { url, fields } = await createPresignedPost(s3, {
    Bucket: bucket,
    Key: 'sdk/report.csv',
    Conditions: [['content-length-range', 0, 100], { success_action_status: '201' }],
    Fields: { success_action_status: '201' },
    Expires: 600,
  });
  // Posted as a page's script posts it: fetch with FormData and a Blob, in a Node that trusts the cloud's CA.
  const script = `
const [url, fields] = [process.argv[1], JSON.parse(process.argv[2])];
const body = new FormData();
for (const [name, value] of Object.entries(fields)) body.append(name, value);
body.append('file', new Blob(['a,b\\n1,2\\n'], { type: 'text/csv' }), 'report.csv');
const answer = await fetch(url, { method: 'POST', body });
console.log(JSON.stringify({ status: answer.status, text: await answer.text() }));
`;
  const run = await runCommand(process.execPath, ['--input-type=module', '-e', script, url, JSON.stringify(fields)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cloud.caBundle },
  });
  t.equal(run.code, 0, run.stderr);
  const answer = JSON.parse(run.stdout) as { status: number; text: string };
  const text = answer.text;
  t.equal(answer.status, 201, text);
  t.match(
    text,
    /<PostResponse><Location>https:\/\/[^<]+\/uploads\/sdk\/report\.csv<\/Location><Bucket>uploads<\/Bucket>/,
  );
  t.match(text, /<Key>sdk\/report\.csv<\/Key><ETag>"[0-9a-f]{32}"<\/ETag><\/PostResponse>/);
  t.match(await readBack('sdk/report.csv'), { status: 200, body: { ContentLength: 8 } });
});

t.test("an unsigned form is an anonymous upload: refused, until the bucket's policy lets everyone write", async (t) => {
  const url = `${cloud.url}/${bucket}`;
  const refused = await curlPost(url, { key: 'public/drop.txt' }, { text: 'anon' });
  t.equal(refused.status, 403);
  t.match(refused.body, /<Code>AccessDenied<\/Code>/);
  const policy = {
    Statement: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/public/*`,
        Condition: { StringEquals: { 's3:authType': 'POST' } },
      },
    ],
  };
  t.match(await boto3Calls([['put_bucket_policy', { Bucket: bucket, Policy: JSON.stringify(policy) }]]), [
    { status: 204 },
  ]);
  const accepted = await curlPost(url, { key: 'public/drop.txt' }, { text: 'anon' });
  t.equal(accepted.status, 204, accepted.body);
  t.match(await readBack('public/drop.txt'), { status: 200, body: { ContentLength: 4 } });
  const outside = await curlPost(url, { key: 'private/drop.txt' }, { text: 'anon' });
  t.equal(outside.status, 403, 'only under public/');
  const noFile = await runCommand('curl', ['-sS', '--cacert', cloud.caBundle, '-F', 'key=public/x', url]);
  t.match(noFile.stdout, /<Code>IncorrectNumberOfFilesInPostRequest<\/Code>/);
});
