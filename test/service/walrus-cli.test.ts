import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startWalrus } from '../helpers/walrus.js';

// Walrus through the clients people use unchanged: the aws CLI v1 (PATH) and v2 (/usr/bin/aws), boto3, and curl
// with presigned URLs; a 200 MiB multipart upload and a 10,000-key listing.
const cloud = await startWalrus(t);
const s3 = cloud.s3();
const env = cloud.awsEnv();
const clis: [string, string][] = [
  ['aws CLI v1', 'aws'],
  ['aws CLI v2', '/usr/bin/aws'],
];
const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });

await s3.send(new CreateBucketCommand({ Bucket: 'cli' }));

t.test('aws s3 cp of a 200 MiB file: multipart, read back identical', async (t) => {
  const source = join(cloud.pki.dir, 'big.bin');
  const chunk = randomBytes(1024 * 1024);
  const parts: Buffer[] = [];
  for (let i = 0; i < 200; i++) parts.push(Buffer.concat([chunk.subarray(i), chunk.subarray(0, i)]));
  writeFileSync(source, Buffer.concat(parts));
  const expected = await sha256File(source);
  for (const [name, aws] of clis) {
    const key = `big-${name.replace(/\W+/g, '-')}.bin`;
    const up = await runCommand(aws, ['--endpoint-url', cloud.url, 's3', 'cp', source, `s3://cli/${key}`], {
      env,
      timeoutMs: 300_000,
    });
    t.equal(up.code, 0, `${name} uploads: ${up.stderr}`);
    const head = await runCommand(
      aws,
      ['--endpoint-url', cloud.url, 's3api', 'head-object', '--bucket', 'cli', '--key', key],
      {
        env,
      },
    );
    const described = JSON.parse(head.stdout) as { ContentLength: number; ETag: string };
    t.equal(described.ContentLength, 200 * 1024 * 1024);
    t.match(described.ETag, /^"[0-9a-f]{32}-\d+"$/, `${name} did a multipart upload`);
    const target = join(cloud.pki.dir, `${key}.back`);
    const down = await runCommand(aws, ['--endpoint-url', cloud.url, 's3', 'cp', `s3://cli/${key}`, target], {
      env,
      timeoutMs: 300_000,
    });
    t.equal(down.code, 0, `${name} downloads: ${down.stderr}`);
    t.equal(await sha256File(target), expected, `${name}: the 200 MiB read back byte-identical`);
  }
});

t.test('aws s3 and s3api everyday commands', async (t) => {
  for (const [name, aws] of clis) {
    const run = (...args: string[]) => runCommand(aws, ['--endpoint-url', cloud.url, ...args], { env });
    const bucket = `cli-${name.endsWith('v1') ? 'one' : 'two'}`;
    t.equal((await run('s3', 'mb', `s3://${bucket}`)).code, 0, `${name} mb`);
    const file = join(cloud.pki.dir, `small-${bucket}.txt`);
    writeFileSync(file, `hello from ${name}\n`);
    t.equal((await run('s3', 'cp', file, `s3://${bucket}/dir/small.txt`)).code, 0);
    const listed = await run('s3', 'ls', `s3://${bucket}/dir/`);
    t.match(listed.stdout, /small\.txt/, `${name} ls`);
    const buckets = await run('s3', 'ls');
    t.match(buckets.stdout, new RegExp(bucket));
    const got = await run('s3', 'cp', `s3://${bucket}/dir/small.txt`, '-');
    t.equal(got.stdout, `hello from ${name}\n`);
    const acl = await run('s3api', 'get-object-acl', '--bucket', bucket, '--key', 'dir/small.txt');
    t.equal((JSON.parse(acl.stdout) as { Owner: { ID: string } }).Owner.ID, '000000000000');
    const missing = await run('s3api', 'get-object', '--bucket', bucket, '--key', 'nope', join(cloud.pki.dir, 'nope'));
    t.not(missing.code, 0);
    t.match(missing.stderr, /NoSuchKey/);
    t.equal((await run('s3', 'rm', `s3://${bucket}/dir/small.txt`)).code, 0);
    t.equal((await run('s3', 'rb', `s3://${bucket}`)).code, 0, `${name} rb`);
  }
});

t.test('boto3 round trip', async (t) => {
  const script = `
import boto3, hashlib, os
s3 = boto3.client('s3', endpoint_url=os.environ['ENDPOINT'])
s3.create_bucket(Bucket='boto')
body = os.urandom(123457)
s3.put_object(Bucket='boto', Key='k/v', Body=body, Metadata={'from': 'boto3'})
got = s3.get_object(Bucket='boto', Key='k/v')
assert got['Body'].read() == body
assert got['Metadata'] == {'from': 'boto3'}
page = s3.list_objects_v2(Bucket='boto', Prefix='k/', Delimiter='/')
assert [o['Key'] for o in page['Contents']] == ['k/v'], page
print('ok', hashlib.md5(body).hexdigest() == got['ETag'].strip('"'))
`;
  const result = await runCommand('/usr/bin/python3', ['-c', script], { env: { ...env, ENDPOINT: cloud.url } });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout.trim(), 'ok True');
});

t.test('presigned GET and PUT with curl, and expiry', async (t) => {
  const curl = (...args: string[]) => runCommand('curl', ['-sS', '--cacert', cloud.caBundle, ...args]);
  await s3.send(new PutObjectCommand({ Bucket: 'cli', Key: 'presigned.txt', Body: 'signed in the URL' }));
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'cli', Key: 'presigned.txt' }), {
    expiresIn: 300,
  });
  const got = await curl(getUrl);
  t.equal(got.stdout, 'signed in the URL');

  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'cli', Key: 'uploaded.txt' }), {
    expiresIn: 300,
  });
  const file = join(cloud.pki.dir, 'upload.txt');
  writeFileSync(file, 'put by curl');
  const put = await curl('-w', '%{http_code}', '-o', '/dev/null', '-T', file, putUrl);
  t.equal(put.stdout, '200');
  const back = await s3.send(new GetObjectCommand({ Bucket: 'cli', Key: 'uploaded.txt' }));
  t.equal(await back.Body!.transformToString(), 'put by curl');

  const expiredUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'cli', Key: 'presigned.txt' }), {
    expiresIn: 60,
    signingDate: new Date(Date.now() - 3600_000),
  });
  const expired = await curl('-w', '\n%{http_code}', expiredUrl);
  t.match(expired.stdout, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  t.match(expired.stdout, /\n403$/);
  const tampered = await curl('-w', '\n%{http_code}', getUrl.replace('presigned.txt', 'uploaded.txt'));
  t.match(tampered.stdout, /<Code>SignatureDoesNotMatch<\/Code>/);
});

t.test('10,000 keys listed with prefixes and delimiters', async (t) => {
  await s3.send(new CreateBucketCommand({ Bucket: 'many' }));
  const keys: string[] = [];
  for (let group = 0; group < 100; group++) {
    for (let item = 0; item < 100; item++) {
      keys.push(
        `group-${String(group).padStart(3, '0')}/${item % 2 === 0 ? 'even' : 'odd'}/item-${String(item).padStart(3, '0')}`,
      );
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await s3.send(new PutObjectCommand({ Bucket: 'many', Key: key, Body: key }));
      }
    }),
  );
  const run = (...args: string[]) =>
    runCommand('aws', ['--endpoint-url', cloud.url, 's3api', ...args], { env, timeoutMs: 300_000 });
  const all = await run('list-objects-v2', '--bucket', 'many', '--query', 'length(Contents)');
  t.equal(all.stdout.trim(), '10000', 'the CLI pages through all 10,000 keys');
  const groups = await run(
    'list-objects-v2',
    '--bucket',
    'many',
    '--delimiter',
    '/',
    '--query',
    'CommonPrefixes[].Prefix',
  );
  const prefixes = JSON.parse(groups.stdout) as string[];
  t.equal(prefixes.length, 100, 'one common prefix per group');
  t.equal(prefixes[0], 'group-000/');
  t.equal(prefixes[99], 'group-099/');
  const odd = await run(
    'list-objects-v2',
    '--bucket',
    'many',
    '--prefix',
    'group-042/odd/',
    '--query',
    '[length(Contents), Contents[0].Key, Contents[-1].Key]',
  );
  t.same(JSON.parse(odd.stdout), [50, 'group-042/odd/item-001', 'group-042/odd/item-099']);
  const nested = await run(
    'list-objects',
    '--bucket',
    'many',
    '--prefix',
    'group-007/',
    '--delimiter',
    '/',
    '--query',
    'CommonPrefixes[].Prefix',
  );
  t.same(JSON.parse(nested.stdout), ['group-007/even/', 'group-007/odd/']);
  const pages = await run('list-objects-v2', '--bucket', 'many', '--page-size', '700', '--query', 'length(Contents)');
  t.equal(pages.stdout.trim(), '10000', 'pages of 700 cover them all');
});
