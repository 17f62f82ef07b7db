import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import type { ClcContext, CloudTopology } from '../../services/clc/handlers/context.js';
import { createAccount } from '../../services/clc/models/accounts.js';
import { applyReport, createReservation, listInstances, markDispatched } from '../../services/clc/models/instances.js';
import { ServiceError } from '../../src/aws/service-error.js';
import type { Database } from '../../src/db/schema.js';
import { withTransaction } from '../../src/db/transaction.js';

export interface ExpectedError {
  code: string;
  /** 400 unless said. */
  status?: number;
  /** The exact message, or a pattern it must match. */
  message: string | RegExp;
}

/**
 * The call fails with exactly this AWS error: its code, HTTP status and message, as a client would see them. Takes
 * a promise or a function (which may throw before it returns one).
 */
export async function expectServiceError(
  t: Test,
  call: Promise<unknown> | (() => unknown),
  expected: ExpectedError,
): Promise<void> {
  const error = await Promise.resolve()
    .then(() => (typeof call === 'function' ? call() : call))
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  if (!(error instanceof ServiceError)) {
    t.fail(`expected ${expected.code}, got ${error === undefined ? 'success' : String(error)}`);
    return;
  }
  const { message, ...rest } = { status: 400, ...expected };
  t.same({ code: error.code, status: error.status }, rest, expected.code);
  if (typeof message === 'string') t.equal(error.message, message, `${expected.code} message`);
  else t.match(error.message, message, `${expected.code} message`);
}

/**
 * A new account of the cloud and the context its root identity's EC2 handlers run in: one region, the zones given
 * and whatever else of the cloud a test needs (an address pool, a volume backend ...).
 */
export async function rootContext(
  db: Kysely<Database>,
  accountName: string,
  cloud: Partial<CloudTopology> = {},
): Promise<ClcContext> {
  const { account } = await createAccount(db, { accountName });
  return {
    db,
    requestId: 'test',
    caller: {
      accountId: account.accountId,
      accountName,
      arn: `arn:aws:iam::${account.accountId}:root`,
      isRoot: true,
    },
    cloud: { region: 'test-1', zones: [{ name: 'test-1a' }], ec2Endpoint: 'https://localhost', ...cloud },
  };
}

/**
 * An instance of the account written as the scheduler records one its zone reported: launched (and, unless
 * `pending`, running with a private address on `node-1`). For tests of what acts on instances (addresses, volumes)
 * without a zone that runs them; one transaction, so a live scheduler never sees it half made.
 */
export async function recordInstance(
  db: Kysely<Database>,
  accountId: string,
  options: { zone: string; privateIp?: string; state?: 'running' | 'pending' },
): Promise<string> {
  return withTransaction(db, async (trx) => {
    const { reservationId } = await createReservation(
      trx,
      accountId,
      {
        zone: options.zone,
        imageId: 'ami-0123456789abcdef0',
        instanceType: 'm1.small',
        architecture: 'x86_64',
        virtualizationType: 'hvm',
        groupIds: [],
      },
      { min: 1, max: 1 },
      async () => 1,
    );
    const [record] = await listInstances(trx, accountId, { reservationId });
    if (!record) throw new Error('no instance written');
    if ((options.state ?? 'running') === 'running') {
      await markDispatched(trx, record.instance_id);
      await applyReport(
        trx,
        { ...record, dispatched: 1 },
        {
          instanceId: record.instance_id,
          state: 'running',
          privateIpAddress: options.privateIp ?? '10.0.0.5',
          nodeReachable: true,
          nodeName: 'node-1',
        },
      );
    }
    return record.instance_id;
  });
}
