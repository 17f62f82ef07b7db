import type { AccessKeyStatus } from '../../../src/db/schema.js';
import type { IamOperations } from '../../../src/aws/generated/iam-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import {
  createAccessKey,
  createUser,
  deleteAccessKey,
  deleteUser,
  getUser,
  listAccessKeys,
  listUsers,
  updateAccessKey,
  type Principal,
} from '../models/accounts.js';
import type { ClcContext } from './context.js';

/**
 * IAM users and access keys, scoped to the caller's account. As in IAM, a call that names no user acts on the caller
 * itself: an IAM user manages its own keys, the root identity the account's root keys.
 */
export const iamHandlers = {
  async CreateUser(input, { db, caller }) {
    return { User: await createUser(db, caller.accountId, input) };
  },
  async GetUser(input, { db, caller }) {
    const UserName = input.UserName ?? caller.userName;
    if (UserName === undefined) return { User: rootUser(caller) };
    return { User: await getUser(db, caller.accountId, { UserName }) };
  },
  async ListUsers(input, { db, caller }) {
    return listUsers(db, caller.accountId, input);
  },
  async DeleteUser(input, { db, caller }) {
    await deleteUser(db, caller.accountId, input);
  },
  async CreateAccessKey(input, { db, caller }) {
    // IAM's model makes UserName required, yet IAM leaves it out for the root identity's keys, as we do.
    const AccessKey = await createAccessKey(db, caller.accountId, selfUnlessNamed(input, caller));
    return { AccessKey: AccessKey as typeof AccessKey & { UserName: string } };
  },
  async ListAccessKeys(input, { db, caller }) {
    return listAccessKeys(db, caller.accountId, selfUnlessNamed(input, caller));
  },
  async UpdateAccessKey(input, { db, caller }) {
    await updateAccessKey(db, caller.accountId, {
      ...selfUnlessNamed(input, caller),
      // The model checks the value: IAM's enum is not in the minified service model.
      Status: input.Status as AccessKeyStatus,
    });
  },
  async DeleteAccessKey(input, { db, caller }) {
    await deleteAccessKey(db, caller.accountId, selfUnlessNamed(input, caller));
  },
} satisfies QueryHandlers<IamOperations, ClcContext>;

function selfUnlessNamed<T extends { UserName?: string }>(input: T, caller: Principal): T {
  return input.UserName === undefined && caller.userName !== undefined
    ? { ...input, UserName: caller.userName }
    : input;
}

/** What IAM's `GetUser` answers the root identity: the account id as the user id, the root ARN, no name. */
function rootUser(caller: Principal) {
  return { Path: '/', UserName: '', UserId: caller.accountId, Arn: caller.arn, CreateDate: new Date(0) };
}
