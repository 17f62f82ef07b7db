import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import type { DescribeTagsOutputTag } from '../../../../src/aws/generated/ec2-types.js';
import { filterItems, paginate, type FilterFields } from '../../models/filters.js';
import { createTags, deleteTags, listTagDescriptions } from '../../models/resources.js';
import type { ClcContext } from '../context.js';

const tagFilters: FilterFields<DescribeTagsOutputTag> = {
  key: (tag) => tag.Key,
  value: (tag) => tag.Value,
  'resource-id': (tag) => tag.ResourceId,
  'resource-type': (tag) => tag.ResourceType,
};

export const tagHandlers = {
  async CreateTags(input, { db, caller }) {
    await createTags(db, caller.accountId, input.Resources, input.Tags ?? []);
  },
  async DeleteTags(input, { db, caller }) {
    await deleteTags(db, caller.accountId, input.Resources, input.Tags);
  },
  async DescribeTags(input, { db, caller }) {
    const tags = filterItems(await listTagDescriptions(db, caller.accountId), input.Filters, tagFilters);
    const page = paginate(tags, (tag) => `${tag.ResourceId}\u0000${tag.Key}`, input, { min: 5, max: 1000 });
    return { Tags: page.items, NextToken: page.NextToken };
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
