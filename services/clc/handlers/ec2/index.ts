import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import type { ClcContext } from '../context.js';
import { addressHandlers } from './addresses.js';
import { classicNetworkHandlers } from './classic-network.js';
import { imageHandlers } from './images.js';
import { instanceHandlers } from './instances.js';
import { keyPairHandlers } from './key-pairs.js';
import { regionHandlers } from './regions.js';
import { securityGroupHandlers } from './security-groups.js';
import { tagHandlers } from './tags.js';
import { volumeHandlers } from './volumes.js';

/**
 * Every EC2 action the clc implements, by wire action name; each file holds the handlers of one resource type. The
 * rest of the model's actions answer `UnsupportedOperation`.
 */
export const ec2Handlers: QueryHandlers<Ec2Operations, ClcContext> = {
  ...tagHandlers,
  ...keyPairHandlers,
  ...securityGroupHandlers,
  ...imageHandlers,
  ...instanceHandlers,
  ...regionHandlers,
  ...addressHandlers,
  ...volumeHandlers,
  ...classicNetworkHandlers,
};
