import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { commonErrors } from '../../../../src/aws/service-error.js';
import { ec2Errors } from '../../models/ec2-errors.js';
import {
  checkMaxResults,
  decodePageToken,
  encodePageToken,
  filterItems,
  paginate,
  type FilterFields,
} from '../../models/filters.js';
import { requireLaunchableImage, type LaunchableImage } from '../../models/images.js';
import { instanceTypeSpec } from '../../models/instance-types.js';
import {
  createReservation,
  listInstances,
  listInstancesPage,
  requestAction,
  setProtection,
  requireInstance,
  stateCodes,
  toReservations,
  type InstanceRecord,
} from '../../models/instances.js';
import { publicKeyOf } from '../../models/key-pairs.js';
import { resolveGroups } from '../../models/security-groups.js';
import type { ClcContext } from '../context.js';

/** Eucalyptus's default type, for a `RunInstances` that names none. */
const defaultInstanceType = 'm1.small';
const describeInstancesLimits = { min: 5, max: 1000 };
/** EC2's limit on user data, before base64. */
const userDataLimitBytes = 16 * 1024;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const instanceFilters: FilterFields<InstanceRecord> = {
  'instance-id': (r) => r.instance_id,
  'instance-state-name': (r) => r.state,
  'instance-state-code': (r) => stateCodes[r.state],
  'instance-type': (r) => r.instance_type,
  'image-id': (r) => r.image_id,
  'kernel-id': (r) => r.kernel_id,
  'ramdisk-id': (r) => r.ramdisk_id,
  'availability-zone': (r) => r.zone,
  'key-name': (r) => r.key_name,
  'reservation-id': (r) => r.reservation_id,
  'owner-id': (r) => r.account_id,
  'launch-index': (r) => r.launch_index,
  'client-token': (r) => r.client_token,
  'private-ip-address': (r) => r.private_ip_address,
  'ip-address': (r) => r.public_ip_address,
  architecture: (r) => r.architecture,
  'virtualization-type': (r) => r.virtualization_type,
  'root-device-type': () => 'instance-store',
  'group-id': (r) => r.groups.map((g) => g.GroupId),
  'group-name': (r) => r.groups.map((g) => g.GroupName),
  'instance.group-id': (r) => r.groups.map((g) => g.GroupId),
  'instance.group-name': (r) => r.groups.map((g) => g.GroupName),
  'state-reason-code': (r) => r.state_reason_code,
};

/** `InstanceStatus`/`SystemStatus`: `ok` while running on a node that answers, `impaired` when it does not. */
function statusOf(record: InstanceRecord): string {
  if (record.state === 'pending') return 'initializing';
  if (record.state !== 'running') return 'not-applicable';
  return record.node_reachable === 1 ? 'ok' : 'impaired';
}

const statusFilters: FilterFields<InstanceRecord> = {
  'availability-zone': (r) => r.zone,
  'instance-state-name': (r) => r.state,
  'instance-state-code': (r) => stateCodes[r.state],
  'instance-status.status': statusOf,
  'system-status.status': statusOf,
};

async function launchableOfType(
  context: ClcContext,
  imageId: string,
  type: LaunchableImage['imageType'],
): Promise<LaunchableImage> {
  const image = await requireLaunchableImage(context.db, context.caller.accountId, imageId);
  if (image.imageType !== type) {
    throw ec2Errors.invalidParameterValue(`The image ${imageId} is a ${image.imageType} image, not a ${type} image.`);
  }
  return image;
}

export const instanceHandlers = {
  async RunInstances(input, context) {
    const { db, caller, cloud } = context;
    if (input.ImageId === undefined) throw commonErrors.missingParameter('ImageId');
    if (input.MinCount < 1) throw ec2Errors.invalidParameterValue('MinCount must be at least 1.');
    if (input.MaxCount < input.MinCount) {
      throw ec2Errors.invalidParameterValue('MaxCount must be greater than or equal to MinCount.');
    }
    const image = await launchableOfType(context, input.ImageId, 'machine');
    const kernelId = input.KernelId ?? image.kernelId ?? undefined;
    const ramdiskId = input.RamdiskId ?? image.ramdiskId ?? undefined;
    if (kernelId !== undefined) await launchableOfType(context, kernelId, 'kernel');
    if (ramdiskId !== undefined) await launchableOfType(context, ramdiskId, 'ramdisk');
    const instanceType = input.InstanceType ?? defaultInstanceType;
    instanceTypeSpec(instanceType);
    if (input.KeyName !== undefined) await publicKeyOf(db, caller.accountId, input.KeyName);
    if (input.UserData !== undefined) {
      if (!base64.test(input.UserData)) throw ec2Errors.invalidParameterValue('Invalid BASE64 encoding of user data.');
      if (Buffer.byteLength(input.UserData, 'base64') > userDataLimitBytes) {
        throw ec2Errors.invalidParameterValue(`User data is limited to ${userDataLimitBytes} bytes.`);
      }
    }
    const groupIds = await resolveGroups(db, caller.accountId, {
      GroupIds: input.SecurityGroupIds,
      GroupNames: input.SecurityGroups,
    });
    const scheduler = cloud.instances;
    const fits = async (zone: string) => (scheduler ? scheduler.fits(zone, instanceType) : 0);
    const zone = await chooseZone(context, input.Placement?.AvailabilityZone, fits);
    const { reservationId } = await createReservation(
      db,
      caller.accountId,
      {
        zone,
        imageId: image.imageId,
        kernelId,
        ramdiskId,
        instanceType,
        architecture: image.architecture,
        virtualizationType: image.virtualizationType,
        keyName: input.KeyName,
        userData: input.UserData,
        groupIds,
        clientToken: input.ClientToken,
        tagSpecifications: input.TagSpecifications,
        disableApiTermination: input.DisableApiTermination,
        disableApiStop: input.DisableApiStop,
      },
      { min: input.MinCount, max: input.MaxCount },
      fits,
    );
    scheduler?.kick();
    const [reservation] = toReservations(await listInstances(db, caller.accountId, { reservationId }));
    return { ...reservation, Groups: [] };
  },

  async DescribeInstances(input, { db, caller }) {
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw ec2Errors.idsWithMaxResults('instanceIds');
    }
    if (!input.InstanceIds?.length && !input.Filters?.length && input.MaxResults !== undefined) {
      // A plain page of a large account: read just that page from the database.
      const limit = checkMaxResults(input.MaxResults, describeInstancesLimits);
      const afterId = input.NextToken === undefined ? undefined : decodePageToken(input.NextToken);
      const { records, more } = await listInstancesPage(db, caller.accountId, { afterId, limit });
      const last = records.at(-1);
      return {
        Reservations: toReservations(records),
        ...(more && last && { NextToken: encodePageToken(last.instance_id) }),
      };
    }
    const records = await listInstances(db, caller.accountId, { instanceIds: input.InstanceIds });
    const matching = filterItems(records, input.Filters, instanceFilters, { tagsOf: (record) => record.tags });
    const page = paginate(matching, (record) => record.instance_id, input, describeInstancesLimits);
    return { Reservations: toReservations(page.items), NextToken: page.NextToken };
  },

  async DescribeInstanceStatus(input, { db, caller }) {
    const records = await listInstances(db, caller.accountId, { instanceIds: input.InstanceIds });
    const shown = input.IncludeAllInstances ? records : records.filter((record) => record.state === 'running');
    const matching = filterItems(shown, input.Filters, statusFilters);
    const page = paginate(matching, (record) => record.instance_id, input, { min: 5, max: 1000 });
    return {
      InstanceStatuses: page.items.map((record) => {
        const status = statusOf(record);
        const details = [
          {
            Name: 'reachability',
            Status: status === 'ok' ? 'passed' : status === 'impaired' ? 'failed' : 'initializing',
          },
        ];
        return {
          InstanceId: record.instance_id,
          AvailabilityZone: record.zone,
          InstanceState: { Code: stateCodes[record.state], Name: record.state },
          InstanceStatus: { Status: status, Details: details },
          SystemStatus: { Status: status, Details: details },
        };
      }),
      NextToken: page.NextToken,
    };
  },

  async TerminateInstances(input, { db, caller, cloud }) {
    const changes = await requestAction(db, caller.accountId, input.InstanceIds, 'terminate');
    cloud.instances?.kick();
    return { TerminatingInstances: changes };
  },

  async StopInstances(input, { db, caller, cloud }) {
    const changes = await requestAction(db, caller.accountId, input.InstanceIds, 'stop');
    cloud.instances?.kick();
    return { StoppingInstances: changes };
  },

  async StartInstances(input, { db, caller, cloud }) {
    const changes = await requestAction(db, caller.accountId, input.InstanceIds, 'start');
    cloud.instances?.kick();
    return { StartingInstances: changes };
  },

  async RebootInstances(input, { db, caller, cloud }) {
    await requestAction(db, caller.accountId, input.InstanceIds, 'reboot');
    cloud.instances?.kick();
  },

  async GetConsoleOutput(input, { db, caller, cloud, log }) {
    const record = await requireInstance(db, caller.accountId, input.InstanceId);
    if (record.dispatched === 0 || record.state === 'terminated' || !cloud.instances) {
      return { InstanceId: record.instance_id, Timestamp: new Date() };
    }
    try {
      const console = await cloud.instances.consoleOutput(record.zone, record.instance_id);
      return { InstanceId: record.instance_id, Output: console.output, Timestamp: console.timestamp };
    } catch (error) {
      log?.error({ err: error, instanceId: record.instance_id }, 'console output unavailable');
      return { InstanceId: record.instance_id, Timestamp: new Date() };
    }
  },

  async DescribeInstanceAttribute(input, { db, caller }) {
    const record = await requireInstance(db, caller.accountId, input.InstanceId);
    const value = (text: string | null) => (text === null ? {} : { Value: text });
    const attributes: Record<string, () => object> = {
      instanceType: () => ({ InstanceType: { Value: record.instance_type } }),
      kernel: () => ({ KernelId: value(record.kernel_id) }),
      ramdisk: () => ({ RamdiskId: value(record.ramdisk_id) }),
      userData: () => ({ UserData: value(record.user_data) }),
      disableApiTermination: () => ({ DisableApiTermination: { Value: record.disable_api_termination === 1 } }),
      disableApiStop: () => ({ DisableApiStop: { Value: record.disable_api_stop === 1 } }),
      instanceInitiatedShutdownBehavior: () => ({ InstanceInitiatedShutdownBehavior: { Value: 'stop' } }),
      rootDeviceName: () => ({ RootDeviceName: { Value: '/dev/sda1' } }),
      blockDeviceMapping: () => ({ BlockDeviceMappings: [] }),
      productCodes: () => ({ ProductCodes: [] }),
      sourceDestCheck: () => ({ SourceDestCheck: { Value: true } }),
      groupSet: () => ({ Groups: record.groups }),
      ebsOptimized: () => ({ EbsOptimized: { Value: false } }),
      enaSupport: () => ({ EnaSupport: { Value: false } }),
      sriovNetSupport: () => ({ SriovNetSupport: {} }),
    };
    const attribute = Object.hasOwn(attributes, input.Attribute) ? attributes[input.Attribute] : undefined;
    if (!attribute) {
      throw ec2Errors.invalidParameterValue(
        `Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`,
      );
    }
    return { InstanceId: record.instance_id, ...attribute() };
  },

  async ModifyInstanceAttribute(input, { db, caller }) {
    const record = await requireInstance(db, caller.accountId, input.InstanceId);
    const change = protectionChange(input);
    if (record.state === 'terminated') {
      throw ec2Errors.incorrectState(
        'IncorrectInstanceState',
        `The instance '${record.instance_id}' is not in a state from which it can be modified.`,
      );
    }
    await setProtection(db, record.instance_id, change);
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;

/** The zone asked for, or else the zone with the most room for this type (the first one when none has any). */
async function chooseZone(
  { cloud }: ClcContext,
  requested: string | undefined,
  fits: (zone: string) => Promise<number>,
): Promise<string> {
  const names = cloud.zones.map((zone) => zone.name);
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw ec2Errors.invalidParameterValue(`Invalid availability zone: [${requested}]`);
    }
    return requested;
  }
  let best = names[0];
  let room = -1;
  for (const name of names) {
    const available = await fits(name);
    if (available > room) [best, room] = [name, available];
  }
  if (best === undefined) throw ec2Errors.insufficientCapacity('This cloud has no availability zone.');
  return best;
}

/**
 * The one protection a ModifyInstanceAttribute names (`Attribute` with `Value`, or its own member), as EC2 takes it;
 * the other attributes are not changed here (`UnsupportedOperation`), a request naming none or two is refused.
 */
function protectionChange(input: Ec2Operations['ModifyInstanceAttribute']['input']): {
  column: 'disable_api_termination' | 'disable_api_stop';
  value: boolean;
} {
  const named: { attribute: string; value: boolean | string | undefined }[] = [];
  if (input.Attribute !== undefined) named.push({ attribute: input.Attribute, value: input.Value });
  if (input.DisableApiTermination !== undefined) {
    named.push({ attribute: 'disableApiTermination', value: input.DisableApiTermination.Value });
  }
  if (input.DisableApiStop !== undefined) {
    named.push({ attribute: 'disableApiStop', value: input.DisableApiStop.Value });
  }
  const others = Object.keys(input).filter(
    (member) =>
      !['InstanceId', 'Attribute', 'Value', 'DisableApiTermination', 'DisableApiStop', 'DryRun'].includes(member),
  );
  if (named.length + others.length !== 1) {
    throw ec2Errors.invalidParameterCombination('Exactly one attribute may be modified at a time.');
  }
  const [only] = named;
  const columns = { disableApiTermination: 'disable_api_termination', disableApiStop: 'disable_api_stop' } as const;
  if (!only || !(only.attribute in columns)) {
    throw ec2Errors.unsupportedAttribute(
      `Modifying the ${only?.attribute ?? others[0]} attribute is not supported by this cloud; disableApiTermination and disableApiStop are.`,
    );
  }
  const value = typeof only.value === 'string' ? only.value.toLowerCase() : only.value;
  if (value !== true && value !== false && value !== 'true' && value !== 'false') {
    throw ec2Errors.invalidParameterValue(
      `Value (${String(only.value)}) for parameter value is invalid. Expected: true or false.`,
    );
  }
  return { column: columns[only.attribute as keyof typeof columns], value: value === true || value === 'true' };
}
