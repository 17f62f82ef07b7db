import type { StsOperations } from '../../../src/aws/generated/sts-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import type { ClcContext } from './context.js';

export const stsHandlers = {
  /** As STS answers: the root identity's user id is its account id; a user's is its `AIDA...` id. */
  async GetCallerIdentity(_input, { caller }) {
    return { UserId: caller.userId ?? caller.accountId, Account: caller.accountId, Arn: caller.arn };
  },
} satisfies QueryHandlers<StsOperations, ClcContext>;
