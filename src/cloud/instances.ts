import { readFileSync } from 'node:fs';
import {
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import type { Column } from '../cli/list-output.js';
import { awsCall, ec2Client } from './aws-clients.js';
import type { CloudFile } from './cloud-file.js';

export interface Instance {
  instanceId: string;
  state: string;
  imageId: string;
  instanceType: string;
  zone: string;
  privateIp?: string;
  publicIp?: string;
  keyName?: string;
  launchTime?: Date;
}

function toInstance(instance: Ec2Instance): Instance {
  return {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? '',
    imageId: instance.ImageId ?? '',
    instanceType: instance.InstanceType ?? '',
    zone: instance.Placement?.AvailabilityZone ?? '',
    privateIp: instance.PrivateIpAddress,
    publicIp: instance.PublicIpAddress,
    keyName: instance.KeyName,
    launchTime: instance.LaunchTime,
  };
}

/** Every instance of the account, a page at a time. */
export async function listInstances(cloud: CloudFile, instanceIds?: string[]): Promise<Instance[]> {
  const client = ec2Client(cloud);
  const instances: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall('DescribeInstances', () =>
      client.send(new DescribeInstancesCommand(instanceIds?.length ? { InstanceIds: instanceIds } : { NextToken })),
    );
    for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []).map(toInstance));
    NextToken = instanceIds?.length ? undefined : page.NextToken;
  } while (NextToken);
  return instances;
}

export interface RunRequest {
  imageId: string;
  instanceType: string;
  count: number;
  keyName?: string;
  zone?: string;
  userDataFile?: string;
}

export async function runInstances(cloud: CloudFile, request: RunRequest): Promise<Instance[]> {
  const answer = await awsCall('RunInstances', () =>
    ec2Client(cloud).send(
      new RunInstancesCommand({
        ImageId: request.imageId,
        InstanceType: request.instanceType as never,
        MinCount: request.count,
        MaxCount: request.count,
        KeyName: request.keyName,
        ...(request.zone && { Placement: { AvailabilityZone: request.zone } }),
        ...(request.userDataFile && { UserData: readFileSync(request.userDataFile).toString('base64') }),
      }),
    ),
  );
  return (answer.Instances ?? []).map(toInstance);
}

export async function terminateInstances(
  cloud: CloudFile,
  instanceIds: string[],
): Promise<{ instanceId: string; previousState: string; currentState: string }[]> {
  const answer = await awsCall('TerminateInstances', () =>
    ec2Client(cloud).send(new TerminateInstancesCommand({ InstanceIds: instanceIds })),
  );
  return (answer.TerminatingInstances ?? []).map((change) => ({
    instanceId: change.InstanceId ?? '',
    previousState: change.PreviousState?.Name ?? '',
    currentState: change.CurrentState?.Name ?? '',
  }));
}

/** The serial console as the node last saw it, decoded (EC2 sends it base64). */
export async function consoleOutput(
  cloud: CloudFile,
  instanceId: string,
): Promise<{ instanceId: string; timestamp?: Date; output: string }> {
  const answer = await awsCall('GetConsoleOutput', () =>
    ec2Client(cloud).send(new GetConsoleOutputCommand({ InstanceId: instanceId })),
  );
  return {
    instanceId,
    timestamp: answer.Timestamp,
    output: Buffer.from(answer.Output ?? '', 'base64').toString('utf8'),
  };
}

export const instanceColumns: Column<Instance>[] = [
  { header: 'INSTANCE', cell: (i) => i.instanceId },
  { header: 'STATE', cell: (i) => i.state },
  { header: 'IMAGE', cell: (i) => i.imageId },
  { header: 'TYPE', cell: (i) => i.instanceType },
  { header: 'ZONE', cell: (i) => i.zone },
  { header: 'PRIVATE IP', cell: (i) => i.privateIp },
  { header: 'KEY', cell: (i) => i.keyName },
  { header: 'LAUNCHED', cell: (i) => i.launchTime?.toISOString() },
];
