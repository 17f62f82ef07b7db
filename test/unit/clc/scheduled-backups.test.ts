import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { BackupStaging } from '../../../services/clc/cloud-backup.js';
import { setCloudProperty } from '../../../services/clc/models/cloud-properties.js';
import { ScheduledBackups } from '../../../services/clc/scheduled-backups.js';
import { openBackup, type BackupFileEntry } from '../../../src/cloud/backup-archive.js';
import { openDatabase } from '../../../src/db/open-database.js';
import { temporaryDir } from '../../helpers/cli.js';

// The clc's scheduled backups, stepped through with an injected clock: due times, rotation, failures, restarts.
// The archives are real (tar, manifest, checksums), the properties live in a real clc database.
const dir = temporaryDir('scheduled-backups');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = await openDatabase({ sqliteFile: join(dir, 'clc.sqlite') });
t.teardown(() => db.destroy());

const hour = 3600_000;
let clock = Date.parse('2026-12-04T10:00:00.000Z');
let failWith: string | undefined;
let taken = 0;

function part(
  stagingDir: string,
  component: BackupFileEntry['component'],
  fileName: string,
  text: string,
): BackupFileEntry {
  const bytes = Buffer.from(text);
  writeFileSync(join(stagingDir, fileName), bytes);
  return {
    component,
    engine: 'sqlite',
    fileName,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

const backupsDir = join(dir, 'data', 'backups');
// The clc's own staging: each backup is taken into a folder of its own, archived, then discarded.
const stagingRoot = join(dir, 'data', 'backup-staging');
const staging = new BackupStaging(
  stagingRoot,
  (stagingDir) => {
    if (failWith) return Promise.reject(new Error(failWith));
    taken++;
    return Promise.resolve({
      createdAt: new Date(clock),
      parts: [
        part(stagingDir, 'clc', 'clc.sqlite', `clc ${taken}`),
        part(stagingDir, 'walrus', 'walrus.sqlite', `walrus ${taken}`),
      ],
    });
  },
  { now: () => clock },
);
const stagedLeft = () => (existsSync(stagingRoot) ? readdirSync(stagingRoot) : []);
const scheduled = () =>
  new ScheduledBackups({
    db,
    about: { cloud: 'testcloud', region: 'test-1' },
    defaultDir: backupsDir,
    log: pino({ level: 'silent' }),
    now: () => clock,
    staging,
  });
const set = (name: string, value: string) => setCloudProperty(db, { name, value, operator: 'test' });
const archives = () =>
  existsSync(backupsDir)
    ? readdirSync(backupsDir)
        .filter((name) => name.startsWith('scheduled-'))
        .sort()
    : [];
const manualBackup = join(backupsDir, 'testcloud-manual.tgz');

t.test('off by default: nothing is written, the next look is within the recheck time', async (t) => {
  const schedule = scheduled();
  t.equal(await schedule.runDue(), 5000);
  t.same(archives(), []);
  t.match(await schedule.describe(), { interval: 'off', keep: 7, dir: backupsDir, backups: [] });
  t.notOk((await schedule.describe()).nextBackupAt, 'no next backup while off');
});

t.test('the schedule validates its properties', async (t) => {
  await t.rejects(set('backup.schedule.interval', '2s'), { code: 'InvalidPropertyValue', message: /shortest.*5s/ });
  await t.rejects(set('backup.schedule.interval', 'often'), { code: 'InvalidPropertyValue' });
  await t.rejects(set('backup.schedule.keep', '0'), { code: 'InvalidPropertyValue' });
  await t.rejects(set('backup.schedule.dir', 'relative/dir'), { code: 'InvalidPropertyValue', message: /absolute/ });
});

t.test('every hour, keeping 2: due times and rotation', async (t) => {
  await set('backup.schedule.interval', '1h');
  await set('backup.schedule.keep', '2');
  const schedule = scheduled();
  await schedule.runDue();
  writeFileSync(manualBackup, 'a backup the operator put there');
  t.same(archives(), ['scheduled-20261204T100000000Z.tgz'], 'the first backup as soon as the schedule is on');
  const opened = await openBackup(join(backupsDir, archives()[0]!));
  t.teardown(opened.close);
  t.match(opened.manifest, {
    format: 'mallee-backup/1',
    cloud: 'testcloud',
    region: 'test-1',
    createdAt: '2026-12-04T10:00:00.000Z',
    files: [{ fileName: 'clc.sqlite' }, { fileName: 'walrus.sqlite' }],
  });

  clock += 20 * 60_000;
  t.equal(await schedule.runDue(), 5000, 'not due yet: look again soon');
  t.equal(archives().length, 1);
  t.same((await schedule.describe()).nextBackupAt, new Date('2026-12-04T11:00:00.000Z'));

  clock += 40 * 60_000;
  await schedule.runDue();
  clock += hour;
  await schedule.runDue();
  t.same(
    archives(),
    ['scheduled-20261204T110000000Z.tgz', 'scheduled-20261204T120000000Z.tgz'],
    'three taken, the oldest removed',
  );
  t.same(stagedLeft(), [], 'each staged copy is discarded once archived');
  const described = await schedule.describe();
  t.same(
    described.backups.map((backup) => backup.createdAt),
    [new Date('2026-12-04T11:00:00.000Z'), new Date('2026-12-04T12:00:00.000Z')],
  );
  t.ok(described.backups.every((backup) => backup.sizeBytes > 0));
});

t.test('a restarted clc keeps the rhythm from the newest archive', async (t) => {
  const schedule = scheduled();
  clock += 30 * 60_000;
  await schedule.runDue();
  t.equal(archives().length, 2, 'not due: half an hour after the newest');
  clock += 30 * 60_000;
  await schedule.runDue();
  t.equal(archives().at(-1), 'scheduled-20261204T130000000Z.tgz');
});

t.test('a failure is shown and retried one interval later', async (t) => {
  const schedule = scheduled();
  clock += hour;
  failWith = 'Walrus at https://x refused its metadata backup';
  await schedule.runDue();
  t.match(await schedule.describe(), { lastError: failWith, lastErrorAt: new Date(clock) });
  t.same(stagedLeft(), [], 'a failed backup leaves nothing staged');
  failWith = undefined;
  clock += 60_000;
  await schedule.runDue();
  t.equal(archives().at(-1), 'scheduled-20261204T130000000Z.tgz', 'no retry a minute later');
  clock += hour;
  await schedule.runDue();
  t.equal(archives().at(-1), 'scheduled-20261204T150100000Z.tgz', 'the next attempt works');
  t.notOk((await schedule.describe()).lastError, 'and clears the error');
});

t.test('another folder, and off again', async (t) => {
  const elsewhere = join(dir, 'elsewhere');
  await set('backup.schedule.dir', elsewhere);
  const schedule = scheduled();
  await schedule.runDue();
  t.equal(readdirSync(elsewhere).length, 1, 'written into the folder the property names');
  await set('backup.schedule.interval', 'off');
  clock += 10 * hour;
  await schedule.runDue();
  t.equal(readdirSync(elsewhere).length, 1, 'nothing more once off');
  t.ok(existsSync(manualBackup), 'files that are not scheduled archives are never rotated away');
});

t.test('staged backups: fetched by id and file name only, discarded once, expired after an hour', async (t) => {
  const staged = await staging.stage();
  t.match(staging.file(staged.backupId, 'walrus.sqlite'), {
    fileName: 'walrus.sqlite',
    sizeBytes: staged.parts[1]!.sizeBytes,
  });
  t.ok(existsSync(staging.file(staged.backupId, 'clc.sqlite')!.path));
  t.equal(staging.file(staged.backupId, '../clc.sqlite'), undefined, 'only the files the backup lists');
  t.equal(staging.file('0'.repeat(24), 'clc.sqlite'), undefined, 'an unknown backup has no files');
  t.ok(staging.discard(staged.backupId));
  t.notOk(staging.discard(staged.backupId), 'discarding twice finds nothing the second time');
  t.equal(staging.file(staged.backupId, 'clc.sqlite'), undefined);
  t.same(stagedLeft(), []);

  const abandoned = await staging.stage();
  clock += hour + 1;
  const next = await staging.stage();
  t.equal(staging.file(abandoned.backupId, 'clc.sqlite'), undefined, 'one never discarded expires after an hour');
  t.same(stagedLeft(), [next.backupId]);
  staging.discard(next.backupId);
});
