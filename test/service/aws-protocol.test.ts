import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { CreateUserCommand, DeleteUserCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import express from 'express';
import t from 'tap';
import { ec2Model } from '../../src/aws/generated/ec2-model.js';
import type { Instance, Reservation, RunInstancesInput, Tag } from '../../src/aws/generated/ec2-types.js';
import { iamModel } from '../../src/aws/generated/iam-model.js';
import type { User } from '../../src/aws/generated/iam-types.js';
import { stsModel } from '../../src/aws/generated/sts-model.js';
import { createQueryDispatcher, type DispatchContext } from '../../src/aws/protocol/query-dispatcher.js';
import type { QueryParams } from '../../src/aws/protocol/query-parser.js';
import { commonErrors } from '../../src/aws/service-error.js';
import { runCommand } from '../helpers/cli.js';

// The protocol layer against the real clients: a tiny HTTP server whose handlers live here, driven by the AWS SDK for
// JavaScript v3 and the aws CLI. Signatures are not checked at this layer.

const launchTime = new Date('2026-11-23T19:00:00.000Z');
const attachTime = new Date('2026-11-23T19:00:05.250Z');
const seen = new Map<string, unknown>();
const logged: unknown[] = [];

function instance(id: string, tags: Tag[], extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    ImageId: 'ami-0123456789abcdef0',
    InstanceType: 't3.micro',
    LaunchTime: launchTime,
    State: { Code: 16, Name: 'running' },
    Placement: { AvailabilityZone: 'mallee-1a', Tenancy: 'default' },
    Monitoring: { State: 'disabled' },
    EbsOptimized: false,
    SourceDestCheck: true,
    AmiLaunchIndex: 0,
    Tags: tags,
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/sda1',
        Ebs: {
          VolumeId: 'vol-0123456789abcdef0',
          Status: 'attached',
          AttachTime: attachTime,
          DeleteOnTermination: true,
        },
      },
    ],
    ...extra,
  };
}

const ec2Dispatch = createQueryDispatcher(ec2Model, {
  async DescribeRegions(input) {
    seen.set('DescribeRegions', input);
    return {
      Regions: [{ RegionName: 'mallee-1', Endpoint: 'ec2.mallee-1.example', OptInStatus: 'opt-in-not-required' }],
    };
  },
  async DescribeInstances(input) {
    seen.set('DescribeInstances', input);
    const reservations: Reservation[] = [
      {
        ReservationId: 'r-0123456789abcdef0',
        OwnerId: '000000000001',
        Groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'default' }],
        Instances: [
          instance('i-0123456789abcdef0', [
            { Key: 'Name', Value: 'web' },
            { Key: 'role', Value: 'a <b> & "c"' },
          ]),
          instance('i-0123456789abcdef1', [{ Key: 'Name', Value: 'db' }], {
            State: { Code: 80, Name: 'stopped' },
            EbsOptimized: true,
          }),
        ],
      },
    ];
    const nameFilter = input.Filters?.find((filter) => filter.Name === 'tag:Name')?.Values ?? [];
    if (nameFilter.length === 0) return { Reservations: reservations };
    return {
      Reservations: reservations.map((reservation) => ({
        ...reservation,
        Instances: reservation.Instances?.filter((i) => i.Tags?.some((tag) => nameFilter.includes(tag.Value ?? ''))),
      })),
    };
  },
  async RunInstances(input: RunInstancesInput) {
    seen.set('RunInstances', input);
    if (!input.ImageId?.startsWith('ami-')) {
      throw commonErrors.invalidParameterValue('ImageId', input.ImageId ?? '', 'Expected an image id (ami-...).');
    }
    const tags = input.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags ?? [];
    return {
      ReservationId: 'r-0fedcba9876543210',
      OwnerId: '000000000001',
      Instances: Array.from({ length: input.MinCount }, (_, index) =>
        instance(`i-00000000000000${index.toString(16).padStart(3, '0')}`, tags, {
          AmiLaunchIndex: index,
          ImageId: input.ImageId,
          State: { Code: 0, Name: 'pending' },
          BlockDeviceMappings: input.BlockDeviceMappings?.map((mapping) => ({
            DeviceName: mapping.DeviceName,
            Ebs: { VolumeId: 'vol-0000000000000000a', Status: 'attaching', AttachTime: attachTime },
          })),
        }),
      ),
    };
  },
  async DescribeKeyPairs() {
    throw new Error('database on fire at /srv/secret/path');
  },
});

const iamDispatch = createQueryDispatcher(iamModel, {
  async CreateUser(input) {
    seen.set('CreateUser', input);
    const user: User = {
      Path: input.Path ?? '/',
      UserName: input.UserName,
      UserId: 'AIDA0000000000000001',
      Arn: `arn:aws:iam::000000000001:user/${input.UserName}`,
      CreateDate: launchTime,
      ...(input.Tags && { Tags: input.Tags }),
    };
    return { User: user };
  },
  async ListUsers(input) {
    seen.set('ListUsers', input);
    return {
      Users: ['alice', 'bob'].map((name, index) => ({
        Path: '/',
        UserName: name,
        UserId: `AIDA000000000000000${index}`,
        Arn: `arn:aws:iam::000000000001:user/${name}`,
        CreateDate: launchTime,
        PasswordLastUsed: attachTime,
      })),
      IsTruncated: true,
      Marker: 'next-page',
    };
  },
});

const stsDispatch = createQueryDispatcher(stsModel, {
  async GetCallerIdentity() {
    return { UserId: 'AIDA0000000000000001', Account: '000000000001', Arn: 'arn:aws:iam::000000000001:user/alice' };
  },
});

const app = express();
app.use(express.urlencoded({ extended: false }));
const mount = (
  path: string,
  dispatch: (
    params: QueryParams,
    context: DispatchContext,
  ) => Promise<{ status: number; contentType: string; body: string }>,
) =>
  app.post(path, async (req, res) => {
    const requestId = randomUUID();
    const result = await dispatch(req.body as QueryParams, {
      requestId,
      log: { error: (details) => logged.push(details) },
    });
    // The SDKs read the request id from this header; the body carries it too (see the unit tests).
    res.setHeader('x-amzn-RequestId', requestId);
    res.status(result.status).type(result.contentType).send(result.body);
  });
mount('/ec2', ec2Dispatch);
mount('/iam', iamDispatch);
mount('/sts', stsDispatch);

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
t.teardown(() => new Promise((resolve) => server.close(resolve)));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const clientConfig = (path: string) => ({
  endpoint: `${base}${path}`,
  region: 'mallee-1',
  credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'fake/secret/key' },
  maxAttempts: 1,
});
const ec2 = new EC2Client(clientConfig('/ec2'));
const iam = new IAMClient(clientConfig('/iam'));
const sts = new STSClient(clientConfig('/sts'));
t.teardown(() => {
  ec2.destroy();
  iam.destroy();
  sts.destroy();
});

/** The error a command fails with, for asserting its name and message. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the command to fail');
}

t.test('EC2 DescribeRegions', async (t) => {
  const answer = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['mallee-1'], AllRegions: true }));
  t.same(answer.Regions, [
    { RegionName: 'mallee-1', Endpoint: 'ec2.mallee-1.example', OptInStatus: 'opt-in-not-required' },
  ]);
  t.same(seen.get('DescribeRegions'), { RegionNames: ['mallee-1'], AllRegions: true });
  t.match(answer.$metadata.requestId, /^[0-9a-f-]{36}$/, 'the SDK reads requestId');
});

t.test('EC2 DescribeInstances: nested reservations, instances, tags, state, dates and booleans', async (t) => {
  const answer = await ec2.send(new DescribeInstancesCommand({}));
  const reservation = answer.Reservations?.[0];
  t.equal(answer.Reservations?.length, 1);
  t.equal(reservation?.ReservationId, 'r-0123456789abcdef0');
  t.same(reservation?.Groups, [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'default' }]);
  const [web, db] = reservation?.Instances ?? [];
  t.equal(web?.InstanceId, 'i-0123456789abcdef0');
  t.ok(web?.LaunchTime instanceof Date, 'LaunchTime is a Date');
  t.equal(web?.LaunchTime?.toISOString(), launchTime.toISOString());
  t.same(web?.State, { Code: 16, Name: 'running' });
  t.same(web?.Placement, { AvailabilityZone: 'mallee-1a', Tenancy: 'default' });
  t.same(web?.Monitoring, { State: 'disabled' });
  t.equal(web?.EbsOptimized, false);
  t.equal(web?.SourceDestCheck, true);
  t.equal(web?.AmiLaunchIndex, 0);
  t.same(web?.Tags, [
    { Key: 'Name', Value: 'web' },
    { Key: 'role', Value: 'a <b> & "c"' },
  ]);
  t.equal(web?.BlockDeviceMappings?.[0]?.Ebs?.AttachTime?.toISOString(), attachTime.toISOString());
  t.equal(web?.BlockDeviceMappings?.[0]?.Ebs?.DeleteOnTermination, true);
  t.same(db?.State, { Code: 80, Name: 'stopped' });
  t.equal(db?.EbsOptimized, true);

  const filtered = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:Name', Values: ['db'] },
        { Name: 'instance-state-name', Values: ['running', 'stopped'] },
      ],
    }),
  );
  t.same(
    filtered.Reservations?.[0]?.Instances?.map((i) => i.InstanceId),
    ['i-0123456789abcdef1'],
  );
  t.same(seen.get('DescribeInstances'), {
    Filters: [
      { Name: 'tag:Name', Values: ['db'] },
      { Name: 'instance-state-name', Values: ['running', 'stopped'] },
    ],
  });
});

t.test('EC2 RunInstances: the handler gets typed, nested input', async (t) => {
  const userData = Buffer.from('#cloud-config\nhostname: web\n').toString('base64');
  const answer = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      MinCount: 2,
      MaxCount: 3,
      InstanceType: 't3.micro',
      UserData: userData,
      KeyName: 'my key',
      Placement: { AvailabilityZone: 'mallee-1a' },
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'Name', Value: 'web' },
            { Key: 'env', Value: 'test' },
          ],
        },
        { ResourceType: 'volume', Tags: [{ Key: 'backup', Value: 'daily' }] },
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } },
        { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' },
      ],
      SecurityGroupIds: ['sg-1', 'sg-2'],
      DisableApiTermination: false,
    }),
  );
  const input = seen.get('RunInstances') as unknown as RunInstancesInput;
  t.equal(input.MinCount, 2);
  t.equal(input.MaxCount, 3);
  t.equal(input.UserData, userData, 'UserData arrives as the base64 text the client sent');
  t.equal(input.KeyName, 'my key');
  t.same(input.Placement, { AvailabilityZone: 'mallee-1a' });
  t.same(input.TagSpecifications, [
    {
      ResourceType: 'instance',
      Tags: [
        { Key: 'Name', Value: 'web' },
        { Key: 'env', Value: 'test' },
      ],
    },
    { ResourceType: 'volume', Tags: [{ Key: 'backup', Value: 'daily' }] },
  ]);
  t.same(input.BlockDeviceMappings, [
    { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } },
    { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' },
  ]);
  t.same(input.SecurityGroupIds, ['sg-1', 'sg-2']);
  t.equal(input.DisableApiTermination, false);

  t.equal(answer.ReservationId, 'r-0fedcba9876543210');
  t.equal(answer.Instances?.length, 2);
  t.same(
    answer.Instances?.map((i) => [i.AmiLaunchIndex, i.State?.Name]),
    [
      [0, 'pending'],
      [1, 'pending'],
    ],
  );
  t.same(answer.Instances?.[1]?.Tags, [
    { Key: 'Name', Value: 'web' },
    { Key: 'env', Value: 'test' },
  ]);
  t.same(
    answer.Instances?.[0]?.BlockDeviceMappings?.map((m) => m.DeviceName),
    ['/dev/sda1', '/dev/sdb'],
  );
});

t.test('EC2 errors reach the SDK as the right exception', async (t) => {
  const notInteger = await failure(
    ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 'one' as unknown as number, MaxCount: 1 })),
  );
  t.equal(notInteger.name, 'InvalidParameterValue');
  t.equal(notInteger.message, 'Value (one) for parameter MinCount is invalid. Expected an integer.');
  t.equal(notInteger.status, 400);

  const missing = await failure(
    ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1 } as RunInstancesCommandInput)),
  );
  t.equal(missing.name, 'MissingParameter');
  t.equal(missing.message, 'The request must contain the parameter MaxCount');

  const fromHandler = await failure(ec2.send(new RunInstancesCommand({ ImageId: 'emi-1', MinCount: 1, MaxCount: 1 })));
  t.equal(fromHandler.name, 'InvalidParameterValue');
  t.equal(fromHandler.message, 'Value (emi-1) for parameter ImageId is invalid. Expected an image id (ami-...).');

  const unsupported = await failure(ec2.send(new DescribeVpcsCommand({})));
  t.equal(unsupported.name, 'UnsupportedOperation');
  t.equal(unsupported.message, 'The operation DescribeVpcs is not supported by this cloud yet.');

  const crashed = await failure(ec2.send(new DescribeKeyPairsCommand({})));
  t.equal(crashed.name, 'InternalError');
  t.equal(crashed.status, 500);
  t.equal(crashed.message, 'An internal error has occurred');
  t.notMatch(crashed.message, /fire|secret/, 'no detail of the failure reaches the client');
  t.match(logged.at(-1), { operation: 'DescribeKeyPairs', err: { message: 'database on fire at /srv/secret/path' } });
});

t.test('IAM CreateUser and ListUsers', async (t) => {
  const created = await iam.send(
    new CreateUserCommand({ UserName: 'alice', Path: '/ops/', Tags: [{ Key: 'team', Value: 'cloud' }] }),
  );
  t.same(seen.get('CreateUser'), { Path: '/ops/', UserName: 'alice', Tags: [{ Key: 'team', Value: 'cloud' }] });
  t.equal(created.User?.UserName, 'alice');
  t.equal(created.User?.Path, '/ops/');
  t.ok(created.User?.CreateDate instanceof Date);
  t.equal(created.User?.CreateDate?.toISOString(), launchTime.toISOString());
  t.same(created.User?.Tags, [{ Key: 'team', Value: 'cloud' }]);
  t.match(created.$metadata.requestId, /^[0-9a-f-]{36}$/, 'the SDK reads RequestId');

  const listed = await iam.send(new ListUsersCommand({ PathPrefix: '/', MaxItems: 2 }));
  t.same(seen.get('ListUsers'), { PathPrefix: '/', MaxItems: 2 });
  t.same(
    listed.Users?.map((user) => user.UserName),
    ['alice', 'bob'],
  );
  t.equal(listed.IsTruncated, true);
  t.equal(listed.Marker, 'next-page');
  t.equal(listed.Users?.[1]?.PasswordLastUsed?.toISOString(), attachTime.toISOString());
});

t.test('IAM errors: validation and unimplemented actions', async (t) => {
  const invalid = await failure(iam.send(new CreateUserCommand({} as { UserName: string })));
  t.equal(invalid.name, 'ValidationError');
  t.equal(
    invalid.message,
    "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null",
  );
  const unimplemented = await failure(iam.send(new DeleteUserCommand({ UserName: 'alice' })));
  t.equal(unimplemented.name, 'InvalidAction');
  t.equal(unimplemented.message, 'Could not find operation DeleteUser for version 2010-05-08');
});

t.test('STS GetCallerIdentity', async (t) => {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  t.equal(identity.Account, '000000000001');
  t.equal(identity.Arn, 'arn:aws:iam::000000000001:user/alice');
  t.equal(identity.UserId, 'AIDA0000000000000001');
});

const awsEnv = {
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE01',
  AWS_SECRET_ACCESS_KEY: 'fake/secret/key',
  AWS_DEFAULT_REGION: 'mallee-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
};

t.test('aws CLI: describe-instances with filters', async (t) => {
  const result = await runCommand(
    'aws',
    [
      'ec2',
      'describe-instances',
      '--endpoint-url',
      `${base}/ec2`,
      '--output',
      'json',
      '--filters',
      'Name=tag:Name,Values=web',
      'Name=instance-state-name,Values=running',
    ],
    { env: awsEnv },
  );
  t.equal(result.code, 0, result.stderr);
  const answer = JSON.parse(result.stdout) as {
    Reservations: { Instances: { InstanceId: string; LaunchTime: string; Tags: Tag[]; EbsOptimized: boolean }[] }[];
  };
  const instances = answer.Reservations[0]?.Instances ?? [];
  t.same(
    instances.map((i) => i.InstanceId),
    ['i-0123456789abcdef0'],
  );
  t.match(instances[0]?.LaunchTime, /^2026-11-23T19:00:00(\.000)?(Z|\+00:00)$/);
  t.equal(instances[0]?.EbsOptimized, false);
  t.same(seen.get('DescribeInstances'), {
    Filters: [
      { Name: 'tag:Name', Values: ['web'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ],
  });
});

t.test('aws CLI: an unsupported operation', async (t) => {
  const result = await runCommand('aws', ['ec2', 'describe-vpcs', '--endpoint-url', `${base}/ec2`], { env: awsEnv });
  t.not(result.code, 0);
  t.match(
    result.stderr,
    /An error occurred \(UnsupportedOperation\) when calling the DescribeVpcs operation: The operation DescribeVpcs is not supported by this cloud yet\./,
  );
});
