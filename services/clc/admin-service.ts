import type { Kysely } from 'kysely';
import type { SoapOperation } from '../../src/soap/soap-service.js';
import type { Database } from '../../src/db/schema.js';
import { createAccount, deleteAccount, listAccounts } from './models/accounts.js';

/**
 * The operations of `wsdl/admin.wsdl`, by wire name: what `cloudctl accounts ...` calls. The route in front of them
 * lets through only the cloud CA's `admin` certificate; the operator's name arrives as the message's `userId`.
 */
export function adminOperations(db: Kysely<Database>): Record<string, SoapOperation> {
  return {
    async CreateAccount(input, { log, userId }) {
      const created = await createAccount(db, { accountName: String(input.accountName ?? '') });
      log.info({ operator: userId, accountId: created.account.accountId }, 'account created');
      return created as unknown as Record<string, unknown>;
    },
    async ListAccounts() {
      return { accounts: await listAccounts(db) };
    },
    async DeleteAccount(input, { log, userId }) {
      const force = input.force === true || input.force === 'true';
      const account = await deleteAccount(db, { accountName: String(input.accountName ?? ''), force });
      log.info({ operator: userId, accountId: account.accountId, force }, 'account deleted');
      return { account };
    },
  };
}
