import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import {
  deregisterImage,
  describeImageAttribute,
  describeImages,
  modifyImageAttribute,
  registerImage,
  resetImageAttribute,
} from '../../models/images.js';
import type { ClcContext } from '../context.js';

export const imageHandlers = {
  async RegisterImage(input, { db, caller, cloud }) {
    return registerImage(db, caller.accountId, input, { imageStore: cloud.imageStore });
  },
  async DescribeImages(input, { db, caller }) {
    return describeImages(db, caller.accountId, input);
  },
  async DeregisterImage(input, { db, caller }) {
    await deregisterImage(db, caller.accountId, input.ImageId);
  },
  async DescribeImageAttribute(input, { db, caller }) {
    return describeImageAttribute(db, caller.accountId, input);
  },
  async ModifyImageAttribute(input, { db, caller }) {
    await modifyImageAttribute(db, caller.accountId, input);
  },
  async ResetImageAttribute(input, { db, caller }) {
    await resetImageAttribute(db, caller.accountId, input);
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
