import {
  DescribeAccountAttributesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  CreateVpcCommand,
} from '@aws-sdk/client-ec2';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';

// The clc's network is EC2-Classic's: DescribeAccountAttributes says so, and what only a VPC has is described as
// for an EC2-Classic account (nothing; a named id NotFound), with the real SDK and the aws CLI v1 and v2.
const clc = await startClc(t);
const ec2 = clc.ec2();

t.test('DescribeAccountAttributes: EC2-Classic, no default VPC', async (t) => {
  const all = await ec2.send(new DescribeAccountAttributesCommand({}));
  t.same(all.AccountAttributes, [
    { AttributeName: 'supported-platforms', AttributeValues: [{ AttributeValue: 'EC2' }] },
    { AttributeName: 'default-vpc', AttributeValues: [{ AttributeValue: 'none' }] },
  ]);
  const one = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
  t.same(one.AccountAttributes, [{ AttributeName: 'default-vpc', AttributeValues: [{ AttributeValue: 'none' }] }]);
  await t.rejects(ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['bogus' as 'default-vpc'] })), {
    name: 'InvalidParameterValue',
  });
});

t.test('VPCs, subnets and interfaces: none, and a named one is NotFound', async (t) => {
  t.same((await ec2.send(new DescribeVpcsCommand({}))).Vpcs, []);
  t.same(
    (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets,
    [],
  );
  t.same((await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces, []);
  await t.rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] })), {
    name: 'InvalidVpcID.NotFound',
    message: "The vpc ID 'vpc-0123456789abcdef0' does not exist",
  });
  await t.rejects(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-12345678'] })), {
    name: 'InvalidSubnetID.NotFound',
  });
  await t.rejects(ec2.send(new DescribeVpcsCommand({ DryRun: true })), { name: 'DryRunOperation' });
  await t.rejects(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })), { name: 'UnsupportedOperation' });
});

t.test('the aws CLI v1 and v2 read the same', async (t) => {
  for (const aws of ['aws', '/usr/bin/aws']) {
    const run = (...args: string[]) =>
      runCommand(aws, ['--endpoint-url', clc.url, '--output', 'json', 'ec2', ...args], { env: clc.awsEnv() });
    const platforms = await run(
      'describe-account-attributes',
      '--attribute-names',
      'supported-platforms',
      '--query',
      'AccountAttributes[0].AttributeValues[].AttributeValue',
    );
    t.same(JSON.parse(platforms.stdout), ['EC2'], `${aws}: ${platforms.stderr}`);
    for (const [command, list] of [
      ['describe-vpcs', 'Vpcs'],
      ['describe-subnets', 'Subnets'],
      ['describe-internet-gateways', 'InternetGateways'],
      ['describe-route-tables', 'RouteTables'],
      ['describe-spot-instance-requests', 'SpotInstanceRequests'],
      ['describe-placement-groups', 'PlacementGroups'],
    ] as const) {
      const listed = await run(command);
      t.same(JSON.parse(listed.stdout), { [list]: [] }, `${aws} ${command}: ${listed.stderr}`);
    }
    const missing = await run('describe-subnets', '--subnet-ids', 'subnet-0123456789abcdef0');
    t.not(missing.code, 0);
    t.match(missing.stderr, /InvalidSubnetID\.NotFound/);
  }
});
