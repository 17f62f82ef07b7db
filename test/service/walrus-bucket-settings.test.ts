import { GetBucketTaggingCommand, GetBucketPolicyCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus } from '../helpers/walrus.js';

// Bucket settings Walrus does not keep (website, encryption, replication ...) or that are not set read as S3 answers for a
// bucket with none configured, so tools that read them all (Terraform's aws_s3_bucket, s3fs, Cyberduck) work; bucket
// tags are kept; GetObjectAttributes describes an object. Driven by boto3 (many calls in one process), the aws CLI
// and the JS SDK. Public access blocks and Object Ownership are kept, and enforced on ACLs.
// Parts of 1 KiB may be uploaded (S3's 5 MiB least part is a setting), for a small multipart object.
const cloud = await startWalrus(t, { minPartSize: 1024 });
const s3 = cloud.s3();
const other = await cloud.newAccount('settings-other');

/** The aws CLI v2's `s3api` against this cloud, as the admin. */
const awsV2 = (...args: string[]) =>
  runCommand('/usr/bin/aws', ['--endpoint-url', cloud.url, 's3api', ...args], { env: cloud.awsEnv() });

/** Each call of the boto3 S3 client named, as `credentials`. */
const boto3Calls = (
  credentials: { accessKeyId: string; secretAccessKey: string },
  calls: [string, Record<string, unknown>][],
) => callBoto3(cloud, credentials, calls);

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
      ['put_bucket_website', { Bucket: 'settings', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } }],
      ['get_bucket_website', { Bucket: 'settings' }],
    ]);
    t.match(set, [
      { status: 501, code: 'NotImplemented' },
      { status: 404, code: 'NoSuchWebsiteConfiguration' },
    ]);
  },
);

t.test('settings set to what every bucket has are accepted (Terraform sets them so); others are refused', async (t) => {
  const bucket = { Bucket: 'settings' };
  const answers = await boto3Calls(cloud.admin, [
    ['put_bucket_request_payment', { ...bucket, RequestPaymentConfiguration: { Payer: 'BucketOwner' } }],
    ['put_bucket_request_payment', { ...bucket, RequestPaymentConfiguration: { Payer: 'Requester' } }],
    ['put_bucket_accelerate_configuration', { ...bucket, AccelerateConfiguration: { Status: 'Suspended' } }],
    ['put_bucket_accelerate_configuration', { ...bucket, AccelerateConfiguration: { Status: 'Enabled' } }],
    ['put_bucket_notification_configuration', { ...bucket, NotificationConfiguration: {} }],
    [
      'put_bucket_notification_configuration',
      {
        ...bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            { QueueArn: 'arn:aws:sqs:mallee-test-1:000000000000:q', Events: ['s3:ObjectCreated:*'] },
          ],
        },
      },
    ],
    ['put_bucket_logging', { ...bucket, BucketLoggingStatus: {} }],
    [
      'put_bucket_logging',
      { ...bucket, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'settings', TargetPrefix: 'logs/' } } },
    ],
    ['get_bucket_request_payment', bucket],
    ['get_bucket_notification_configuration', bucket],
  ]);
  t.match(answers, [
    { status: 200 },
    { status: 501, code: 'NotImplemented' },
    { status: 200 },
    { status: 501, code: 'NotImplemented' },
    { status: 200 },
    { status: 501, code: 'NotImplemented' },
    { status: 200 },
    { status: 501, code: 'NotImplemented' },
    { status: 200, body: { Payer: 'BucketOwner' } },
    { status: 200, body: {} },
  ]);
  const cli = await awsV2('put-bucket-logging', '--bucket', 'settings', '--bucket-logging-status', '{}');
  t.equal(cli.code, 0, cli.stderr);
  const theirs = await boto3Calls(other, [['put_bucket_logging', { ...bucket, BucketLoggingStatus: {} }]]);
  t.match(theirs, [{ status: 403, code: 'AccessDenied' }], 'the owner alone');
});

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
  const ours = await boto3Calls(cloud.admin, [
    ['put_bucket_tagging', { Bucket: 'settings', Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }],
    ['delete_bucket_tagging', { Bucket: 'settings' }],
  ]);
  t.match(ours, [{ status: 204 }, { status: 204 }], 'both answered 204 No Content, as S3 does');
  const refused = await s3.send(new GetBucketPolicyCommand({ Bucket: 'settings' })).catch((error: unknown) => error);
  t.ok(refused instanceof S3ServiceException && refused.name === 'NoSuchBucketPolicy', 'the JS SDK sees S3 error');
});

t.test(
  "GetObjectAttributes: ETag, checksum, size, storage class and a multipart object's parts, a page at a time",
  async (t) => {
    const body = 'attributes of a small object';
    const answers = await boto3Calls(cloud.admin, [
      ['put_object', { Bucket: 'settings', Key: 'small', Body: body, ChecksumAlgorithm: 'SHA256' }],
      [
        'get_object_attributes',
        { Bucket: 'settings', Key: 'small', ObjectAttributes: ['ETag', 'Checksum', 'ObjectSize', 'StorageClass'] },
      ],
      ['get_object_attributes', { Bucket: 'settings', Key: 'small', ObjectAttributes: ['Bogus'] }],
      ['get_object_attributes', { Bucket: 'settings', Key: 'none', ObjectAttributes: ['ETag'] }],
    ]);
    t.equal(answers[0]?.status, 200, JSON.stringify(answers[0]));
    t.match(answers[1], {
      status: 200,
      body: {
        ETag: createHash('md5').update(body).digest('hex'),
        Checksum: { ChecksumSHA256: createHash('sha256').update(body).digest('base64') },
        ObjectSize: body.length,
        StorageClass: 'STANDARD',
      },
    });
    t.notMatch(answers[1]?.body, { ObjectParts: {} }, 'a single-part object has no parts to list');
    t.match(answers[2], { status: 400, code: 'InvalidArgument' }, 'an attribute S3 does not know');
    t.match(answers[3], { status: 404, code: 'NoSuchKey' });

    const script = `
import boto3, botocore.config, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], verify=sys.argv[3],
    config=botocore.config.Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
upload = s3.create_multipart_upload(Bucket='settings', Key='parts')['UploadId']
parts = [{'PartNumber': n, 'ETag': s3.upload_part(Bucket='settings', Key='parts', UploadId=upload, PartNumber=n,
          Body=b'x' * size)['ETag']} for n, size in [(1, 2048), (2, 2048), (3, 1024)]]
s3.complete_multipart_upload(Bucket='settings', Key='parts', UploadId=upload, MultipartUpload={'Parts': parts})
for marker in [0, 2]:
    answer = s3.get_object_attributes(Bucket='settings', Key='parts', ObjectAttributes=['ObjectParts', 'ObjectSize'],
                                      MaxParts=2, PartNumberMarker=marker)
    answer.pop('ResponseMetadata')
    print(json.dumps(answer, default=str))
`;
    const run = await runCommand('/usr/bin/python3', ['-c', script, cloud.url, cloud.region, cloud.caBundle], {
      env: cloud.awsEnv(),
    });
    t.equal(run.code, 0, run.stderr);
    const [first, second] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    t.match(first, {
      ObjectSize: 5120,
      ObjectParts: {
        TotalPartsCount: 3,
        MaxParts: 2,
        IsTruncated: true,
        NextPartNumberMarker: 2,
        Parts: [
          { PartNumber: 1, Size: 2048 },
          { PartNumber: 2, Size: 2048 },
        ],
      },
    });
    t.match(second, {
      ObjectParts: {
        TotalPartsCount: 3,
        PartNumberMarker: 2,
        IsTruncated: false,
        Parts: [{ PartNumber: 3, Size: 1024 }],
      },
    });

    const cli = await awsV2(
      'get-object-attributes',
      '--bucket',
      'settings',
      '--key',
      'parts',
      '--object-attributes',
      'ETag',
      'ObjectSize',
    );
    t.equal(cli.code, 0, cli.stderr);
    t.match(JSON.parse(cli.stdout), { ETag: /^[0-9a-f]{32}-3$/, ObjectSize: 5120 }, 'the aws CLI v2 reads them too');
    const theirs = await boto3Calls(other, [
      ['get_object_attributes', { Bucket: 'settings', Key: 'small', ObjectAttributes: ['ETag'] }],
      ['get_object_retention', { Bucket: 'settings', Key: 'small' }],
    ]);
    t.match(theirs, [
      { status: 403, code: 'AccessDenied' },
      { status: 403, code: 'AccessDenied' },
    ]);
    const retention = await boto3Calls(cloud.admin, [
      ['get_object_retention', { Bucket: 'settings', Key: 'small' }],
      ['get_object_legal_hold', { Bucket: 'settings', Key: 'small' }],
    ]);
    t.match(
      retention,
      [
        { status: 400, code: 'InvalidRequest' },
        { status: 400, code: 'InvalidRequest' },
      ],
      'no Object Lock on the bucket: no retention or legal hold to read',
    );
  },
);

/** An unsigned GET, as a browser or `curl` without keys makes it: the status only. */
async function anonymousStatus(path: string): Promise<number> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = httpsRequest(`${cloud.url}${path}`, { ca: readFileSync(cloud.caBundle) }, resolve);
    outgoing.on('error', reject);
    outgoing.end();
  });
  response.resume();
  return response.statusCode ?? 0;
}

const allUsers = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
const blockAll = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

t.test('public access block: kept per bucket, read back by boto3 and both aws CLIs, owner only', async (t) => {
  const calls = await boto3Calls(cloud.admin, [
    ['create_bucket', { Bucket: 'guarded' }],
    ['put_public_access_block', { Bucket: 'guarded', PublicAccessBlockConfiguration: blockAll }],
    ['get_public_access_block', { Bucket: 'guarded' }],
    ['get_public_access_block', { Bucket: 'settings' }],
  ]);
  t.match(calls, [{ status: 200 }, { status: 200 }, { status: 200 }, { status: 404 }]);
  t.same(calls[2]!.body, { PublicAccessBlockConfiguration: blockAll }, 'the four settings read back');
  t.equal(calls[3]!.code, 'NoSuchPublicAccessBlockConfiguration', 'another bucket has none');

  const theirs = await boto3Calls(other, [
    ['get_public_access_block', { Bucket: 'guarded' }],
    ['delete_public_access_block', { Bucket: 'guarded' }],
    ['put_public_access_block', { Bucket: 'guarded', PublicAccessBlockConfiguration: {} }],
  ]);
  t.ok(
    theirs.every((answer) => answer.status === 403 && answer.code === 'AccessDenied'),
    `another account can neither read nor change it: ${JSON.stringify(theirs)}`,
  );

  for (const [name, aws] of [
    ['aws CLI v1', 'aws'],
    ['aws CLI v2', '/usr/bin/aws'],
  ] as const) {
    const run = (...args: string[]) =>
      runCommand(aws, ['--endpoint-url', cloud.url, 's3api', ...args, '--bucket', 'guarded'], { env: cloud.awsEnv() });
    const put = await run(
      'put-public-access-block',
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=true',
    );
    t.equal(put.code, 0, `${name} put-public-access-block: ${put.stderr}`);
    const got = await run('get-public-access-block');
    t.same(
      JSON.parse(got.stdout),
      {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: false,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      },
      `${name} reads what it set`,
    );
    const deleted = await run('delete-public-access-block');
    t.equal(deleted.code, 0, deleted.stderr);
    const gone = await run('get-public-access-block');
    t.match(gone.stderr, /NoSuchPublicAccessBlockConfiguration/, `${name}: none after the delete`);
  }
});

t.test('BlockPublicAcls refuses every request that would make an ACL public, and changes nothing', async (t) => {
  const setup = await boto3Calls(cloud.admin, [
    ['create_bucket', { Bucket: 'blocking' }],
    ['put_object', { Bucket: 'blocking', Key: 'public-before', Body: 'already public', ACL: 'public-read' }],
    ['put_object', { Bucket: 'blocking', Key: 'private', Body: 'mine' }],
    ['put_public_access_block', { Bucket: 'blocking', PublicAccessBlockConfiguration: { BlockPublicAcls: true } }],
  ]);
  t.ok(
    setup.every((answer) => answer.status === 200),
    JSON.stringify(setup),
  );
  const refused = await boto3Calls(cloud.admin, [
    ['put_object', { Bucket: 'blocking', Key: 'canned', Body: 'x', ACL: 'public-read' }],
    ['put_object', { Bucket: 'blocking', Key: 'granted', Body: 'x', GrantRead: allUsers }],
    ['put_object_acl', { Bucket: 'blocking', Key: 'private', ACL: 'authenticated-read' }],
    [
      'put_object_acl',
      {
        Bucket: 'blocking',
        Key: 'private',
        AccessControlPolicy: {
          Owner: { ID: '000000000000' },
          Grants: [
            { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
          ],
        },
      },
    ],
    ['put_bucket_acl', { Bucket: 'blocking', ACL: 'public-read' }],
    ['create_multipart_upload', { Bucket: 'blocking', Key: 'multi', ACL: 'public-read-write' }],
    [
      'copy_object',
      { Bucket: 'blocking', Key: 'copy', CopySource: { Bucket: 'blocking', Key: 'private' }, ACL: 'public-read' },
    ],
  ]);
  t.ok(
    refused.every((answer) => answer.status === 403 && answer.code === 'AccessDenied'),
    `each is AccessDenied: ${JSON.stringify(refused)}`,
  );
  const after = await boto3Calls(cloud.admin, [
    ['head_object', { Bucket: 'blocking', Key: 'canned' }],
    ['head_object', { Bucket: 'blocking', Key: 'granted' }],
    ['head_object', { Bucket: 'blocking', Key: 'copy' }],
    ['get_object_acl', { Bucket: 'blocking', Key: 'private' }],
    ['get_bucket_acl', { Bucket: 'blocking' }],
    ['list_multipart_uploads', { Bucket: 'blocking' }],
    ['put_object', { Bucket: 'blocking', Key: 'still-private', Body: 'x', ACL: 'private' }],
  ]);
  t.match(after.slice(0, 3), [{ status: 404 }, { status: 404 }, { status: 404 }], 'no object was stored');
  t.match(after[3]!.body, { Grants: [{ Permission: 'FULL_CONTROL' }] });
  t.equal((after[3]!.body!.Grants as unknown[]).length, 1, 'the object ACL is unchanged');
  t.equal((after[4]!.body!.Grants as unknown[]).length, 1, 'the bucket ACL is unchanged');
  t.notOk(after[5]!.body!.Uploads, 'no upload was started');
  t.equal(after[6]!.status, 200, 'a private ACL is still accepted');
  t.equal(await anonymousStatus('/blocking/public-before'), 200, 'an ACL made public before the block still reads');
});

t.test(
  'IgnorePublicAcls sets public grants aside for all but the owner and named accounts, until removed',
  async (t) => {
    const setup = await boto3Calls(cloud.admin, [
      ['create_bucket', { Bucket: 'ignoring', ACL: 'public-read' }],
      ['put_object', { Bucket: 'ignoring', Key: 'open', Body: 'for all', ACL: 'public-read' }],
      ['put_object', { Bucket: 'ignoring', Key: 'signed', Body: 'for accounts', ACL: 'authenticated-read' }],
      ['put_object', { Bucket: 'ignoring', Key: 'named', Body: 'for one', GrantRead: `id="${other.accountId}"` }],
    ]);
    t.ok(
      setup.every((answer) => answer.status === 200),
      JSON.stringify(setup),
    );
    const reads = (credentials: typeof other) =>
      boto3Calls(credentials, [
        ['get_object', { Bucket: 'ignoring', Key: 'signed' }],
        ['get_object', { Bucket: 'ignoring', Key: 'named' }],
        ['list_objects_v2', { Bucket: 'ignoring' }],
      ]).then((answers) => answers.map((answer) => answer.status));
    t.same(await reads(other), [200, 200, 200], 'before: another account reads through the public grants');
    t.equal(await anonymousStatus('/ignoring/open'), 200);
    t.equal(await anonymousStatus('/ignoring'), 200, 'and anyone lists the public-read bucket');

    const put = await boto3Calls(cloud.admin, [
      ['put_public_access_block', { Bucket: 'ignoring', PublicAccessBlockConfiguration: { IgnorePublicAcls: true } }],
    ]);
    t.equal(put[0]!.status, 200);
    t.same(await reads(other), [403, 200, 403], 'with the block: only the grant naming the account counts');
    t.equal(await anonymousStatus('/ignoring/open'), 403, 'an anonymous read is refused');
    t.equal(await anonymousStatus('/ignoring'), 403, 'and so is an anonymous listing');
    const owner = await boto3Calls(cloud.admin, [
      ['get_object', { Bucket: 'ignoring', Key: 'open' }],
      ['get_object_acl', { Bucket: 'ignoring', Key: 'open' }],
    ]);
    t.equal(owner[0]!.status, 200, 'the owner still reads');
    t.match(
      owner[1]!.body,
      { Grants: [{ Permission: 'FULL_CONTROL' }, { Grantee: { Type: 'Group' }, Permission: 'READ' }] },
      'the public grant is kept, only set aside',
    );

    const removed = await boto3Calls(cloud.admin, [['delete_public_access_block', { Bucket: 'ignoring' }]]);
    t.equal(removed[0]!.status, 204);
    t.same(await reads(other), [200, 200, 200], 'without the block the public grants count again');
    t.equal(await anonymousStatus('/ignoring/open'), 200);
  },
);

const ownershipOf = (answer: { body?: Record<string, unknown> }) =>
  (answer.body?.OwnershipControls as { Rules: { ObjectOwnership: string }[] } | undefined)?.Rules[0]?.ObjectOwnership;

t.test('ownership controls: set at creation or later, read back, owner only, checked', async (t) => {
  const calls = await boto3Calls(cloud.admin, [
    ['create_bucket', { Bucket: 'owned-at-birth', ObjectOwnership: 'BucketOwnerPreferred' }],
    ['get_bucket_ownership_controls', { Bucket: 'owned-at-birth' }],
    [
      'put_bucket_ownership_controls',
      { Bucket: 'owned-at-birth', OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } },
    ],
    ['get_bucket_ownership_controls', { Bucket: 'owned-at-birth' }],
    [
      'put_bucket_ownership_controls',
      { Bucket: 'owned-at-birth', OwnershipControls: { Rules: [{ ObjectOwnership: 'Nobody' }] } },
    ],
    ['create_bucket', { Bucket: 'owned-badly', ObjectOwnership: 'Nobody' }],
    ['create_bucket', { Bucket: 'owned-public', ACL: 'public-read', ObjectOwnership: 'BucketOwnerEnforced' }],
    ['head_bucket', { Bucket: 'owned-badly' }],
    ['head_bucket', { Bucket: 'owned-public' }],
  ]);
  t.equal(calls[0]!.status, 200);
  t.equal(ownershipOf(calls[1]!), 'BucketOwnerPreferred', "CreateBucket's x-amz-object-ownership is kept");
  t.equal(ownershipOf(calls[3]!), 'ObjectWriter', 'PutBucketOwnershipControls replaces it');
  t.match(calls.slice(4, 7), [
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidBucketAclWithObjectOwnership' },
  ]);
  t.match(calls.slice(7), [{ status: 404 }, { status: 404 }], 'a refused CreateBucket creates nothing');

  const theirs = await boto3Calls(other, [
    ['get_bucket_ownership_controls', { Bucket: 'owned-at-birth' }],
    ['delete_bucket_ownership_controls', { Bucket: 'owned-at-birth' }],
  ]);
  t.ok(
    theirs.every((answer) => answer.status === 403 && answer.code === 'AccessDenied'),
    JSON.stringify(theirs),
  );
  const run = (...args: string[]) => awsV2(...args, '--bucket', 'owned-at-birth');
  const cli = await run('get-bucket-ownership-controls');
  t.same(
    JSON.parse(cli.stdout),
    { OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } },
    'the aws CLI v2 reads it',
  );
  t.equal((await run('delete-bucket-ownership-controls')).code, 0);
  t.match((await run('get-bucket-ownership-controls')).stderr, /OwnershipControlsNotFoundError/, 'and deletes it');
});

t.test(
  'BucketOwnerEnforced: ACLs disabled, the bucket owner alone has access to every object; undone by delete',
  async (t) => {
    const setup = await boto3Calls(cloud.admin, [
      ['create_bucket', { Bucket: 'enforced' }],
      [
        'put_bucket_acl',
        { Bucket: 'enforced', GrantFullControl: 'id="000000000000"', GrantWrite: `id="${other.accountId}"` },
      ],
      ['put_object', { Bucket: 'enforced', Key: 'open', Body: 'for all', ACL: 'public-read' }],
    ]);
    t.ok(
      setup.every((answer) => answer.status === 200),
      JSON.stringify(setup),
    );
    const written = await boto3Calls(other, [
      ['put_object', { Bucket: 'enforced', Key: 'theirs', Body: 'by another' }],
    ]);
    t.equal(written[0]!.status, 200, 'another account writes with its bucket grant');
    const before = await boto3Calls(cloud.admin, [
      ['get_object', { Bucket: 'enforced', Key: 'theirs' }],
      [
        'put_bucket_ownership_controls',
        { Bucket: 'enforced', OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } },
      ],
      ['put_bucket_acl', { Bucket: 'enforced', ACL: 'private' }],
      [
        'put_bucket_ownership_controls',
        { Bucket: 'enforced', OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } },
      ],
    ]);
    t.match(
      before,
      [
        { status: 403, code: 'AccessDenied' },
        { status: 400, code: 'InvalidBucketAclWithObjectOwnership' },
        { status: 200 },
        { status: 200 },
      ],
      "the bucket owner cannot read another's object under ACLs, nor disable ACLs while its own grants another",
    );

    const owner = await boto3Calls(cloud.admin, [
      ['get_object', { Bucket: 'enforced', Key: 'theirs' }],
      ['get_object_acl', { Bucket: 'enforced', Key: 'theirs' }],
      ['put_object', { Bucket: 'enforced', Key: 'public', Body: 'x', ACL: 'public-read' }],
      ['put_object_acl', { Bucket: 'enforced', Key: 'open', ACL: 'authenticated-read' }],
      ['put_object', { Bucket: 'enforced', Key: 'handed', Body: 'x', ACL: 'bucket-owner-full-control' }],
      ['put_object', { Bucket: 'enforced', Key: 'plain', Body: 'x' }],
      ['head_object', { Bucket: 'enforced', Key: 'public' }],
      ['list_objects_v2', { Bucket: 'enforced', Prefix: 'theirs', FetchOwner: true }],
      ['list_object_versions', { Bucket: 'enforced', Prefix: 'theirs' }],
    ]);
    t.equal(owner[0]!.status, 200, "with ACLs disabled the bucket owner reads another account's object");
    t.match(
      owner[1]!.body,
      { Owner: { ID: '000000000000' }, Grants: [{ Grantee: { ID: '000000000000' }, Permission: 'FULL_CONTROL' }] },
      'and owns it',
    );
    t.equal((owner[1]!.body!.Grants as unknown[]).length, 1);
    t.match(
      owner.slice(2, 4),
      [
        { status: 400, code: 'AccessControlListNotSupported' },
        { status: 400, code: 'AccessControlListNotSupported' },
      ],
      'ACLs cannot be set',
    );
    t.match(
      owner.slice(4, 7),
      [{ status: 200 }, { status: 200 }, { status: 404 }],
      'bucket-owner-full-control and no ACL can',
    );
    t.match(
      owner.slice(7),
      [
        { status: 200, body: { Contents: [{ Key: 'theirs', Owner: { ID: '000000000000' } }] } },
        { status: 200, body: { Versions: [{ Key: 'theirs', Owner: { ID: '000000000000' } }] } },
      ],
      'listings name the bucket owner as the owner of every object',
    );
    t.match(
      await boto3Calls(other, [
        ['get_object', { Bucket: 'enforced', Key: 'theirs' }],
        ['put_object', { Bucket: 'enforced', Key: 'more', Body: 'x' }],
      ]),
      [
        { status: 403, code: 'AccessDenied' },
        { status: 403, code: 'AccessDenied' },
      ],
      'the other account lost access to its own object and its write grant',
    );
    t.equal(await anonymousStatus('/enforced/open'), 403, 'a public-read object is no longer public');

    const removed = await boto3Calls(cloud.admin, [['delete_bucket_ownership_controls', { Bucket: 'enforced' }]]);
    t.equal(removed[0]!.status, 204);
    t.equal(await anonymousStatus('/enforced/open'), 200, 'ACLs count again once the setting is gone');
    const listed = await boto3Calls(cloud.admin, [
      ['list_objects_v2', { Bucket: 'enforced', Prefix: 'theirs', FetchOwner: true }],
    ]);
    t.match(listed, [{ body: { Contents: [{ Owner: { ID: other.accountId } }] } }], 'and the writer owns its object');
    t.equal(
      (await boto3Calls(other, [['get_object', { Bucket: 'enforced', Key: 'theirs' }]]))[0]!.status,
      200,
      'and the writer reads its object again',
    );
  },
);

t.test(
  'BucketOwnerPreferred: an object handed over with bucket-owner-full-control belongs to the bucket owner',
  async (t) => {
    const setup = await boto3Calls(cloud.admin, [
      [
        'create_bucket',
        {
          Bucket: 'preferred',
          ObjectOwnership: 'BucketOwnerPreferred',
          GrantFullControl: 'id="000000000000"',
          GrantWrite: `id="${other.accountId}"`,
        },
      ],
    ]);
    t.equal(setup[0]!.status, 200, JSON.stringify(setup));
    const written = await boto3Calls(other, [
      ['put_object', { Bucket: 'preferred', Key: 'handed', Body: 'x', ACL: 'bucket-owner-full-control' }],
      ['put_object', { Bucket: 'preferred', Key: 'kept', Body: 'x' }],
    ]);
    t.ok(
      written.every((answer) => answer.status === 200),
      JSON.stringify(written),
    );
    const acls = await boto3Calls(cloud.admin, [
      ['get_object_acl', { Bucket: 'preferred', Key: 'handed' }],
      ['get_object_acl', { Bucket: 'preferred', Key: 'kept' }],
    ]);
    t.match(
      acls[0],
      { status: 200, body: { Owner: { ID: '000000000000' } } },
      "the handed-over object is the bucket owner's",
    );
    t.match(acls[1], { status: 403, code: 'AccessDenied' }, "the other stays its writer's, private to it");
    t.match(await boto3Calls(other, [['get_object_acl', { Bucket: 'preferred', Key: 'kept' }]]), [
      { status: 200, body: { Owner: { ID: other.accountId } } },
    ]);
  },
);

t.test('server-side encryption: SSE-KMS and unknown methods are refused and store nothing', async (t) => {
  // SSE-S3 and SSE-C are performed: test/service/walrus-encryption.test.ts.
  const calls = await boto3Calls(cloud.admin, [
    ['create_bucket', { Bucket: 'encryption' }],
    ['put_object', { Bucket: 'encryption', Key: 'kms', Body: 'secret', ServerSideEncryption: 'aws:kms' }],
    ['put_object', { Bucket: 'encryption', Key: 'kms-key', Body: 'secret', SSEKMSKeyId: 'alias/nothing' }],
    ['put_object', { Bucket: 'encryption', Key: 'odd', Body: 'secret', ServerSideEncryption: 'ROT13' }],
    ['create_multipart_upload', { Bucket: 'encryption', Key: 'multi', ServerSideEncryption: 'aws:kms' }],
    ['put_object', { Bucket: 'encryption', Key: 'plain', Body: 'clear', ServerSideEncryption: 'AES256' }],
    [
      'copy_object',
      { Bucket: 'encryption', Key: 'copy', CopySource: 'encryption/plain', ServerSideEncryption: 'aws:kms' },
    ],
    ['head_object', { Bucket: 'encryption', Key: 'plain' }],
    ['list_objects_v2', { Bucket: 'encryption' }],
    ['list_multipart_uploads', { Bucket: 'encryption' }],
  ]);
  t.match(calls.slice(1, 5), [
    { status: 501, code: 'NotImplemented' },
    { status: 501, code: 'NotImplemented' },
    { status: 400, code: 'InvalidArgument' },
    { status: 501, code: 'NotImplemented' },
  ]);
  t.equal(calls[5]!.status, 200, 'AES256 is accepted');
  t.match(calls[6], { status: 501, code: 'NotImplemented' });
  t.equal(calls[7]!.body!.ServerSideEncryption, 'AES256', 'and performed (walrus-encryption.test.ts)');
  t.same(
    (calls[8]!.body!.Contents as { Key: string }[]).map((object) => object.Key),
    ['plain'],
    'no refused request stored anything',
  );
  t.notOk(calls[9]!.body!.Uploads, 'nor started an upload');

  const kms = await runCommand(
    '/usr/bin/aws',
    ['--endpoint-url', cloud.url, 's3', 'cp', cloud.caBundle, 's3://encryption/by-cli', '--sse', 'aws:kms'],
    { env: cloud.awsEnv() },
  );
  t.not(kms.code, 0);
  t.match(kms.stderr, /NotImplemented.*KMS/s, 'the aws CLI v2 shows why');
});

/** An unsigned request with these headers, as a browser sends it: the status, the headers and the body. */
async function browserRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = httpsRequest(
      `${cloud.url}${path}`,
      { method, headers, ca: readFileSync(cloud.caBundle) },
      resolve,
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() };
}

t.test('CORS: rules kept and checked, preflights answered from them, pages get their headers', async (t) => {
  const app = 'https://app.example';
  const preflight = (origin: string, method: string, requestHeaders?: string) =>
    browserRequest('OPTIONS', '/cors/upload.txt', {
      origin,
      'access-control-request-method': method,
      ...(requestHeaders && { 'access-control-request-headers': requestHeaders }),
    });
  const created = await boto3Calls(cloud.admin, [
    ['create_bucket', { Bucket: 'cors' }],
    ['put_object', { Bucket: 'cors', Key: 'page.txt', Body: 'for pages', ACL: 'public-read' }],
  ]);
  t.ok(
    created.every((answer) => answer.status === 200),
    JSON.stringify(created),
  );
  const before = await preflight(app, 'PUT');
  t.equal(before.status, 403);
  t.match(before.body, /<Code>AccessForbidden<\/Code><Message>CORSResponse: CORS is not enabled for this bucket/);

  const rules = [
    {
      ID: 'app',
      AllowedHeaders: ['Content-*', 'x-amz-*'],
      AllowedMethods: ['GET', 'PUT'],
      AllowedOrigins: [app, 'https://*.app.example'],
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: 600,
    },
    { AllowedMethods: ['GET'], AllowedOrigins: ['*'] },
  ];
  const kept = await boto3Calls(cloud.admin, [
    ['put_bucket_cors', { Bucket: 'cors', CORSConfiguration: { CORSRules: rules } }],
    ['get_bucket_cors', { Bucket: 'cors' }],
    [
      'put_bucket_cors',
      { Bucket: 'cors', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PATCH'], AllowedOrigins: ['*'] }] } },
    ],
    [
      'put_bucket_cors',
      {
        Bucket: 'cors',
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://*.*.example'] }] },
      },
    ],
    ['get_bucket_cors', { Bucket: 'cors' }],
  ]);
  t.equal(kept[0]!.status, 200);
  t.same(kept[1]!.body, { CORSRules: rules }, 'the rules read back as set');
  t.match(
    kept.slice(2, 4),
    [
      { status: 400, code: 'InvalidRequest' },
      { status: 400, code: 'InvalidRequest' },
    ],
    'an unsupported method and a second wildcard are refused',
  );
  t.same(kept[4]!.body, { CORSRules: rules }, 'and change nothing');
  const theirs = await boto3Calls(other, [
    ['get_bucket_cors', { Bucket: 'cors' }],
    ['put_bucket_cors', { Bucket: 'cors', CORSConfiguration: { CORSRules: rules } }],
  ]);
  t.ok(
    theirs.every((answer) => answer.status === 403),
    JSON.stringify(theirs),
  );
  const cli = await awsV2('get-bucket-cors', '--bucket', 'cors');
  t.same(JSON.parse(cli.stdout), { CORSRules: rules }, 'the aws CLI v2 reads them too');

  const upload = await preflight(app, 'PUT', 'Content-Type, X-Amz-Date');
  t.equal(upload.status, 200, upload.body);
  t.match(upload.headers, {
    'access-control-allow-origin': app,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, PUT',
    'access-control-allow-headers': 'content-type, x-amz-date',
    'access-control-expose-headers': 'ETag',
    'access-control-max-age': '600',
  });
  t.equal(
    (await preflight('https://eu.app.example', 'PUT')).headers['access-control-allow-origin'],
    'https://eu.app.example',
    'a wildcard origin',
  );
  const anywhere = await preflight('https://elsewhere.example', 'GET');
  t.equal(anywhere.status, 200);
  t.equal(anywhere.headers['access-control-allow-origin'], '*', 'the rule for every origin answers *');
  t.notOk(anywhere.headers['access-control-allow-credentials']);
  for (const [origin, method, headers] of [
    ['https://elsewhere.example', 'PUT', undefined],
    [app, 'DELETE', undefined],
    [app, 'PUT', 'authorization'],
  ] as const) {
    const refused = await preflight(origin, method, headers);
    t.equal(refused.status, 403, `${origin} ${method} ${headers ?? ''}: no rule allows it`);
    t.match(refused.body, /<Code>AccessForbidden<\/Code><Message>CORSResponse: This CORS request is not allowed/);
    t.notOk(refused.headers['access-control-allow-origin']);
  }
  const noOrigin = await browserRequest('OPTIONS', '/cors/upload.txt', { 'access-control-request-method': 'GET' });
  t.equal(noOrigin.status, 400);
  t.match(noOrigin.body, /<Code>BadRequest<\/Code>/);

  const page = await browserRequest('GET', '/cors/page.txt', { origin: app });
  t.equal(page.body, 'for pages');
  t.match(
    page.headers,
    { 'access-control-allow-origin': app, 'access-control-expose-headers': 'ETag' },
    "a page's GET",
  );
  t.notOk(page.headers['access-control-max-age'], 'max-age is for preflights only');
  const noRule = await browserRequest('PUT', '/cors/page.txt', { origin: 'https://elsewhere.example' });
  t.equal(noRule.status, 403, 'an unsigned PUT is refused as ever');
  t.notOk(noRule.headers['access-control-allow-origin'], 'and no rule lets the page read that');
  const plain = await browserRequest('GET', '/cors/page.txt', {});
  t.notOk(plain.headers['access-control-allow-origin'], 'a request without Origin gets no CORS headers');

  const removed = await boto3Calls(cloud.admin, [
    ['delete_bucket_cors', { Bucket: 'cors' }],
    ['get_bucket_cors', { Bucket: 'cors' }],
  ]);
  t.match(removed, [{ status: 204 }, { status: 404, code: 'NoSuchCORSConfiguration' }]);
  t.equal((await preflight(app, 'GET')).status, 403, 'preflights are refused again');
});
