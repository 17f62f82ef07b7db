import { GetBucketTaggingCommand, GetBucketPolicyCommand, S3ServiceException } from '@aws-sdk/client-s3';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startWalrus } from '../helpers/walrus.js';

// Bucket settings Walrus does not keep (policy, CORS, lifecycle, website, encryption ...) read as S3 answers for a
// bucket with none configured, so tools that read them all (Terraform's aws_s3_bucket, s3fs, Cyberduck) work; bucket
// tags are kept. Driven by boto3 (every setting, one process), the aws CLI and the JS SDK.
const cloud = await startWalrus(t);
const s3 = cloud.s3();
const other = await cloud.newAccount('settings-other');

/** Each call of the boto3 S3 client named, as `{"status": 200, "body": {...}}` or `{"status": 404, "code": "..."}`. */
async function boto3Calls(
  credentials: { accessKeyId: string; secretAccessKey: string },
  calls: [string, Record<string, unknown>][],
): Promise<{ status: number; code?: string; body?: Record<string, unknown> }[]> {
  const script = `
import boto3, botocore.config, botocore.exceptions, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], verify=sys.argv[3],
    config=botocore.config.Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
for name, params in json.loads(sys.argv[4]):
    try:
        body = getattr(s3, name)(**params)
        status = body.pop('ResponseMetadata')['HTTPStatusCode']
        print(json.dumps({'status': status, 'body': body}, default=str))
    except botocore.exceptions.ClientError as error:
        print(json.dumps({'status': error.response['ResponseMetadata']['HTTPStatusCode'],
                          'code': error.response['Error']['Code']}))
`;
  const run = await runCommand(
    '/usr/bin/python3',
    ['-c', script, cloud.url, cloud.region, cloud.caBundle, JSON.stringify(calls)],
    { env: cloud.awsEnv(credentials) },
  );
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { status: number; code?: string; body?: Record<string, unknown> });
}

const created = await boto3Calls(cloud.admin, [['create_bucket', { Bucket: 'settings' }]]);
t.equal(created[0]?.status, 200, 'the bucket is created');

// boto3 method, S3's answer for a bucket with none configured: an error code, or the body (an empty configuration).
const reads: [string, string | Record<string, unknown>][] = [
  ['get_bucket_policy', 'NoSuchBucketPolicy'],
  ['get_bucket_policy_status', 'NoSuchBucketPolicy'],
  ['get_bucket_cors', 'NoSuchCORSConfiguration'],
  ['get_bucket_lifecycle_configuration', 'NoSuchLifecycleConfiguration'],
  ['get_bucket_website', 'NoSuchWebsiteConfiguration'],
  ['get_bucket_encryption', 'ServerSideEncryptionConfigurationNotFoundError'],
  ['get_public_access_block', 'NoSuchPublicAccessBlockConfiguration'],
  ['get_bucket_ownership_controls', 'OwnershipControlsNotFoundError'],
  ['get_bucket_replication', 'ReplicationConfigurationNotFoundError'],
  ['get_object_lock_configuration', 'ObjectLockConfigurationNotFoundError'],
  ['get_bucket_tagging', 'NoSuchTagSet'],
  ['get_bucket_logging', {}],
  ['get_bucket_notification_configuration', {}],
  ['get_bucket_accelerate_configuration', {}],
  ['get_bucket_request_payment', { Payer: 'BucketOwner' }],
  ['list_bucket_analytics_configurations', { IsTruncated: false }],
  ['list_bucket_metrics_configurations', { IsTruncated: false }],
  ['list_bucket_inventory_configurations', { IsTruncated: false }],
  ['list_bucket_intelligent_tiering_configurations', { IsTruncated: false }],
];

t.test('every setting reads as S3 answers for a bucket with none configured', async (t) => {
  const answers = await boto3Calls(
    cloud.admin,
    reads.map(([name]) => [name, { Bucket: 'settings' }]),
  );
  reads.forEach(([name, expected], index) => {
    const answer = answers[index]!;
    if (typeof expected === 'string') t.match(answer, { status: 404, code: expected }, name);
    else t.same(answer, { status: 200, body: expected }, name);
  });
  const byId = await boto3Calls(cloud.admin, [
    ['get_bucket_analytics_configuration', { Bucket: 'settings', Id: 'a' }],
    ['get_bucket_metrics_configuration', { Bucket: 'settings', Id: 'a' }],
    ['get_bucket_inventory_configuration', { Bucket: 'settings', Id: 'a' }],
    ['delete_bucket_metrics_configuration', { Bucket: 'settings', Id: 'a' }],
  ]);
  t.ok(
    byId.every((answer) => answer.status === 404 && answer.code === 'NoSuchConfiguration'),
    JSON.stringify(byId),
  );
});

t.test(
  'deleting a setting that is not there succeeds; setting one is NotImplemented and changes nothing',
  async (t) => {
    const deletes = ['delete_bucket_policy', 'delete_bucket_cors', 'delete_bucket_lifecycle', 'delete_bucket_website'];
    const deleted = await boto3Calls(
      cloud.admin,
      deletes.map((name) => [name, { Bucket: 'settings' }]),
    );
    t.same(
      deleted.map((answer) => answer.status),
      [204, 204, 204, 204],
      deletes.join(', '),
    );
    const set = await boto3Calls(cloud.admin, [
      ['put_bucket_policy', { Bucket: 'settings', Policy: '{"Version":"2012-10-17","Statement":[]}' }],
      ['get_bucket_policy', { Bucket: 'settings' }],
    ]);
    t.match(set, [
      { status: 501, code: 'NotImplemented' },
      { status: 404, code: 'NoSuchBucketPolicy' },
    ]);
  },
);

t.test('only the owner reads them; a missing bucket is NoSuchBucket', async (t) => {
  const sample = ['get_bucket_policy', 'get_bucket_logging', 'get_bucket_encryption', 'delete_bucket_cors'];
  const theirs = await boto3Calls(
    other,
    sample.map((name) => [name, { Bucket: 'settings' }]),
  );
  t.ok(
    theirs.every((answer) => answer.status === 403 && answer.code === 'AccessDenied'),
    JSON.stringify(theirs),
  );
  const missing = await boto3Calls(
    cloud.admin,
    sample.map((name) => [name, { Bucket: 'no-such-bucket-here' }]),
  );
  t.ok(
    missing.every((answer) => answer.status === 404 && answer.code === 'NoSuchBucket'),
    JSON.stringify(missing),
  );
});

t.test('bucket tags: the aws CLI v1 and v2 set, read and delete them; the JS SDK reads them', async (t) => {
  for (const [name, aws] of [
    ['aws CLI v1', 'aws'],
    ['aws CLI v2', '/usr/bin/aws'],
  ] as const) {
    const run = (...args: string[]) =>
      runCommand(aws, ['--endpoint-url', cloud.url, 's3api', ...args, '--bucket', 'settings'], { env: cloud.awsEnv() });
    const put = await run(
      'put-bucket-tagging',
      '--tagging',
      'TagSet=[{Key=team,Value=storage},{Key=cost centre,Value=42}]',
    );
    t.equal(put.code, 0, `${name} put-bucket-tagging: ${put.stderr}`);
    const got = await run('get-bucket-tagging');
    t.same(JSON.parse(got.stdout), {
      TagSet: [
        { Key: 'team', Value: 'storage' },
        { Key: 'cost centre', Value: '42' },
      ],
    });
    const viaSdk = await s3.send(new GetBucketTaggingCommand({ Bucket: 'settings' }));
    t.same(viaSdk.TagSet, [
      { Key: 'team', Value: 'storage' },
      { Key: 'cost centre', Value: '42' },
    ]);
    const deleted = await run('delete-bucket-tagging');
    t.equal(deleted.code, 0, deleted.stderr);
    const gone = await run('get-bucket-tagging');
    t.match(gone.stderr, /NoSuchTagSet/, `${name}: no tags after the delete`);
  }
  const tooMany = await boto3Calls(cloud.admin, [
    [
      'put_bucket_tagging',
      { Bucket: 'settings', Tagging: { TagSet: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) } },
    ],
    ['get_bucket_tagging', { Bucket: 'settings' }],
  ]);
  t.match(
    tooMany,
    [
      { status: 400, code: 'InvalidTag' },
      { status: 404, code: 'NoSuchTagSet' },
    ],
    '51 tags are refused and nothing is kept',
  );
  const theirs = await boto3Calls(other, [['put_bucket_tagging', { Bucket: 'settings', Tagging: { TagSet: [] } }]]);
  t.match(theirs, [{ status: 403, code: 'AccessDenied' }], 'another account cannot tag the bucket');
  const refused = await s3.send(new GetBucketPolicyCommand({ Bucket: 'settings' })).catch((error: unknown) => error);
  t.ok(refused instanceof S3ServiceException && refused.name === 'NoSuchBucketPolicy', 'the JS SDK sees S3 error');
});
