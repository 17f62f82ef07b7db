import { join } from 'node:path';
import t from 'tap';
import { configDriveFiles, writeConfigDrive } from '../../../services/nc/config-drive.js';
import { runCommand, temporaryDir } from '../../helpers/cli.js';

const input = {
  instanceId: 'i-0123456789abcdef0',
  hostname: 'i-0123456789abcdef0',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@laptop\n',
  userData: Buffer.from('#!/bin/sh\necho hello from user data\n').toString('base64'),
};

t.test('meta-data names the instance and its key; user-data is decoded from base64', async (t) => {
  const files = configDriveFiles(input);
  t.equal(
    files['meta-data'],
    'instance-id: "i-0123456789abcdef0"\nlocal-hostname: "i-0123456789abcdef0"\npublic-keys:\n' +
      '  - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@laptop"\n',
  );
  t.equal(files['user-data'].toString(), '#!/bin/sh\necho hello from user data\n');
  const bare = configDriveFiles({ instanceId: 'i-1', hostname: 'h' });
  t.notMatch(bare['meta-data'], /public-keys/);
  t.equal(bare['user-data'].length, 0, 'user-data is there even when empty');
});

t.test('the ISO is labelled cidata and holds both files', async (t) => {
  const iso = join(temporaryDir('nc-cidata'), 'cidata.iso');
  await writeConfigDrive(iso, input);
  const header = await runCommand('isoinfo', ['-d', '-i', iso]);
  t.equal(header.code, 0, header.stderr);
  t.match(header.stdout, /Volume id: cidata/);
  const listing = await runCommand('isoinfo', ['-J', '-f', '-i', iso]);
  t.same(listing.stdout.trim().split('\n').sort(), ['/meta-data', '/user-data']);
  const userData = await runCommand('isoinfo', ['-J', '-i', iso, '-x', '/user-data']);
  t.equal(userData.stdout, '#!/bin/sh\necho hello from user data\n');
  const metaData = await runCommand('isoinfo', ['-J', '-i', iso, '-x', '/meta-data']);
  t.match(metaData.stdout, /^instance-id: "i-0123456789abcdef0"$/m);
});
