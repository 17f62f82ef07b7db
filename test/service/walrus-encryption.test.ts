import {
  CopyObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import t from 'tap';
import { runCommand, temporaryDir } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus } from '../helpers/walrus.js';

// Server-side encryption at rest (SSE-S3, `AES256`): objects that ask for it, or land in a bucket with default
// encryption, are stored encrypted (a data key per blob, wrapped by a master key in the metadata database), and read
// back as they were written, whole or by range, by the JS SDK, boto3 and the aws CLI v2. The test looks at what is on
// disk: sealed bytes appear nowhere in Walrus's data folder (blob files, the metadata database and its WAL); unsealed
// ones do, which shows the search finds what is there.
// Parts of 1 KiB may be uploaded (S3's 5 MiB least part is a setting), so multipart objects stay small.
const cloud = await startWalrus(t, { minPartSize: 1024 });
// A new client after a restart: Walrus comes back on another port.
let s3 = cloud.s3();
const boto3Calls = (calls: [string, Record<string, unknown>][]) => callBoto3(cloud, cloud.admin, calls);
const awsV2 = (...args: string[]) =>
  runCommand('/usr/bin/aws', ['--endpoint-url', cloud.url, ...args], { env: cloud.awsEnv() });

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Bytes that are easy to find: a random marker repeated, so that any stored 64-byte stretch of it gives it away. */
function markedBytes(size: number): { bytes: Buffer; marker: Buffer } {
  const marker = Buffer.from(`marker-${randomBytes(12).toString('hex')}-`);
  const bytes = Buffer.alloc(size);
  for (let offset = 0; offset < size; offset += marker.length) marker.copy(bytes, offset);
  return { bytes, marker };
}

/** Every file under Walrus's data folder that holds `marker` (blob files, walrus.sqlite, its WAL). */
function filesHolding(marker: Buffer): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path).includes(marker)) found.push(path.slice(cloud.walrus.dataDir.length + 1));
    }
  };
  walk(cloud.walrus.dataDir);
  return found;
}

async function getBytes(key: string, range?: string, bucket = 'sealed'): Promise<{ bytes: Buffer; sse?: string }> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return { bytes: Buffer.from(await answer.Body!.transformToByteArray()), sse: answer.ServerSideEncryption };
}

t.match(await boto3Calls([['create_bucket', { Bucket: 'sealed' }]]), [{ status: 200 }]);

// A large object (a file of its own), a small one (a row in the metadata database), each sealed and not.
const large = markedBytes(300 * 1024 + 7);
const small = markedBytes(3000);
const plainLarge = markedBytes(100 * 1024);
const plainSmall = markedBytes(2000);

t.test('the JS SDK: AES256 is confirmed, and the bytes come back whole and by any range', async (t) => {
  for (const [key, { bytes }] of [
    ['large', large],
    ['small', small],
  ] as const) {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'sealed', Key: key, Body: bytes, ServerSideEncryption: 'AES256' }),
    );
    t.equal(put.ServerSideEncryption, 'AES256', `${key}: the PUT's answer says AES256`);
    t.equal(put.ETag, `"${md5(bytes)}"`, `${key}: the ETag is the MD5 of the bytes as sent, as on S3 for SSE-S3`);
    const got = await getBytes(key);
    t.equal(got.sse, 'AES256', `${key}: so does the GET's`);
    t.ok(got.bytes.equals(bytes), `${key}: the bytes read back as written`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'sealed', Key: key }));
    t.equal(head.ServerSideEncryption, 'AES256', `${key}: and the HEAD's`);
    // Ranges that start and end inside and across AES blocks (16 bytes), and at the end.
    const size = bytes.length;
    for (const [start, end] of [
      [0, 0],
      [15, 16],
      [17, 1000],
      [1, size - 2],
      [size - 5, size - 1],
    ] as const) {
      const range = await getBytes(key, `bytes=${start}-${end}`);
      t.ok(range.bytes.equals(bytes.subarray(start, end + 1)), `${key}: bytes ${start}-${end}`);
    }
  }
  for (const [key, { bytes }] of [
    ['plain-large', plainLarge],
    ['plain-small', plainSmall],
  ] as const) {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'sealed', Key: key, Body: bytes }));
    t.equal(put.ServerSideEncryption, undefined, `${key}: an object that asks for nothing is not sealed`);
    t.equal((await getBytes(key)).sse, undefined);
  }
});

t.test('on disk: sealed bytes are nowhere in the data folder, unsealed ones are', async (t) => {
  // Reached through a restart: the database and its WAL as a stopped Walrus leaves them.
  await cloud.walrus.restart();
  s3 = cloud.s3();
  t.same(filesHolding(large.marker), [], 'the large sealed object is not in its blob file');
  t.same(filesHolding(small.marker), [], 'the small one is not in the metadata database or its WAL');
  t.match(filesHolding(plainLarge.marker), [/^objects\/blobs\//], 'an unsealed large object is: the search works');
  t.match(filesHolding(plainSmall.marker), [/^walrus\.sqlite/], 'and an unsealed small one, in the database');
  // The master key is kept with the metadata (so the metadata backup carries it) and outlives the restart.
  const db = new SqliteDatabase(join(cloud.walrus.dataDir, 'walrus.sqlite'), { readonly: true });
  const keys = db.prepare('SELECT id, length(key) AS bytes FROM sealing_keys').all() as { bytes: number }[];
  db.close();
  t.match(keys, [{ bytes: 32 }], 'one 256-bit master key');
  t.ok((await getBytes('large')).bytes.equals(large.bytes), 'sealed objects read back after the restart');
  t.ok((await getBytes('small', 'bytes=100-199')).bytes.equals(small.bytes.subarray(100, 200)));
});

t.test('the aws CLI v2: a multipart upload with --sse AES256, read back whole and by range', async (t) => {
  const dir = temporaryDir('sse');
  const { bytes, marker } = markedBytes(9 * 1024 * 1024 + 123);
  const file = join(dir, 'multi.bin');
  writeFileSync(file, bytes);
  // The CLI's default threshold and part size (8 MiB) make this two parts.
  const put = await awsV2('s3', 'cp', file, 's3://sealed/multi.bin', '--sse', 'AES256');
  t.equal(put.code, 0, put.stderr);
  const head = JSON.parse((await awsV2('s3api', 'head-object', '--bucket', 'sealed', '--key', 'multi.bin')).stdout);
  t.match(head, { ServerSideEncryption: 'AES256', ETag: /-2"$/ }, 'a sealed object of two parts');
  const back = join(dir, 'back.bin');
  const get = await awsV2('s3', 'cp', 's3://sealed/multi.bin', back);
  t.equal(get.code, 0, get.stderr);
  t.equal(sha256(readFileSync(back)), sha256(bytes), 'the bytes read back as written');
  // A range across the two parts' boundary: each part has its own data key.
  const part = join(dir, 'range.bin');
  const boundary = 8 * 1024 * 1024;
  const ranged = await awsV2(
    's3api',
    'get-object',
    '--bucket',
    'sealed',
    '--key',
    'multi.bin',
    '--range',
    `bytes=${boundary - 10}-${boundary + 9}`,
    part,
  );
  t.equal(ranged.code, 0, ranged.stderr);
  t.ok(readFileSync(part).equals(bytes.subarray(boundary - 10, boundary + 10)), 'a range across the parts');
  t.same(filesHolding(marker), [], 'no part is stored in the clear');
});

t.test('default encryption: set, read and deleted with the aws CLI; objects that ask for nothing get it', async (t) => {
  t.match(await boto3Calls([['create_bucket', { Bucket: 'by-default' }]]), [{ status: 200 }]);
  const aes256 = JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  const set = await awsV2(
    's3api',
    'put-bucket-encryption',
    '--bucket',
    'by-default',
    '--server-side-encryption-configuration',
    aes256,
  );
  t.equal(set.code, 0, set.stderr);
  const read = await awsV2('s3api', 'get-bucket-encryption', '--bucket', 'by-default');
  t.same(JSON.parse(read.stdout).ServerSideEncryptionConfiguration, {
    Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
  });

  const { bytes, marker } = markedBytes(80 * 1024);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'by-default', Key: 'object', Body: bytes }));
  t.equal(put.ServerSideEncryption, 'AES256', 'a PUT that asks for nothing is sealed');
  t.ok((await getBytes('object', undefined, 'by-default')).bytes.equals(bytes));
  const upload = await boto3Calls([
    ['create_multipart_upload', { Bucket: 'by-default', Key: 'uploaded' }],
    ['copy_object', { Bucket: 'by-default', Key: 'copied', CopySource: 'sealed/plain-large' }],
  ]);
  t.equal(upload[0]!.body!.ServerSideEncryption, 'AES256', 'so is a multipart upload');
  t.equal(upload[1]!.body!.ServerSideEncryption, 'AES256', 'and a copy of an unsealed object');
  t.same(filesHolding(marker), []);

  const refused = await boto3Calls([
    [
      'put_bucket_encryption',
      {
        Bucket: 'by-default',
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      },
    ],
    [
      'put_bucket_encryption',
      {
        Bucket: 'by-default',
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: 'alias/x' } }],
        },
      },
    ],
    ['get_bucket_encryption', { Bucket: 'by-default' }],
  ]);
  t.match(refused, [
    { status: 501, code: 'NotImplemented' },
    { status: 400, code: 'InvalidArgument' },
    {
      status: 200,
      body: { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: {} }] } },
    },
  ]);

  const other = await cloud.newAccount('encryption-other');
  t.match(await callBoto3(cloud, other, [['get_bucket_encryption', { Bucket: 'by-default' }]]), [
    { status: 403, code: 'AccessDenied' },
  ]);

  const deleted = await awsV2('s3api', 'delete-bucket-encryption', '--bucket', 'by-default');
  t.equal(deleted.code, 0, deleted.stderr);
  const after = await awsV2('s3api', 'get-bucket-encryption', '--bucket', 'by-default');
  t.match(after.stderr, /ServerSideEncryptionConfigurationNotFoundError/);
  const plain = await s3.send(new PutObjectCommand({ Bucket: 'by-default', Key: 'later', Body: 'clear' }));
  t.equal(plain.ServerSideEncryption, undefined, 'without a default, objects are stored as asked');
  t.ok((await getBytes('object', 'bytes=5-9', 'by-default')).bytes.equals(bytes.subarray(5, 10)), 'sealed stay so');
});

t.test(
  'copies: in place to seal an existing object; sealed to unsealed; a part copied from a sealed object',
  async (t) => {
    const inPlace = await s3.send(
      new CopyObjectCommand({
        Bucket: 'sealed',
        Key: 'plain-large',
        CopySource: 'sealed/plain-large',
        ServerSideEncryption: 'AES256',
      }),
    );
    t.equal(inPlace.ServerSideEncryption, 'AES256', 'a copy onto itself asking for AES256 seals it');
    const got = await getBytes('plain-large');
    t.equal(got.sse, 'AES256');
    t.ok(got.bytes.equals(plainLarge.bytes));
    t.same(filesHolding(plainLarge.marker), [], 'the clear blob went with the version it held');

    const error = await s3
      .send(new CopyObjectCommand({ Bucket: 'sealed', Key: 'large', CopySource: 'sealed/large' }))
      .catch((caught: unknown) => caught);
    t.match(
      error,
      { name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } },
      'a copy onto itself changing nothing is still refused',
    );

    const unsealed = await s3.send(
      new CopyObjectCommand({ Bucket: 'sealed', Key: 'clear-copy', CopySource: 'sealed/large' }),
    );
    t.equal(unsealed.ServerSideEncryption, undefined, 'a copy that asks for nothing is stored as asked');
    const copy = await getBytes('clear-copy');
    t.equal(copy.sse, undefined);
    t.ok(copy.bytes.equals(large.bytes), 'with the sealed source decrypted');

    const calls = await boto3Calls([
      ['create_multipart_upload', { Bucket: 'sealed', Key: 'assembled', ServerSideEncryption: 'AES256' }],
    ]);
    const uploadId = calls[0]!.body!.UploadId as string;
    const parts = await boto3Calls([
      [
        'upload_part_copy',
        {
          Bucket: 'sealed',
          Key: 'assembled',
          UploadId: uploadId,
          PartNumber: 1,
          CopySource: 'sealed/large',
          CopySourceRange: 'bytes=1000-2999',
        },
      ],
      ['upload_part', { Bucket: 'sealed', Key: 'assembled', UploadId: uploadId, PartNumber: 2, Body: 'tail' }],
    ]);
    t.equal(parts[0]!.body!.ServerSideEncryption, 'AES256');
    t.equal(parts[1]!.body!.ServerSideEncryption, 'AES256');
    const etags = parts.map((part, index) => ({
      PartNumber: index + 1,
      ETag: ((part.body!.CopyPartResult as { ETag?: string } | undefined)?.ETag ?? part.body!.ETag) as string,
    }));
    const completed = await boto3Calls([
      [
        'complete_multipart_upload',
        { Bucket: 'sealed', Key: 'assembled', UploadId: uploadId, MultipartUpload: { Parts: etags } },
      ],
    ]);
    t.match(completed, [{ status: 200, body: { ServerSideEncryption: 'AES256' } }]);
    const assembled = await getBytes('assembled');
    t.equal(assembled.sse, 'AES256');
    t.ok(assembled.bytes.equals(Buffer.concat([large.bytes.subarray(1000, 3000), Buffer.from('tail')])));
  },
);

t.test("SSE-C: the customer's key seals the bytes, every read must bring it, and it is kept nowhere", async (t) => {
  const customerKey = 'c'.repeat(20) + randomBytes(6).toString('hex');
  const keyMd5 = createHash('md5').update(customerKey).digest('base64');
  const withKey = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey };
  const { bytes, marker } = markedBytes(150 * 1024 + 3);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'sealed', Key: 'customer', Body: bytes, ...withKey }));
  t.match(put, { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: keyMd5 }, "the answer names the key's MD5");
  t.not(put.ETag, `"${md5(bytes)}"`, 'the ETag is not the MD5 of the bytes (as on S3 for SSE-C)');
  const got = await s3.send(new GetObjectCommand({ Bucket: 'sealed', Key: 'customer', ...withKey }));
  t.match(got, { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: keyMd5, ETag: put.ETag });
  t.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes), 'the bytes read back with the key');
  const ranged = await s3.send(
    new GetObjectCommand({ Bucket: 'sealed', Key: 'customer', Range: 'bytes=70000-70099', ...withKey }),
  );
  t.ok(Buffer.from(await ranged.Body!.transformToByteArray()).equals(bytes.subarray(70000, 70100)), 'and a range');

  const failures = await boto3Calls([
    ['get_object', { Bucket: 'sealed', Key: 'customer' }],
    ['head_object', { Bucket: 'sealed', Key: 'customer' }],
    [
      'get_object',
      { Bucket: 'sealed', Key: 'customer', SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'w'.repeat(32) },
    ],
    ['get_object', { Bucket: 'sealed', Key: 'large', ...withKey }],
    [
      'put_object',
      { Bucket: 'sealed', Key: 'short', Body: 'x', SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'short' },
    ],
    ['put_object', { Bucket: 'sealed', Key: 'md5', Body: 'x', ...withKey, SSECustomerKeyMD5: md5Base64Of('other') }],
    ['put_object', { Bucket: 'sealed', Key: 'both', Body: 'x', ...withKey, ServerSideEncryption: 'AES256' }],
    [
      'put_object',
      { Bucket: 'sealed', Key: 'des', Body: 'x', SSECustomerAlgorithm: 'DES', SSECustomerKey: customerKey },
    ],
    ['get_object_attributes', { Bucket: 'sealed', Key: 'customer', ObjectAttributes: ['ETag', 'ObjectSize'] }],
  ]);
  t.match(failures, [
    { status: 400, code: 'InvalidRequest' },
    { status: 400 },
    { status: 403, code: 'AccessDenied' },
    { status: 400, code: 'InvalidRequest' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidEncryptionAlgorithmError' },
    { status: 400, code: 'InvalidRequest' },
  ]);
  // (botocore does not encode the key for GetObjectAttributes: the JS SDK, which does.)
  const attributes = await s3.send(
    new GetObjectAttributesCommand({ Bucket: 'sealed', Key: 'customer', ObjectAttributes: ['ObjectSize'], ...withKey }),
  );
  t.equal(attributes.ObjectSize, bytes.length, "with the key, the object's attributes");
  t.equal(
    (await boto3Calls([['list_objects_v2', { Bucket: 'sealed', Prefix: 'short' }]]))[0]!.body!.KeyCount,
    0,
    'a refused key stores nothing',
  );

  // Copies: the source's key opens it, the target is sealed as the copy asks.
  const copies = await boto3Calls([
    [
      'copy_object',
      {
        Bucket: 'sealed',
        Key: 'from-customer',
        CopySource: 'sealed/customer',
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: customerKey,
        ServerSideEncryption: 'AES256',
      },
    ],
    [
      'copy_object',
      {
        Bucket: 'sealed',
        Key: 'wrong-source-key',
        CopySource: 'sealed/customer',
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: 'w'.repeat(32),
      },
    ],
    ['copy_object', { Bucket: 'sealed', Key: 'to-customer', CopySource: 'sealed/small', ...withKey }],
  ]);
  t.match(copies, [
    { status: 200, body: { ServerSideEncryption: 'AES256' } },
    { status: 403, code: 'AccessDenied' },
    { status: 200, body: { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: keyMd5 } },
  ]);
  t.ok((await getBytes('from-customer')).bytes.equals(bytes), "a customer's object copied into SSE-S3");
  const toCustomer = await s3.send(new GetObjectCommand({ Bucket: 'sealed', Key: 'to-customer', ...withKey }));
  t.ok(Buffer.from(await toCustomer.Body!.transformToByteArray()).equals(small.bytes), 'and an object into SSE-C');

  // A multipart upload's parts must bring the key it began with.
  const started = await boto3Calls([['create_multipart_upload', { Bucket: 'sealed', Key: 'c-multi', ...withKey }]]);
  const uploadId = started[0]!.body!.UploadId as string;
  const part = { Bucket: 'sealed', Key: 'c-multi', UploadId: uploadId, PartNumber: 1, Body: 'part one' };
  t.match(
    await boto3Calls([
      ['upload_part', part],
      ['upload_part', { ...part, SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'w'.repeat(32) }],
      ['upload_part', { ...part, ...withKey }],
    ]),
    [
      { status: 400, code: 'InvalidRequest' },
      { status: 400, code: 'InvalidRequest' },
      { status: 200, body: { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: keyMd5 } },
    ],
  );
  await boto3Calls([['abort_multipart_upload', { Bucket: 'sealed', Key: 'c-multi', UploadId: uploadId }]]);

  // The aws CLI v2, a multipart upload (each part carries the key) and a download.
  const dir = temporaryDir('sse-c');
  const big = markedBytes(9 * 1024 * 1024);
  writeFileSync(join(dir, 'big.bin'), big.bytes);
  const sseC = ['--sse-c', 'AES256', '--sse-c-key', customerKey];
  const up = await awsV2('s3', 'cp', join(dir, 'big.bin'), 's3://sealed/c-big.bin', ...sseC);
  t.equal(up.code, 0, up.stderr);
  const down = await awsV2('s3', 'cp', 's3://sealed/c-big.bin', join(dir, 'back.bin'), ...sseC);
  t.equal(down.code, 0, down.stderr);
  t.equal(sha256(readFileSync(join(dir, 'back.bin'))), sha256(big.bytes), 'the aws CLI reads back what it wrote');
  const keyless = await awsV2('s3', 'cp', 's3://sealed/c-big.bin', join(dir, 'keyless.bin'));
  t.not(keyless.code, 0, 'and cannot without the key');

  await cloud.walrus.restart();
  s3 = cloud.s3();
  t.same(filesHolding(marker), [], 'the bytes are sealed on disk');
  t.same(filesHolding(big.marker), []);
  t.same(filesHolding(Buffer.from(customerKey)), [], 'the key is kept nowhere');
  t.same(filesHolding(Buffer.from(Buffer.from(customerKey).toString('base64'))), [], 'nor in base64');
  const after = await s3.send(new GetObjectCommand({ Bucket: 'sealed', Key: 'customer', ...withKey }));
  t.ok(Buffer.from(await after.Body!.transformToByteArray()).equals(bytes), 'the key opens them after a restart');
});

function md5Base64Of(text: string): string {
  return createHash('md5').update(text).digest('base64');
}
