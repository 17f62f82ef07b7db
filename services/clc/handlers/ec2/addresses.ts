import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { commonErrors } from '../../../../src/aws/service-error.js';
import {
  allocateAddress,
  associateAddress,
  disassociateAddress,
  listAddresses,
  releaseAddress,
  toEc2Address,
  type AddressRecord,
} from '../../models/addresses.js';
import { ec2Errors } from '../../models/ec2-errors.js';
import { filterItems, type FilterFields } from '../../models/filters.js';
import type { ClcContext } from '../context.js';

const addressFilters: FilterFields<AddressRecord> = {
  'allocation-id': (r) => r.allocation_id,
  'association-id': (r) => r.association_id,
  'instance-id': (r) => r.instance_id,
  'public-ip': (r) => r.public_ip,
  'private-ip-address': (r) => r.private_ip_address,
  domain: (r) => r.domain,
};

export const addressHandlers = {
  async AllocateAddress(input, { db, caller, cloud }) {
    if (input.PublicIpv4Pool !== undefined && input.PublicIpv4Pool !== 'amazon') {
      throw ec2Errors.invalidParameterValue(`The public IPv4 pool '${input.PublicIpv4Pool}' does not exist.`);
    }
    if (input.NetworkBorderGroup !== undefined && input.NetworkBorderGroup !== cloud.region) {
      throw ec2Errors.invalidParameterValue(`Invalid network border group: ${input.NetworkBorderGroup}`);
    }
    if (input.CustomerOwnedIpv4Pool !== undefined || input.IpamPoolId !== undefined) {
      throw ec2Errors.unsupported('Customer-owned and IPAM address pools are not supported by this cloud.');
    }
    const record = await allocateAddress(db, caller.accountId, cloud.addressPool, {
      domain: input.Domain,
      address: input.Address,
      tagSpecifications: input.TagSpecifications,
    });
    const { Tags: _tags, ...address } = toEc2Address(record, cloud.region);
    return address;
  },

  async DescribeAddresses(input, { db, caller, cloud }) {
    const records = await listAddresses(db, caller.accountId, {
      publicIps: input.PublicIps,
      allocationIds: input.AllocationIds,
    });
    const matching = filterItems(records, input.Filters, addressFilters, { tagsOf: (record) => record.tags });
    return { Addresses: matching.map((record) => toEc2Address(record, cloud.region)) };
  },

  async AssociateAddress(input, { db, caller }) {
    if (input.NetworkInterfaceId !== undefined) {
      throw ec2Errors.notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface ID', input.NetworkInterfaceId);
    }
    if (input.InstanceId === undefined) throw commonErrors.missingParameter('InstanceId');
    const { associationId } = await associateAddress(db, caller.accountId, {
      allocationId: input.AllocationId,
      publicIp: input.PublicIp,
      instanceId: input.InstanceId,
      allowReassociation: input.AllowReassociation,
      privateIpAddress: input.PrivateIpAddress,
    });
    return { AssociationId: associationId };
  },

  async DisassociateAddress(input, { db, caller }) {
    await disassociateAddress(db, caller.accountId, { associationId: input.AssociationId, publicIp: input.PublicIp });
  },

  async ReleaseAddress(input, { db, caller, cloud }) {
    if (input.NetworkBorderGroup !== undefined && input.NetworkBorderGroup !== cloud.region) {
      throw ec2Errors.invalidParameterValue(`Invalid network border group: ${input.NetworkBorderGroup}`);
    }
    await releaseAddress(db, caller.accountId, { allocationId: input.AllocationId, publicIp: input.PublicIp });
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
