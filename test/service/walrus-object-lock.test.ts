import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus, type Boto3Answer } from '../helpers/walrus.js';

// S3 Object Lock: versions kept from deletion by a retention (COMPLIANCE for everyone, GOVERNANCE but for the owner's
// bypass) or a legal hold, set per write, per version afterwards, or by the bucket's default. Driven by boto3 and the
// aws CLI v2, as backup tools that want immutable copies use it.
const cloud = await startWalrus(t);
const other = await cloud.newAccount('lock-other');
const boto3Calls = (calls: [string, Record<string, unknown>][], credentials = cloud.admin) =>
  callBoto3(cloud, credentials, calls);
const dayMs = 24 * 60 * 60 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * dayMs).toISOString();
const statuses = (answers: Boto3Answer[]) => answers.map((answer) => answer.code ?? answer.status);
const versionOf = (answer: Boto3Answer) => answer.body!.VersionId as string;

t.test('a bucket gets Object Lock at creation, or once versioned; it keeps versioning on', async (t) => {
  const calls = await boto3Calls([
    ['create_bucket', { Bucket: 'vault', ObjectLockEnabledForBucket: true }],
    ['get_bucket_versioning', { Bucket: 'vault' }],
    ['get_object_lock_configuration', { Bucket: 'vault' }],
    ['put_bucket_versioning', { Bucket: 'vault', VersioningConfiguration: { Status: 'Suspended' } }],
    ['create_bucket', { Bucket: 'plain' }],
    [
      'put_object',
      { Bucket: 'plain', Key: 'k', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(1) },
    ],
    ['get_object_retention', { Bucket: 'plain', Key: 'k' }],
    ['put_object_lock_configuration', { Bucket: 'plain', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }],
    ['put_bucket_versioning', { Bucket: 'plain', VersioningConfiguration: { Status: 'Enabled' } }],
    ['put_object_lock_configuration', { Bucket: 'plain', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }],
    ['get_object_lock_configuration', { Bucket: 'plain' }],
  ]);
  t.equal(calls[1]!.body!.Status, 'Enabled', 'versioning comes with it');
  t.same(calls[2]!.body, { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } });
  t.same(
    statuses(calls.slice(3, 10)),
    ['InvalidBucketState', 200, 'InvalidRequest', 'NoSuchKey', 'InvalidBucketState', 200, 200],
    'versioning stays on; lock headers on a bucket without Object Lock are refused and store nothing; it needs versioning',
  );
  t.same(calls[10]!.body, { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }, 'enabled on a versioned one');
  t.match(await boto3Calls([['get_object_lock_configuration', { Bucket: 'vault' }]], other), [
    { status: 403, code: 'AccessDenied' },
  ]);
});

t.test('COMPLIANCE: no one deletes the version or shortens its retention; lengthening is allowed', async (t) => {
  const until = inDays(1);
  const put = await boto3Calls([
    [
      'put_object',
      {
        Bucket: 'vault',
        Key: 'backup',
        Body: 'immutable',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: until,
      },
    ],
  ]);
  const version = versionOf(put[0]!);
  const calls = await boto3Calls([
    ['head_object', { Bucket: 'vault', Key: 'backup' }],
    ['get_object_retention', { Bucket: 'vault', Key: 'backup' }],
    ['delete_object', { Bucket: 'vault', Key: 'backup', VersionId: version }],
    ['delete_object', { Bucket: 'vault', Key: 'backup', VersionId: version, BypassGovernanceRetention: true }],
    [
      'put_object_retention',
      {
        Bucket: 'vault',
        Key: 'backup',
        VersionId: version,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: inDays(0.5) },
      },
    ],
    [
      'put_object_retention',
      {
        Bucket: 'vault',
        Key: 'backup',
        VersionId: version,
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: inDays(2) },
        BypassGovernanceRetention: true,
      },
    ],
    [
      'put_object_retention',
      {
        Bucket: 'vault',
        Key: 'backup',
        VersionId: version,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: inDays(3) },
      },
    ],
    ['delete_object', { Bucket: 'vault', Key: 'backup' }],
    ['get_object', { Bucket: 'vault', Key: 'backup', VersionId: version }],
  ]);
  t.match(calls[0]!.body, { ObjectLockMode: 'COMPLIANCE', ObjectLockLegalHoldStatus: 'OFF' }, 'HEAD says it is locked');
  t.equal(
    new Date(calls[0]!.body!.ObjectLockRetainUntilDate as string).getTime(),
    Math.floor(new Date(until).getTime() / 1000) * 1000,
    'until when (to the second, as the header carries it)',
  );
  t.match(calls[1]!.body, { Retention: { Mode: 'COMPLIANCE' } });
  t.same(
    statuses(calls.slice(2, 8)),
    ['AccessDenied', 'AccessDenied', 'AccessDenied', 'AccessDenied', 200, 204],
    [
      'deleting the version is refused, even with the bypass',
      'shortening and changing the mode are refused; lengthening works',
      'a delete without a version id puts a delete marker on top, as on S3',
    ].join('; '),
  );
  t.equal(calls[8]!.status, 200, 'and the version still reads');
});

t.test("GOVERNANCE yields to the owner's bypass, and to no one else; a legal hold until lifted", async (t) => {
  const put = await boto3Calls([
    [
      'put_object',
      {
        Bucket: 'vault',
        Key: 'governed',
        Body: 'x',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: inDays(1),
      },
    ],
    ['put_object', { Bucket: 'vault', Key: 'held', Body: 'x', ObjectLockLegalHoldStatus: 'ON' }],
    [
      'put_bucket_acl',
      { Bucket: 'vault', GrantFullControl: 'id="000000000000"', GrantWrite: `id="${other.accountId}"` },
    ],
  ]);
  const [governed, held] = [versionOf(put[0]!), versionOf(put[1]!)];
  const theirs = await boto3Calls(
    [
      ['delete_object', { Bucket: 'vault', Key: 'governed', VersionId: governed, BypassGovernanceRetention: true }],
      ['put_object_legal_hold', { Bucket: 'vault', Key: 'held', VersionId: held, LegalHold: { Status: 'OFF' } }],
    ],
    other,
  );
  t.same(statuses(theirs), ['AccessDenied', 'AccessDenied'], 'another account with WRITE can do neither');
  const calls = await boto3Calls([
    ['delete_object', { Bucket: 'vault', Key: 'governed', VersionId: governed }],
    ['put_object_retention', { Bucket: 'vault', Key: 'governed', VersionId: governed, Retention: {} }],
    ['delete_object', { Bucket: 'vault', Key: 'governed', VersionId: governed, BypassGovernanceRetention: true }],
    ['get_object_legal_hold', { Bucket: 'vault', Key: 'held', VersionId: held }],
    ['delete_object', { Bucket: 'vault', Key: 'held', VersionId: held, BypassGovernanceRetention: true }],
    ['put_object_legal_hold', { Bucket: 'vault', Key: 'held', VersionId: held, LegalHold: { Status: 'OFF' } }],
    ['delete_object', { Bucket: 'vault', Key: 'held', VersionId: held }],
  ]);
  t.same(statuses(calls), ['AccessDenied', 'AccessDenied', 204, 200, 'AccessDenied', 200, 204]);
  t.same(calls[3]!.body, { LegalHold: { Status: 'ON' } });
});

t.test('default retention, multipart uploads, DeleteObjects, and the aws CLI v2', async (t) => {
  const configured = await boto3Calls([
    [
      'put_object_lock_configuration',
      {
        Bucket: 'vault',
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      },
    ],
    ['get_object_lock_configuration', { Bucket: 'vault' }],
    ['put_object', { Bucket: 'vault', Key: 'defaulted', Body: 'x' }],
    ['get_object_retention', { Bucket: 'vault', Key: 'defaulted' }],
    [
      'put_object',
      {
        Bucket: 'vault',
        Key: 'free',
        Body: 'x',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: inDays(0.01),
      },
    ],
  ]);
  t.same(configured[1]!.body, {
    ObjectLockConfiguration: {
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
    },
  });
  const retained = new Date((configured[3]!.body!.Retention as { RetainUntilDate: string }).RetainUntilDate).getTime();
  t.ok(Math.abs(retained - (Date.now() + dayMs)) < 60_000, 'a version written without a retention gets the default');

  const multipart = await boto3Calls([
    [
      'create_multipart_upload',
      { Bucket: 'vault', Key: 'parts', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(1) },
    ],
  ]);
  const uploadId = multipart[0]!.body!.UploadId as string;
  const completed = await boto3Calls([
    ['upload_part', { Bucket: 'vault', Key: 'parts', UploadId: uploadId, PartNumber: 1, Body: 'only part' }],
  ]);
  const finished = await boto3Calls([
    [
      'complete_multipart_upload',
      {
        Bucket: 'vault',
        Key: 'parts',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: completed[0]!.body!.ETag }] },
      },
    ],
    ['get_object_retention', { Bucket: 'vault', Key: 'parts' }],
  ]);
  t.match(
    finished[1]!.body,
    { Retention: { Mode: 'COMPLIANCE' } },
    'a multipart object keeps the retention asked at its start',
  );

  const versions = (await boto3Calls([['list_object_versions', { Bucket: 'vault', Prefix: 'defaulted' }]]))[0]!.body!
    .Versions as { VersionId: string }[];
  const deleted = await boto3Calls([
    [
      'delete_objects',
      {
        Bucket: 'vault',
        Delete: {
          Objects: [
            { Key: 'defaulted', VersionId: versions[0]!.VersionId },
            { Key: 'parts', VersionId: versionOf(finished[0]!) },
          ],
        },
      },
    ],
  ]);
  t.match(
    deleted[0]!.body,
    {
      Errors: [
        { Key: 'defaulted', Code: 'AccessDenied' },
        { Key: 'parts', Code: 'AccessDenied' },
      ],
    },
    'DeleteObjects refuses each locked version alone',
  );

  const cli = (...args: string[]) =>
    runCommand('/usr/bin/aws', ['--endpoint-url', cloud.url, 's3api', ...args], { env: cloud.awsEnv() });
  const cliPut = await cli(
    'put-object',
    '--bucket',
    'vault',
    '--key',
    'by-cli',
    '--body',
    cloud.caBundle,
    '--object-lock-mode',
    'COMPLIANCE',
    '--object-lock-retain-until-date',
    inDays(1),
  );
  t.equal(cliPut.code, 0, cliPut.stderr);
  const cliGet = await cli('get-object-retention', '--bucket', 'vault', '--key', 'by-cli');
  t.match(JSON.parse(cliGet.stdout), { Retention: { Mode: 'COMPLIANCE' } }, 'the aws CLI v2 sets and reads it');
});
