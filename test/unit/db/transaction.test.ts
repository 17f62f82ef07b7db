import { spawn } from 'node:child_process';
import t from 'tap';
import { ServiceError } from '../../../src/aws/service-error.js';
import { openDatabase } from '../../../src/db/open-database.js';
import { isRetryableConflict, isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { createAccount, listAccounts } from '../../../services/clc/models/accounts.js';
import { projectRoot } from '../../helpers/cli.js';
import { backends } from './backends.js';

const conflict = (code: string) => Object.assign(new Error(`conflict ${code}`), { code });

t.test('which errors are worth another attempt', async (t) => {
  for (const code of ['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
    t.ok(isRetryableConflict(conflict(code)), code);
  }
  for (const error of [conflict('23505'), conflict('SQLITE_CONSTRAINT_UNIQUE'), new Error('x'), undefined, 'text']) {
    t.notOk(isRetryableConflict(error), String(error));
  }
  t.notOk(isRetryableConflict(new ServiceError('LimitExceeded', 'quota')));
  for (const code of ['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']) {
    t.ok(isUniqueViolation(conflict(code)), code);
  }
  t.notOk(isUniqueViolation(conflict('SQLITE_CONSTRAINT_FOREIGNKEY')));
});

const row = (name: string) => ({
  account_id: name.padStart(12, '1'),
  account_name: name,
  status: 'ACTIVE' as const,
  created_at: 'x',
});

const engines = await backends(t);

for (const backend of engines) {
  t.test(backend.name, async (t) => {
    t.test('a lost race is retried from the start; its writes are rolled back', async (t) => {
      const db = await backend.fresh(t);
      let attempts = 0;
      const result = await withTransaction(db, async (trx) => {
        attempts++;
        await trx
          .insertInto('accounts')
          .values(row(`try-${attempts}`))
          .execute();
        if (attempts < 3) throw conflict(backend.name === 'postgres' ? '40001' : 'SQLITE_BUSY');
        return 'done';
      });
      t.equal(result, 'done');
      t.equal(attempts, 3);
      t.same(
        (await listAccounts(db)).map((account) => account.accountName),
        ['try-3'],
      );
    });

    t.test('other errors roll back and propagate at once', async (t) => {
      const db = await backend.fresh(t);
      let attempts = 0;
      await t.rejects(
        withTransaction(db, async (trx) => {
          attempts++;
          await trx.insertInto('accounts').values(row('never')).execute();
          throw new ServiceError('LimitExceeded', 'quota');
        }),
        { code: 'LimitExceeded' },
      );
      t.equal(attempts, 1);
      t.same(await listAccounts(db), []);
    });

    t.test('retries stop after the last attempt', async (t) => {
      const db = await backend.fresh(t);
      let attempts = 0;
      const failing = withTransaction(
        db,
        async () => {
          attempts++;
          throw conflict('40001');
        },
        { attempts: 3 },
      );
      await t.rejects(failing, { code: '40001' });
      t.equal(attempts, 3);
    });

    t.test('a nested call joins the outer transaction', async (t) => {
      const db = await backend.fresh(t);
      await t.rejects(
        withTransaction(db, async (trx) => {
          await createAccount(trx, { accountName: 'inner' });
          throw new Error('the outer work fails after');
        }),
      );
      t.same(await listAccounts(db), [], 'the inner work rolled back with the outer');
    });
  });
}

t.test('SQLite: a writer waits while another process holds the write lock', async (t) => {
  const sqlite = engines.find((backend) => backend.name === 'sqlite')!;
  const location = await sqlite.freshLocation(t);
  const db = await openDatabase(location);
  t.teardown(() => db.destroy());

  const holdMs = 600;
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(${JSON.stringify(location.sqliteFile)});
       db.exec('begin immediate'); console.log('locked');
       setTimeout(() => { db.exec('commit'); db.close(); }, ${holdMs});`,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const started = Date.now();
  await createAccount(db, { accountName: 'patient' });
  t.ok(Date.now() - started >= holdMs / 2, 'it waited for the lock');
  t.same(
    (await listAccounts(db)).map((account) => account.accountName),
    ['patient'],
  );
  await new Promise((resolve) => holder.once('close', resolve));
});
