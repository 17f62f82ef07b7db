import type { Ec2Operations, KeyPair } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { filterItems, type FilterFields } from '../../models/filters.js';
import { createKeyPair, deleteKeyPair, importKeyPair, listKeyPairs } from '../../models/key-pairs.js';
import type { ClcContext } from '../context.js';

const keyPairFilters: FilterFields<KeyPair> = {
  'key-pair-id': (key) => key.KeyPairId,
  'key-name': (key) => key.KeyName,
  fingerprint: (key) => key.KeyFingerprint,
  'key-type': (key) => key.KeyType,
};

export const keyPairHandlers = {
  async CreateKeyPair(input, { db, caller }) {
    return createKeyPair(db, caller.accountId, input);
  },
  async ImportKeyPair(input, { db, caller }) {
    return importKeyPair(db, caller.accountId, input);
  },
  async DescribeKeyPairs(input, { db, caller }) {
    const keys = await listKeyPairs(db, caller.accountId, input);
    return { KeyPairs: filterItems(keys, input.Filters, keyPairFilters, { tagsOf: (key) => key.Tags }) };
  },
  async DeleteKeyPair(input, { db, caller }) {
    return { Return: true, ...(await deleteKeyPair(db, caller.accountId, input)) };
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
