import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { adminAccountId } from '../../models/accounts.js';
import { describeInstanceTypes } from '../../models/instance-types.js';
import { describeAvailabilityZones, describeRegions } from '../../models/regions.js';
import type { ClcContext } from '../context.js';

/** The cloud's shape: its region, its zones (with Eucalyptus's capacity listing) and the instance types it offers. */
export const regionHandlers = {
  async DescribeRegions(input, { cloud }) {
    return { Regions: describeRegions(cloud, input) };
  },
  async DescribeAvailabilityZones(input, { cloud, caller }) {
    // Capacity is the operator's business: Eucalyptus showed it to the cloud administrator's account only.
    const verboseAllowed = caller.accountId === adminAccountId;
    return {
      AvailabilityZones: await describeAvailabilityZones(cloud, input, { verboseAllowed, capacity: cloud.capacity }),
    };
  },
  async DescribeInstanceTypes(input) {
    return describeInstanceTypes(input);
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
