import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { createAccessKey, createAccount, createUser, lookupAccessKey } from '../../services/clc/models/accounts.js';
import { openDatabase } from '../../src/db/open-database.js';
import { withTransaction } from '../../src/db/transaction.js';
import { projectRoot, temporaryDir } from '../helpers/cli.js';

/**
 * Durability of the clc's SQLite state under `kill -9`. This file is both the test and, when
 * MALLEE_CLC_STATE_WRITER names a database file, the writer it kills: a process that creates accounts, users and
 * keys in a loop and prints each only once its transactions have committed, as the API acknowledges a request only
 * after its commit. Every printed record must survive, readable, in a database that passes `integrity_check`.
 */
interface Acknowledged {
  accountName: string;
  accountId: string;
  rootKeyId: string;
  rootSecretHash: string;
  userKeyId: string;
  userSecretHash: string;
}

const writerFile = process.env.MALLEE_CLC_STATE_WRITER;
if (writerFile) await writeUntilKilled(writerFile);
else await testDurability();

/** Secrets stay off stdout; their hashes prove the stored secret is the one handed out. */
function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

async function writeUntilKilled(file: string): Promise<void> {
  const db = await openDatabase({ sqliteFile: file });
  for (let i = 0; ; i++) {
    const accountName = `acct-${process.pid}-${i}`;
    const { account, rootAccessKey } = await createAccount(db, { accountName });
    const userKey = await withTransaction(db, async (trx) => {
      await createUser(trx, account.accountId, { UserName: 'worker' });
      return createAccessKey(trx, account.accountId, { UserName: 'worker' });
    });
    const record: Acknowledged = {
      accountName,
      accountId: account.accountId,
      rootKeyId: rootAccessKey.accessKeyId,
      rootSecretHash: digest(rootAccessKey.secretAccessKey),
      userKeyId: userKey.AccessKeyId,
      userSecretHash: digest(userKey.SecretAccessKey),
    };
    // A pipe write is synchronous on Linux and a line this short is atomic: once written, the parent sees it.
    process.stdout.write(`${JSON.stringify(record)}\n`);
  }
}

/** Runs a writer and SIGKILLs it once it has acknowledged `count` records; returns every record it printed. */
function writeThenKill(file: string, count: number): Promise<{ records: Acknowledged[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: projectRoot,
      env: { ...process.env, MALLEE_CLC_STATE_WRITER: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.split('\n').length - 1 >= count) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`the writer ended by itself (code ${code}): ${stderr}`));
        return;
      }
      const lines = stdout.split('\n').slice(0, -1);
      resolve({ records: lines.map((line) => JSON.parse(line) as Acknowledged), signal });
    });
  });
}

async function testDurability(): Promise<void> {
  const { default: t } = await import('tap');
  const dir = temporaryDir('clc-state');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'clc.sqlite');
  const acknowledged: Acknowledged[] = [];

  // Kill at a different point each round; each new writer starts from what the last one left.
  for (const [round, count] of [60, 137, 211].entries()) {
    await t.test(`round ${round + 1}: kill -9 after ${count} acknowledged records`, async (t) => {
      const { records } = await writeThenKill(file, count);
      t.ok(records.length >= count, `the writer acknowledged ${records.length} records before it died`);
      acknowledged.push(...records);

      const integrity = new SqliteDatabase(file);
      try {
        t.same(integrity.pragma('integrity_check'), [{ integrity_check: 'ok' }], 'integrity_check passes');
      } finally {
        integrity.close();
      }

      const db = await openDatabase({ sqliteFile: file });
      t.teardown(() => db.destroy());
      const missing: string[] = [];
      for (const record of acknowledged) {
        const root = await lookupAccessKey(db, record.rootKeyId);
        const user = await lookupAccessKey(db, record.userKeyId);
        const intact =
          root !== undefined &&
          user !== undefined &&
          digest(root.secretAccessKey) === record.rootSecretHash &&
          digest(user.secretAccessKey) === record.userSecretHash &&
          root.principal.accountName === record.accountName &&
          root.principal.isRoot &&
          user.principal.accountId === record.accountId &&
          user.principal.arn === `arn:aws:iam::${record.accountId}:user/worker`;
        if (!intact) missing.push(record.accountName);
      }
      t.same(missing, [], `all ${acknowledged.length} acknowledged records so far are present and readable`);

      const stored = await db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      // At most the one transaction in flight at each kill committed without being acknowledged.
      t.ok(
        Number(stored.n) <= acknowledged.length + round + 1,
        `${stored.n} accounts stored for ${acknowledged.length} acknowledged`,
      );
    });
  }
}
