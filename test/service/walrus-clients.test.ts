import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import t from 'tap';
import { curl, runCommand } from '../helpers/cli.js';
import { startWalrus } from '../helpers/walrus.js';

// More clients people use unchanged: s3cmd (SigV4, and SigV2 with signature_v2) and rclone, each with a round trip,
// listings and a multipart upload; boto3 signing with SigV2 (`s3`), headers and presigned; and virtual-host style
// addressing (`BUCKET.dnsName`) through the SDK with `forcePathStyle: false`.
const dnsName = 's3.mallee.test';
const cloud = await startWalrus(t, { dnsName });
const port = new URL(cloud.url).port;
const work = cloud.pki.dir;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const s3 = cloud.s3();

/** A file of `mib` MiB of random bytes, and its SHA-256. */
function randomFile(name: string, bytes: number): { path: string; digest: string } {
  const path = join(work, name);
  const data = randomBytes(bytes);
  writeFileSync(path, data);
  return { path, digest: sha256(data) };
}

function s3cmdConfig(signatureV2: boolean): string {
  const path = join(work, `s3cmd-${signatureV2 ? 'v2' : 'v4'}.cfg`);
  writeFileSync(
    path,
    [
      '[default]',
      `access_key = ${cloud.admin.accessKeyId}`,
      `secret_key = ${cloud.admin.secretAccessKey}`,
      `host_base = 127.0.0.1:${port}`,
      `host_bucket = 127.0.0.1:${port}`,
      `bucket_location = ${cloud.region}`,
      'use_https = True',
      `ca_certs_file = ${cloud.caBundle}`,
      'check_ssl_certificate = True',
      `signature_v2 = ${signatureV2 ? 'True' : 'False'}`,
      'multipart_chunk_size_mb = 5',
      'progress_meter = False',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

for (const signatureV2 of [false, true]) {
  const name = `s3cmd with ${signatureV2 ? 'SigV2 (signature_v2 = True)' : 'SigV4'}`;
  t.test(`${name}: bucket, round trip, listing, multipart`, async (t) => {
    const config = s3cmdConfig(signatureV2);
    const s3cmd = (...args: string[]) => runCommand('s3cmd', ['-c', config, ...args], { timeoutMs: 180_000 });
    const bucket = signatureV2 ? 's3cmd-v2' : 's3cmd-v4';
    const made = await s3cmd('mb', `s3://${bucket}`);
    t.equal(made.code, 0, `mb: ${made.stderr}`);
    const small = randomFile(`${bucket}-small.bin`, 10_000);
    t.equal((await s3cmd('put', small.path, `s3://${bucket}/dir/small.bin`)).code, 0, 'put');
    const big = randomFile(`${bucket}-big.bin`, 12 * 1024 * 1024 + 123);
    const put = await s3cmd('put', big.path, `s3://${bucket}/big.bin`);
    t.equal(put.code, 0, `multipart put: ${put.stderr}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    t.match(head.ETag, /^"[0-9a-f]{32}-3"$/, 's3cmd uploaded it in three parts');

    const listed = await s3cmd('ls', `s3://${bucket}/`);
    t.match(listed.stdout, /DIR\s+s3:\/\/s3cmd-v\d\/dir\//, 'the prefix shows as a directory');
    t.match(listed.stdout, /big\.bin/);
    t.notMatch(listed.stdout, /small\.bin/, 'the delimiter hides keys under dir/');
    const recursive = await s3cmd('ls', '--recursive', `s3://${bucket}`);
    t.match(recursive.stdout, /dir\/small\.bin/);
    const buckets = await s3cmd('ls');
    t.match(buckets.stdout, new RegExp(`s3://${bucket}`));

    for (const [key, file] of [
      ['dir/small.bin', small],
      ['big.bin', big],
    ] as const) {
      const target = join(work, `${bucket}-${key.replace('/', '-')}.back`);
      const got = await s3cmd('get', '--force', `s3://${bucket}/${key}`, target);
      t.equal(got.code, 0, `get ${key}: ${got.stderr}`);
      t.equal(sha256(readFileSync(target)), file.digest, `${key} reads back identical`);
    }
    const info = await s3cmd('info', `s3://${bucket}/dir/small.bin`);
    t.match(info.stdout, /File size:\s+10000/);

    t.equal((await s3cmd('del', `s3://${bucket}/dir/small.bin`, `s3://${bucket}/big.bin`)).code, 0, 'del');
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    t.equal(empty.KeyCount, 0, 'the deletes happened');
    t.equal((await s3cmd('rb', `s3://${bucket}`)).code, 0, 'rb');

    const wrong = s3cmdConfig(signatureV2).replace(/\.cfg$/, '-wrong.cfg');
    writeFileSync(
      wrong,
      readFileSync(s3cmdConfig(signatureV2), 'utf8').replace(/secret_key = .*/, 'secret_key = nope'),
    );
    const refused = await runCommand('s3cmd', ['-c', wrong, 'ls']);
    t.not(refused.code, 0, 'a wrong secret is refused');
    t.match(refused.stderr, /SignatureDoesNotMatch|403/);
  });
}

t.test('rclone: mkdir, copy, listings, cat, a multipart upload, delete', async (t) => {
  const env = {
    RCLONE_CONFIG_WALRUS_TYPE: 's3',
    RCLONE_CONFIG_WALRUS_PROVIDER: 'Other',
    RCLONE_CONFIG_WALRUS_ACCESS_KEY_ID: cloud.admin.accessKeyId,
    RCLONE_CONFIG_WALRUS_SECRET_ACCESS_KEY: cloud.admin.secretAccessKey,
    RCLONE_CONFIG_WALRUS_ENDPOINT: cloud.url,
    RCLONE_CONFIG_WALRUS_REGION: cloud.region,
    RCLONE_CONFIG_WALRUS_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG: '/dev/null',
  };
  // This machine's environment points AWS_CA_BUNDLE at the system bundle; rclone's SDK would load it over --ca-cert.
  const rclone = (...args: string[]) =>
    runCommand(
      'env',
      [
        '-u',
        'AWS_CA_BUNDLE',
        'rclone',
        '--ca-cert',
        cloud.caBundle,
        '--retries',
        '1',
        '--low-level-retries',
        '1',
        ...args,
      ],
      { env, timeoutMs: 180_000 },
    );
  const made = await rclone('mkdir', 'walrus:rclone');
  t.equal(made.code, 0, `mkdir: ${made.stderr}`);
  const small = { path: join(work, 'rclone-small.txt') };
  writeFileSync(small.path, randomBytes(2500).toString('hex'));
  t.equal((await rclone('copyto', small.path, 'walrus:rclone/docs/small.txt')).code, 0, 'copyto');
  const big = randomFile('rclone-big.bin', 16 * 1024 * 1024 + 7);
  const copied = await rclone(
    'copyto',
    '--s3-upload-cutoff',
    '5M',
    '--s3-chunk-size',
    '5M',
    big.path,
    'walrus:rclone/big.bin',
  );
  t.equal(copied.code, 0, `multipart copyto: ${copied.stderr}`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'rclone', Key: 'big.bin' }));
  t.match(head.ETag, /^"[0-9a-f]{32}-4"$/, 'rclone uploaded it in four parts');

  const listed = await rclone('lsjson', '--recursive', 'walrus:rclone');
  const entries = JSON.parse(listed.stdout) as { Path: string; Size: number; IsDir: boolean }[];
  t.same(
    entries
      .filter((entry) => !entry.IsDir)
      .map((entry) => [entry.Path, entry.Size])
      .sort(),
    [
      ['big.bin', 16 * 1024 * 1024 + 7],
      ['docs/small.txt', 5000],
    ],
    'lsjson lists both with their sizes',
  );
  const top = await rclone('lsf', 'walrus:rclone');
  t.same(top.stdout.trim().split('\n').sort(), ['big.bin', 'docs/'], 'the delimiter listing');
  const back = join(work, 'rclone-big.back');
  t.equal((await rclone('copyto', 'walrus:rclone/big.bin', back)).code, 0);
  t.equal(sha256(readFileSync(back)), big.digest, 'the multipart object reads back identical');
  const md5 = await rclone('md5sum', 'walrus:rclone/docs/small.txt');
  t.equal(
    md5.stdout.split(/\s+/)[0],
    createHash('md5').update(readFileSync(small.path)).digest('hex'),
    'md5sum (from the ETag) matches the local file',
  );
  const cat = await rclone('cat', 'walrus:rclone/docs/small.txt');
  t.equal(cat.stdout, readFileSync(small.path, 'utf8'), 'cat');
  t.equal((await rclone('purge', 'walrus:rclone')).code, 0, 'purge');
  const gone = await s3.send(new ListBucketsCommand({}));
  t.notOk(
    gone.Buckets?.some((bucket) => bucket.Name === 'rclone'),
    'purge removed the bucket',
  );
});

t.test('boto3 with SigV2 (signature_version s3): header-signed requests and a presigned GET', async (t) => {
  const script = `
import boto3, botocore.config, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], verify=sys.argv[3],
    config=botocore.config.Config(signature_version='s3', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
s3.create_bucket(Bucket='boto-v2')
s3.put_object(Bucket='boto-v2', Key='a key with spaces', Body=b'signed with v2', Metadata={'colour': 'green'})
got = s3.get_object(Bucket='boto-v2', Key='a key with spaces')
print(got['Body'].read().decode(), got['Metadata']['colour'])
print(s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-v2', 'Key': 'a key with spaces'}, ExpiresIn=300))
`;
  const run = await runCommand('/usr/bin/python3', ['-c', script, cloud.url, cloud.region, cloud.caBundle], {
    env: cloud.awsEnv(),
  });
  t.equal(run.code, 0, run.stderr);
  const [line, url] = run.stdout.trim().split('\n');
  t.equal(line, 'signed with v2 green');
  t.match(url, /AWSAccessKeyId=.*Signature=.*Expires=/, 'a SigV2 presigned URL');
  const fetched = await curl(url!, { ca: cloud.caBundle });
  t.equal(fetched.stdout, 'signed with v2', 'curl reads it with the v2 presigned URL');
  const tampered = await curl(url!.replace('Expires=', 'Expires=1'), { ca: cloud.caBundle });
  t.match(tampered.stdout, /<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/, 'a changed URL is refused');
});

t.test('virtual-host style: BUCKET.dnsName names the bucket', async (t) => {
  // No DNS here: every name resolves to the loopback, and the certificate (issued for 127.0.0.1) is checked against
  // the cloud's CA but not against the bucket's host name.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all)
      (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [
        { address: '127.0.0.1', family: 4 },
      ]);
    else callback(null, '127.0.0.1', 4);
  };
  const agent = new Agent({ ca: readFileSync(cloud.caBundle), lookup, checkServerIdentity: () => undefined });
  t.teardown(() => agent.destroy());
  const seenHosts: string[] = [];
  const virtual = new S3Client({
    endpoint: `https://${dnsName}:${port}`,
    region: cloud.region,
    credentials: cloud.admin,
    forcePathStyle: false,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  virtual.middlewareStack.add(
    (next) => async (args) => {
      seenHosts.push((args.request as { hostname: string }).hostname);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordHost' },
  );
  await virtual.send(new CreateBucketCommand({ Bucket: 'vhost' }));
  await virtual.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'photos/one.txt', Body: 'by virtual host' }));
  await virtual.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'photos/two.txt', Body: 'second' }));
  const got = await virtual.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'photos/one.txt' }));
  t.equal(await got.Body!.transformToString(), 'by virtual host');
  const listed = await virtual.send(new ListObjectsV2Command({ Bucket: 'vhost', Prefix: 'photos/' }));
  t.same(
    listed.Contents?.map((object) => object.Key),
    ['photos/one.txt', 'photos/two.txt'],
  );
  t.ok(
    seenHosts.length > 0 && seenHosts.every((host) => host === `vhost.${dnsName}`),
    `every request went to vhost.${dnsName} (${[...new Set(seenHosts)].join(', ')})`,
  );
  const pathStyle = await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'photos/two.txt' }));
  t.equal(await pathStyle.Body!.transformToString(), 'second', 'path style reaches the same bucket');
  const other = await virtual
    .send(new GetObjectCommand({ Bucket: 'nosuchbucket', Key: 'photos/one.txt' }))
    .catch((error: Error) => error);
  t.equal((other as Error).name, 'NoSuchBucket', 'the host name decides the bucket');
});

t.test('a presigned GET URL over 16 KiB works; one over the 64 KiB limit gets S3 XML, not a bare 431', async (t) => {
  await s3.send(new CreateBucketCommand({ Bucket: 'long-urls' }));
  await s3.send(new PutObjectCommand({ Bucket: 'long-urls', Key: 'file.txt', Body: 'long urls' }));
  const disposition = `attachment; filename="${'x'.repeat(20_000)}.txt"`;
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({ Bucket: 'long-urls', Key: 'file.txt', ResponseContentDisposition: disposition }),
    { expiresIn: 300 },
  );
  t.ok(url.length > 20_000, `the URL is ${url.length} bytes`);
  const fetched = await curl(url, { ca: cloud.caBundle }, ['-D', '-']);
  t.match(fetched.stdout, /^HTTP\/1\.1 200/, 'answered 200');
  t.match(fetched.stdout, /long urls$/, 'with the object');

  const tooLong = `${cloud.url}/long-urls/file.txt?x=${'y'.repeat(70_000)}`;
  const refused = await curl(tooLong, { ca: cloud.caBundle }, ['-D', '-']);
  t.match(refused.stdout, /^HTTP\/1\.1 400/, 'a 400, not 431');
  t.match(refused.stdout, /content-type: (application|text)\/xml/i);
  t.match(refused.stdout, /<Error><Code>RequestHeaderSectionTooLarge<\/Code><Message>[^<]+<\/Message>/);
  const health = await curl(`${cloud.url}/healthz`, { ca: cloud.caBundle });
  t.match(health.stdout, /"status":"ok"/, 'the daemon keeps serving');
});
