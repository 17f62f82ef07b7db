import { CreateAccessKeyCommand, CreateUserCommand, GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import t from 'tap';
import { runCommand, temporaryDir } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus } from '../helpers/walrus.js';

// Bucket policies through the clients that set them (the aws CLI, boto3, the JS SDK) and enforced on the requests
// they govern: anonymous reads with curl, another account's uploads and listings under conditions, a Deny that binds
// even the owner, BlockPublicPolicy and RestrictPublicBuckets, and a policy that outlives a restart.
const cloud = await startWalrus(t);
const partner = await cloud.newAccount('policy-partner');
const bucket = 'policies';
const work = temporaryDir('policy');

const boto3Calls = (
  credentials: { accessKeyId: string; secretAccessKey: string },
  calls: [string, Record<string, unknown>][],
) => callBoto3(cloud, credentials, calls);

const setup = await boto3Calls(cloud.admin, [
  ['create_bucket', { Bucket: bucket }],
  ['put_object', { Bucket: bucket, Key: 'public/hello.txt', Body: 'hello, world' }],
  ['put_object', { Bucket: bucket, Key: 'private/secret.txt', Body: 'not for you' }],
]);
t.same(
  setup.map((answer) => answer.status),
  [200, 200, 200],
  'bucket and objects',
);

const arn = `arn:aws:s3:::${bucket}`;
const policy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${arn}/public/*` },
    {
      Sid: 'PartnerDropbox',
      Effect: 'Allow',
      Principal: { AWS: partner.accountId },
      Action: 's3:PutObject',
      Resource: `${arn}/dropbox/*`,
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    },
    {
      Sid: 'PartnerListsDropbox',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${partner.accountId}:root` },
      Action: 's3:ListBucket',
      Resource: arn,
      Condition: { StringLike: { 's3:prefix': 'dropbox/*' } },
    },
    {
      Sid: 'DeletesOnlyFromTheBackupNetwork',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: `${arn}/*`,
      Condition: { NotIpAddress: { 'aws:SourceIp': '10.99.0.0/16' } },
    },
  ],
};

const awsV2 = (...args: string[]) =>
  runCommand('/usr/bin/aws', ['--endpoint-url', cloud.url, 's3api', ...args], { env: cloud.awsEnv() });
const curl = (path: string) =>
  runCommand('curl', ['-sS', '--cacert', cloud.caBundle, '-w', '\n%{http_code}', `${cloud.url}${path}`]);
/** An unsigned GET with curl: the status and the body. */
async function anonymousGet(path: string): Promise<{ status: number; body: string }> {
  const run = await curl(path);
  const lines = run.stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

t.test('the aws CLI sets the policy and reads it back; the status says it is public', async (t) => {
  const file = join(work, 'policy.json');
  writeFileSync(file, JSON.stringify(policy, null, 2));
  const put = await awsV2('put-bucket-policy', '--bucket', bucket, '--policy', `file://${file}`);
  t.equal(put.code, 0, put.stderr);
  const got = await awsV2('get-bucket-policy', '--bucket', bucket);
  t.equal(got.code, 0, got.stderr);
  t.same(JSON.parse((JSON.parse(got.stdout) as { Policy: string }).Policy), policy, 'the document as it was given');
  const status = await awsV2('get-bucket-policy-status', '--bucket', bucket);
  t.same(JSON.parse(status.stdout), { PolicyStatus: { IsPublic: true } });
});

t.test('anyone reads public/ (curl, no keys); nothing else', async (t) => {
  t.same(await anonymousGet(`/${bucket}/public/hello.txt`), { status: 200, body: 'hello, world' });
  const secret = await anonymousGet(`/${bucket}/private/secret.txt`);
  t.equal(secret.status, 403);
  t.match(secret.body, /<Code>AccessDenied<\/Code>/);
  t.equal((await anonymousGet(`/${bucket}?list-type=2`)).status, 403, 'listing is not granted');
});

t.test('the partner uploads to dropbox/ only when handing the object over, and lists only dropbox/', async (t) => {
  const answers = await boto3Calls(partner, [
    ['put_object', { Bucket: bucket, Key: 'dropbox/report.csv', Body: 'a,b', ACL: 'bucket-owner-full-control' }],
    ['put_object', { Bucket: bucket, Key: 'dropbox/kept.csv', Body: 'a,b' }],
    ['put_object', { Bucket: bucket, Key: 'public/defaced.txt', Body: 'x', ACL: 'bucket-owner-full-control' }],
    ['list_objects_v2', { Bucket: bucket, Prefix: 'dropbox/' }],
    ['list_objects_v2', { Bucket: bucket }],
    ['get_object', { Bucket: bucket, Key: 'private/secret.txt' }],
    ['get_bucket_policy', { Bucket: bucket }],
    ['delete_bucket_policy', { Bucket: bucket }],
  ]);
  t.match(answers, [
    { status: 200 },
    { status: 403, code: 'AccessDenied' },
    { status: 403, code: 'AccessDenied' },
    { status: 200, body: { KeyCount: 1, Contents: [{ Key: 'dropbox/report.csv' }] } },
    { status: 403, code: 'AccessDenied' },
    { status: 403, code: 'AccessDenied' },
    { status: 403, code: 'AccessDenied' },
    { status: 403, code: 'AccessDenied' },
  ]);
  const owners = await boto3Calls(cloud.admin, [['get_object_acl', { Bucket: bucket, Key: 'dropbox/report.csv' }]]);
  t.match(owners[0], { status: 200, body: { Grants: [{ Permission: 'FULL_CONTROL' }] } }, 'the owner may read it');
});

t.test('a Deny binds even the bucket owner, but never keeps the owner from the policy itself', async (t) => {
  const answers = await boto3Calls(cloud.admin, [
    ['delete_object', { Bucket: bucket, Key: 'public/hello.txt' }],
    ['delete_objects', { Bucket: bucket, Delete: { Objects: [{ Key: 'public/hello.txt' }] } }],
    ['get_object', { Bucket: bucket, Key: 'public/hello.txt' }],
  ]);
  t.match(answers, [
    { status: 403, code: 'AccessDenied' },
    { status: 200, body: { Errors: [{ Key: 'public/hello.txt', Code: 'AccessDenied' }] } },
    { status: 200, body: { ContentLength: 12 } },
  ]);
  const got = await cloud.s3().send(new GetBucketPolicyCommand({ Bucket: bucket }));
  t.same(JSON.parse(got.Policy ?? ''), policy, 'the JS SDK reads it');
});

t.test('a malformed policy is refused with the reason, and the one in place stays', async (t) => {
  const bad = { ...policy, Statement: [{ ...policy.Statement[0], Action: 's3:GetObjekt' }] };
  const answers = await boto3Calls(cloud.admin, [
    ['put_bucket_policy', { Bucket: bucket, Policy: JSON.stringify(bad) }],
    ['put_bucket_policy', { Bucket: bucket, Policy: '{"Version": "2012-10-17", "Statement": [' }],
    ['put_bucket_policy', { Bucket: 'no-such-bucket-here', Policy: JSON.stringify(policy) }],
    ['get_bucket_policy', { Bucket: bucket }],
  ]);
  t.match(answers, [
    { status: 400, code: 'MalformedPolicy' },
    { status: 400, code: 'MalformedPolicy' },
    { status: 404, code: 'NoSuchBucket' },
    { status: 200 },
  ]);
  t.same(JSON.parse((answers[3]?.body as { Policy: string }).Policy), policy);
  const cli = await awsV2(
    'put-bucket-policy',
    '--bucket',
    bucket,
    '--policy',
    JSON.stringify({ Statement: [{ ...policy.Statement[0], Resource: 'arn:aws:s3:::elsewhere/*' }] }),
  );
  t.not(cli.code, 0);
  t.match(cli.stderr, /MalformedPolicy.*invalid resource: arn:aws:s3:::elsewhere\/\*/);
});

t.test('the policy outlives a restart of Walrus', async (t) => {
  await cloud.walrus.stop();
  await cloud.walrus.restart();
  t.same(await anonymousGet(`/${bucket}/public/hello.txt`), { status: 200, body: 'hello, world' });
  const answers = await boto3Calls(cloud.admin, [['delete_object', { Bucket: bucket, Key: 'public/hello.txt' }]]);
  t.match(answers, [{ status: 403, code: 'AccessDenied' }], 'the Deny too');
});

t.test('RestrictPublicBuckets: a public policy grants nobody outside the account', async (t) => {
  const block = (settings: Record<string, boolean>) =>
    boto3Calls(cloud.admin, [
      ['put_public_access_block', { Bucket: bucket, PublicAccessBlockConfiguration: settings }],
    ]);
  t.match(await block({ RestrictPublicBuckets: true }), [{ status: 200 }]);
  t.equal((await anonymousGet(`/${bucket}/public/hello.txt`)).status, 403, 'anonymous');
  const partnerList = await boto3Calls(partner, [['list_objects_v2', { Bucket: bucket, Prefix: 'dropbox/' }]]);
  t.match(partnerList, [{ status: 403, code: 'AccessDenied' }], 'another account, even through its own statement');
  const ownerRead = await boto3Calls(cloud.admin, [['get_object', { Bucket: bucket, Key: 'public/hello.txt' }]]);
  t.match(ownerRead, [{ status: 200 }], 'the owner');
  t.match(await block({}), [{ status: 200 }]);
  t.equal((await anonymousGet(`/${bucket}/public/hello.txt`)).status, 200, 'lifted: public again');
});

t.test('BlockPublicPolicy refuses a public policy, not one for named accounts', async (t) => {
  const answers = await boto3Calls(cloud.admin, [
    ['put_public_access_block', { Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }],
    ['put_bucket_policy', { Bucket: bucket, Policy: JSON.stringify(policy) }],
    [
      'put_bucket_policy',
      { Bucket: bucket, Policy: JSON.stringify({ ...policy, Statement: policy.Statement.slice(1, 3) }) },
    ],
    ['get_bucket_policy_status', { Bucket: bucket }],
  ]);
  t.match(answers, [
    { status: 200 },
    { status: 403, code: 'AccessDenied' },
    { status: 204 },
    { status: 200, body: { PolicyStatus: { IsPublic: false } } },
  ]);
  t.equal((await anonymousGet(`/${bucket}/public/hello.txt`)).status, 403, 'the new policy has no public read');
});

t.test('deleting the policy leaves the ACLs to decide', async (t) => {
  // A client made now: the restart above moved Walrus to another port.
  const s3 = cloud.s3();
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  const error = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket })).catch((caught: unknown) => caught);
  t.ok(error instanceof S3ServiceException && error.name === 'NoSuchBucketPolicy', String(error));
  const partnerPut = await boto3Calls(partner, [
    ['put_object', { Bucket: bucket, Key: 'dropbox/late.csv', Body: 'x', ACL: 'bucket-owner-full-control' }],
  ]);
  t.match(partnerPut, [{ status: 403, code: 'AccessDenied' }]);
  const ownerDelete = await boto3Calls(cloud.admin, [['delete_object', { Bucket: bucket, Key: 'public/hello.txt' }]]);
  t.match(ownerDelete, [{ status: 204 }], 'no Deny any more');
});

t.test('x-amz-expected-bucket-owner: a bucket another account owns is refused, before anything changes', async (t) => {
  const admin = '000000000000';
  const answers = await boto3Calls(cloud.admin, [
    ['put_object', { Bucket: bucket, Key: 'expected.txt', Body: 'x', ExpectedBucketOwner: admin }],
    ['put_object', { Bucket: bucket, Key: 'unexpected.txt', Body: 'x', ExpectedBucketOwner: partner.accountId }],
    ['head_bucket', { Bucket: bucket, ExpectedBucketOwner: partner.accountId }],
    [
      'copy_object',
      {
        Bucket: bucket,
        Key: 'copy.txt',
        CopySource: `${bucket}/expected.txt`,
        ExpectedBucketOwner: admin,
        ExpectedSourceBucketOwner: partner.accountId,
      },
    ],
    ['head_object', { Bucket: bucket, Key: 'unexpected.txt' }],
    ['head_object', { Bucket: bucket, Key: 'copy.txt' }],
  ]);
  t.match(answers, [
    { status: 200 },
    { status: 403, code: 'AccessDenied' },
    { status: 403 },
    { status: 403, code: 'AccessDenied' },
    { status: 404 },
    { status: 404 },
  ]);
  const cli = await awsV2(
    'get-object',
    '--bucket',
    bucket,
    '--key',
    'expected.txt',
    '--expected-bucket-owner',
    partner.accountId,
    join(work, 'out'),
  );
  t.not(cli.code, 0);
  t.match(cli.stderr, /AccessDenied/);
});

t.test('policy variables confine each IAM user of the account to a home of their own', async (t) => {
  const iam = new IAMClient({
    endpoint: cloud.clc.url,
    region: cloud.region,
    credentials: cloud.admin,
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(cloud.caBundle) }) }),
  });
  t.teardown(() => iam.destroy());
  await iam.send(new CreateUserCommand({ UserName: 'alice' }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
  const alice = { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
  const homes = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UsersStayHome',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject'],
        NotResource: 'arn:aws:s3:::homes/home/${aws:username}/*',
        Condition: { StringEquals: { 'aws:PrincipalType': 'User' } },
      },
    ],
  };
  t.match(
    await boto3Calls(cloud.admin, [
      ['create_bucket', { Bucket: 'homes' }],
      ['put_bucket_policy', { Bucket: 'homes', Policy: JSON.stringify(homes) }],
      ['put_object', { Bucket: 'homes', Key: 'home/bob/plan.txt', Body: 'root may' }],
    ]),
    [{ status: 200 }, { status: 204 }, { status: 200 }],
    'the account itself is no user: it writes anywhere',
  );
  t.match(
    await boto3Calls(alice, [
      ['put_object', { Bucket: 'homes', Key: 'home/alice/notes.txt', Body: 'mine' }],
      ['get_object', { Bucket: 'homes', Key: 'home/alice/notes.txt' }],
      ['put_object', { Bucket: 'homes', Key: 'home/bob/notes.txt', Body: 'not mine' }],
      ['get_object', { Bucket: 'homes', Key: 'home/bob/plan.txt' }],
    ]),
    [{ status: 200 }, { status: 200 }, { status: 403, code: 'AccessDenied' }, { status: 403, code: 'AccessDenied' }],
  );

  // aws:userid is the caller's unique id: alice's AIDA..., the account's own id for its root identity.
  const aliceId = (await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.UserId ?? '';
  t.match(aliceId, /^AIDA/);
  const onlyAlice = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DropsForAliceAndTheAccountOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::drops/*',
        Condition: { StringNotEquals: { 'aws:userid': [aliceId, '000000000000'] } },
      },
      {
        Sid: 'AnyoneElseMayTry',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::drops/*',
      },
    ],
  };
  const stranger = await cloud.newAccount('drop-stranger');
  t.match(
    await boto3Calls(cloud.admin, [
      ['create_bucket', { Bucket: 'drops' }],
      ['put_bucket_policy', { Bucket: 'drops', Policy: JSON.stringify(onlyAlice) }],
      ['put_object', { Bucket: 'drops', Key: 'by-root', Body: 'root' }],
    ]),
    [{ status: 200 }, { status: 204 }, { status: 200 }],
  );
  t.match(await boto3Calls(alice, [['put_object', { Bucket: 'drops', Key: 'by-alice', Body: 'alice' }]]), [
    { status: 200 },
  ]);
  t.match(await boto3Calls(stranger, [['put_object', { Bucket: 'drops', Key: 'by-stranger', Body: 'no' }]]), [
    { status: 403, code: 'AccessDenied' },
  ]);
});

t.test("objects' tags decide under s3:ExistingObjectTag; the TLS version is the connection's", async (t) => {
  const tagged = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublishedByTag',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::tagged/*',
        Condition: {
          StringEquals: { 's3:ExistingObjectTag/visibility': 'public' },
          NumericGreaterThanEquals: { 's3:TlsVersion': '1.2' },
        },
      },
    ],
  };
  t.match(
    await boto3Calls(cloud.admin, [
      ['create_bucket', { Bucket: 'tagged' }],
      ['put_bucket_policy', { Bucket: 'tagged', Policy: JSON.stringify(tagged) }],
      ['put_object', { Bucket: 'tagged', Key: 'shown.txt', Body: 'on show', Tagging: 'visibility=public' }],
      ['put_object', { Bucket: 'tagged', Key: 'hidden.txt', Body: 'hidden', Tagging: 'visibility=internal' }],
    ]),
    [{ status: 200 }, { status: 204 }, { status: 200 }, { status: 200 }],
  );
  t.same(await anonymousGet('/tagged/shown.txt'), { status: 200, body: 'on show' });
  t.equal((await anonymousGet('/tagged/hidden.txt')).status, 403);
  t.match(
    await boto3Calls(cloud.admin, [
      [
        'put_object_tagging',
        { Bucket: 'tagged', Key: 'hidden.txt', Tagging: { TagSet: [{ Key: 'visibility', Value: 'public' }] } },
      ],
    ]),
    [{ status: 200 }],
  );
  t.same(await anonymousGet('/tagged/hidden.txt'), { status: 200, body: 'hidden' }, 'retagged: shown');
});
