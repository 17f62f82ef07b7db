import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fetchBackupPart, type CreateBackupAnswer } from '../../../src/cloud/backup.js';
import type { CloudFile } from '../../../src/cloud/cloud-file.js';
import { temporaryDir } from '../../helpers/cli.js';

// `cloudctl upgrade` backs up the cloud it is about to upgrade, whose clc may be from before streamed backups: that
// clc answers CreateBackup with no id and each file's bytes in base64. They are written and checked like a download.
// (Fetching from a current clc is driven for real in test/service/cloudctl-backup.test.ts.)
const dir = temporaryDir('backup-parts');
const cloud = { endpoints: { admin: 'https://127.0.0.1:9/services/admin' } } as unknown as CloudFile;
const bytes = Buffer.from('SQLite format 3\0 a database, as an older clc sent it');
const sha256 = createHash('sha256').update(bytes).digest('hex');
const entry = { component: 'clc' as const, engine: 'sqlite' as const, fileName: 'clc.sqlite', sizeBytes: bytes.length };
const legacy = (data: string) => {
  const part = { ...entry, sha256, data };
  const answer: CreateBackupAnswer = { createdAt: new Date(), parts: [part] };
  return { answer, part };
};

t.test("an older clc's inline part is written, mode 0600", async (t) => {
  const { answer, part } = legacy(bytes.toString('base64'));
  const destination = join(dir, 'clc.sqlite');
  await fetchBackupPart(cloud, answer, part, destination);
  t.same(readFileSync(destination), bytes);
  t.equal(statSync(destination).mode & 0o777, 0o600, 'backups hold secret keys');
});

t.test('an inline part whose bytes do not match its checksum is refused', async (t) => {
  const { answer, part } = legacy(Buffer.from('something else').toString('base64'));
  await t.rejects(fetchBackupPart(cloud, answer, part, join(dir, 'damaged.sqlite')), {
    message: 'clc.sqlite arrived damaged (checksum differs).',
  });
});
