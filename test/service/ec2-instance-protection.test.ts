import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2';
import t from 'tap';
import { readCloudFile } from '../../src/cloud/cloud-file.js';
import { importImage } from '../../src/cloud/images.js';
import { runCommand, temporaryDir } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// DisableApiTermination and DisableApiStop on a whole local cloud (libvirt's simulated hypervisor): set at launch or
// by ModifyInstanceAttribute (the SDK and the aws CLI v1 and v2), shown by DescribeInstanceAttribute, and enforced:
// a protected instance is neither terminated nor stopped, and keeps running, until the protection is lifted.
const cloud = await startLocalCloud(t);
const ec2 = cloud.ec2();
const files = temporaryDir('protection-image');
writeFileSync(join(files, 'disk.img'), Buffer.alloc(4096, 1));
const { imageId } = await importImage(readCloudFile(join(cloud.dir, 'cloud.json')), {
  name: 'protected',
  bucket: 'images',
  disk: join(files, 'disk.img'),
});

const protection = async (instanceId: string) => {
  const [termination, stop] = await Promise.all(
    (['disableApiTermination', 'disableApiStop'] as const).map((Attribute) =>
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute })),
    ),
  );
  return { termination: termination?.DisableApiTermination?.Value, stop: stop?.DisableApiStop?.Value };
};
const stateOf = async (instanceId: string) =>
  (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]?.State
    ?.Name;

t.test('protected at launch: TerminateInstances and StopInstances refuse it, and it keeps running', async (t) => {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      DisableApiTermination: true,
      DisableApiStop: true,
    }),
  );
  const instanceId = run.Instances![0]!.InstanceId!;
  await waitUntilInstanceRunning(
    { client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { InstanceIds: [instanceId] },
  );
  t.same(await protection(instanceId), { termination: true, stop: true });
  await t.rejects(ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })), {
    name: 'OperationNotPermitted',
    message: `The instance '${instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
  });
  await t.rejects(ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })), {
    name: 'OperationNotPermitted',
    message: `The instance '${instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
  });
  t.equal(await stateOf(instanceId), 'running', 'still running');

  // The aws CLI v1 lifts one protection with --attribute/--value, v2 the other with its own flag.
  const env = cloud.awsEnv();
  const endpoint = ['--endpoint-url', cloud.cloud.endpoints.ec2];
  const v1 = await runCommand(
    'aws',
    [
      ...endpoint,
      'ec2',
      'modify-instance-attribute',
      '--instance-id',
      instanceId,
      '--attribute',
      'disableApiStop',
      '--value',
      'false',
    ],
    { env },
  );
  t.equal(v1.code, 0, v1.stderr);
  const v2 = await runCommand(
    '/usr/bin/aws',
    [...endpoint, 'ec2', 'modify-instance-attribute', '--instance-id', instanceId, '--no-disable-api-termination'],
    { env },
  );
  t.equal(v2.code, 0, v2.stderr);
  t.same(await protection(instanceId), { termination: false, stop: false });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  await waitUntilInstanceTerminated(
    { client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { InstanceIds: [instanceId] },
  );
  t.equal(await stateOf(instanceId), 'terminated', 'terminated once the protection is lifted');
});

t.test('ModifyInstanceAttribute: one protection at a time; other attributes and accounts refused', async (t) => {
  const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2 }));
  const [first, second] = run.Instances!.map((instance) => instance.InstanceId!);
  t.same(await protection(first!), { termination: false, stop: false }, 'unprotected by default');
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: first, DisableApiTermination: { Value: true } }));
  t.same(await protection(first!), { termination: true, stop: false });
  // One protected instance in the request: nothing is terminated, the other one included.
  await t.rejects(ec2.send(new TerminateInstancesCommand({ InstanceIds: [second!, first!] })), {
    name: 'OperationNotPermitted',
  });
  t.not(await stateOf(second!), 'terminated', 'the unprotected one named beside it is left alone');
  await t.rejects(
    ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: first,
        DisableApiTermination: { Value: false },
        DisableApiStop: { Value: true },
      }),
    ),
    { name: 'InvalidParameterCombination' },
  );
  await t.rejects(
    ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: first, InstanceType: { Value: 'm1.large' } })),
    { name: 'UnsupportedOperation', message: /instanceType|InstanceType/ },
  );
  await t.rejects(
    ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: first, Attribute: 'disableApiStop', Value: 'maybe' })),
    { name: 'InvalidParameterValue' },
  );
  const stranger = await cloud.newAccount('protection-other');
  await t.rejects(
    cloud
      .ec2(stranger)
      .send(new ModifyInstanceAttributeCommand({ InstanceId: first, DisableApiTermination: { Value: false } })),
    { name: 'InvalidInstanceID.NotFound' },
  );
  t.same(await protection(first!), { termination: true, stop: false }, 'unchanged by the refused requests');
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: first, DisableApiTermination: { Value: false } }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first!, second!] }));
});
