import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { ec2Errors } from '../../models/ec2-errors.js';
import type { ClcContext } from '../context.js';

/**
 * Mallee's network is EC2-Classic's, as Eucalyptus's was: instances in security groups named per account, no VPCs.
 * DescribeAccountAttributes says so (`supported-platforms` EC2, `default-vpc` none), which is how AWS clients tell
 * such an account apart; and the describes of what only a VPC (or a feature Mallee lacks) has answer as they did
 * for an EC2-Classic account: an empty list, and a named id `NotFound`. Creating any of it stays
 * `UnsupportedOperation`. (DryRun is answered before any handler, by the request pipeline.)
 */
const accountAttributes: Record<string, string[]> = {
  'supported-platforms': ['EC2'],
  'default-vpc': ['none'],
};

/** Each describe: the list its output holds, and the parameter naming ids with the error for one that is not there. */
const noneHere: Partial<Record<keyof Ec2Operations, { list: string; ids: string; notFound: string; what: string }>> = {
  DescribeVpcs: { list: 'Vpcs', ids: 'VpcIds', notFound: 'InvalidVpcID.NotFound', what: 'vpc ID' },
  DescribeSubnets: { list: 'Subnets', ids: 'SubnetIds', notFound: 'InvalidSubnetID.NotFound', what: 'subnet ID' },
  DescribeNetworkInterfaces: {
    list: 'NetworkInterfaces',
    ids: 'NetworkInterfaceIds',
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    what: 'interface ID',
  },
  DescribeInternetGateways: {
    list: 'InternetGateways',
    ids: 'InternetGatewayIds',
    notFound: 'InvalidInternetGatewayID.NotFound',
    what: 'internetGateway ID',
  },
  DescribeRouteTables: {
    list: 'RouteTables',
    ids: 'RouteTableIds',
    notFound: 'InvalidRouteTableID.NotFound',
    what: 'route table ID',
  },
  DescribeNetworkAcls: {
    list: 'NetworkAcls',
    ids: 'NetworkAclIds',
    notFound: 'InvalidNetworkAclID.NotFound',
    what: 'network ACL ID',
  },
  DescribeNatGateways: {
    list: 'NatGateways',
    ids: 'NatGatewayIds',
    notFound: 'NatGatewayNotFound',
    what: 'NAT gateway ID',
  },
  DescribeVpcEndpoints: {
    list: 'VpcEndpoints',
    ids: 'VpcEndpointIds',
    notFound: 'InvalidVpcEndpointId.NotFound',
    what: 'VPC endpoint ID',
  },
  DescribeDhcpOptions: {
    list: 'DhcpOptions',
    ids: 'DhcpOptionsIds',
    notFound: 'InvalidDhcpOptionID.NotFound',
    what: 'DHCP options ID',
  },
  DescribeSpotInstanceRequests: {
    list: 'SpotInstanceRequests',
    ids: 'SpotInstanceRequestIds',
    notFound: 'InvalidSpotInstanceRequestID.NotFound',
    what: 'spot instance request ID',
  },
  DescribePlacementGroups: {
    list: 'PlacementGroups',
    ids: 'GroupNames',
    notFound: 'InvalidPlacementGroup.Unknown',
    what: 'placement group',
  },
};

type DescribeInput = Record<string, unknown>;

const describeNone = Object.fromEntries(
  Object.entries(noneHere).map(([operation, { list, ids, notFound, what }]) => [
    operation,
    async (input: DescribeInput) => {
      const named = (input[ids] as string[] | undefined) ?? [];
      if (named.length > 0) throw ec2Errors.notFound(notFound, what, named[0]!);
      return { [list]: [] };
    },
  ]),
) as QueryHandlers<Ec2Operations, ClcContext>;

export const classicNetworkHandlers = {
  async DescribeAccountAttributes(input) {
    const names = input.AttributeNames ?? Object.keys(accountAttributes);
    for (const name of names) {
      if (!(name in accountAttributes)) {
        throw ec2Errors.invalidParameterValue(`Value (${name}) for parameter attributeName is invalid.`);
      }
    }
    return {
      AccountAttributes: names.map((name) => ({
        AttributeName: name,
        AttributeValues: accountAttributes[name]!.map((value) => ({ AttributeValue: value })),
      })),
    };
  },
  ...describeNone,
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
