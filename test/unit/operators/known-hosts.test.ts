import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  appendKnownHost,
  checkHostKey,
  entryMatchesHost,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
  sha256Fingerprint,
} from '../../../src/operators/known-hosts.js';
import { hostKeyMessages } from '../../../src/operators/ssh-messages.js';
import { classifySudoFailure } from '../../../src/operators/sudo.js';
import { runCommand, temporaryDir } from '../../helpers/cli.js';

// Real keys made with ssh-keygen; ssh-keygen itself is the reference for fingerprints and hashed names below.
const keyA = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILeSorPM+Cl7cBn4WL6/xm3UGEBihKN3AxZnQ89moO7x';
const keyB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlFUVMt3q8eDE9GMyFVOCeewJkuXZSe593fD6InZ54U';
const keyC =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC3KhFz9ksQJCIvpJ3mPit39pBmT+JQpcR4tw2LdfFhZdkTgkcNpbpMwvRWu0UcYkJY83sMl3pYO65fMTD3o9xg=';
function scratchDir(t: Test): string {
  const dir = temporaryDir('known-hosts');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const blob = (line: string) => Buffer.from(line.split(' ')[1]!, 'base64');

t.test('fingerprints are exactly what ssh-keygen -l prints', async (t) => {
  const dir = scratchDir(t);
  for (const key of [keyA, keyB, keyC]) {
    writeFileSync(join(dir, 'key.pub'), `${key} test\n`);
    const openssh = await runCommand('ssh-keygen', ['-lf', join(dir, 'key.pub')]);
    t.equal(openssh.code, 0);
    t.equal(sha256Fingerprint(blob(key)), openssh.stdout.split(' ')[1], key.split(' ')[0]!);
  }
  t.equal(sha256Fingerprint(blob(keyA)), 'SHA256:DRVUUstQxCPg6NXrgSIuy5JMLsmX3vDeUW2X0z3y/Es');
  t.notMatch(sha256Fingerprint(blob(keyA)), /=$/, 'no base64 padding, like OpenSSH');
  t.equal(keyTypeOfBlob(blob(keyC)), 'ecdsa-sha2-nistp256', 'the type is read from the blob itself');
});

t.test('plain entries: lists, wildcards, negation, [host]:port, markers and comments', async (t) => {
  const entries = parseKnownHosts(
    [
      '# a comment',
      '',
      `10.0.0.5,web1 ${keyA}`,
      `[10.0.0.6]:2222 ${keyB} with a comment`,
      `*.lab,!bad.lab ${keyA}`,
      `@revoked 10.0.0.9 ${keyB}`,
      `@cert-authority *.lab ${keyC}`,
      'garbage',
    ].join('\n'),
  );
  t.equal(entries.length, 5, 'comments, blank and short lines are skipped');
  t.same(
    entries.map((entry) => entry.line),
    [3, 4, 5, 6, 7],
    'line numbers are 1-based file lines',
  );
  const [list, ported, wildcard] = entries;
  t.ok(entryMatchesHost(list!, '10.0.0.5', 22));
  t.ok(entryMatchesHost(list!, 'WEB1', 22), 'host names match case-insensitively');
  t.notOk(entryMatchesHost(list!, '10.0.0.5', 2222), 'a non-22 port needs the [host]:port form');
  t.ok(entryMatchesHost(ported!, '10.0.0.6', 2222));
  t.notOk(entryMatchesHost(ported!, '10.0.0.6', 22));
  t.ok(entryMatchesHost(wildcard!, 'db.lab', 22));
  t.notOk(entryMatchesHost(wildcard!, 'bad.lab', 22), 'a negated pattern wins');
  t.notOk(entryMatchesHost(wildcard!, 'db.lab.evil', 22), 'wildcards are anchored');
  t.equal(entries[3]!.marker, '@revoked');
});

t.test('hashed entries written by ssh-keygen -H are matched, for port 22 and [host]:port', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'known_hosts');
  writeFileSync(file, `10.250.0.11 ${keyA}\n[10.250.0.12]:2222 ${keyB}\n`);
  const hashed = await runCommand('ssh-keygen', ['-H', '-f', file]);
  t.equal(hashed.code, 0, hashed.stderr);
  const entries = readKnownHosts(file);
  t.ok(
    entries.every((entry) => entry.patterns.startsWith('|1|')),
    'the file now holds only hashed names',
  );
  t.equal(checkHostKey(entries, '10.250.0.11', 22, blob(keyA)).status, 'known');
  t.equal(checkHostKey(entries, '10.250.0.12', 2222, blob(keyB)).status, 'known');
  t.equal(checkHostKey(entries, '10.250.0.12', 22, blob(keyB)).status, 'unknown', 'other port, other name');
  t.equal(checkHostKey(entries, '10.250.0.13', 22, blob(keyA)).status, 'unknown');
  t.match(checkHostKey(entries, '10.250.0.11', 22, blob(keyB)), { status: 'changed', line: 1 });
});

t.test('verdicts: known, changed (same type, other key), unknown (other types only), revoked', async (t) => {
  const entries = parseKnownHosts(`# hosts\n10.0.0.5 ${keyA}\n10.0.0.7 ${keyC}\n@revoked 10.0.0.9 ${keyB}\n`);
  t.same(checkHostKey(entries, '10.0.0.5', 22, blob(keyA)), { status: 'known', line: 2 });
  t.same(checkHostKey(entries, '10.0.0.5', 22, blob(keyB)), {
    status: 'changed',
    line: 2,
    knownKeyType: 'ssh-ed25519',
    knownFingerprint: sha256Fingerprint(blob(keyA)),
  });
  t.same(
    checkHostKey(entries, '10.0.0.7', 22, blob(keyA)),
    { status: 'unknown', otherKeyTypes: ['ecdsa-sha2-nistp256'] },
    'an ed25519 key for a host known only by ecdsa is new, not changed (as in ssh)',
  );
  t.same(checkHostKey(entries, '10.0.0.9', 22, blob(keyB)), { status: 'revoked', line: 4 });
  t.same(knownKeyTypes(entries, '10.0.0.7', 22), ['ecdsa-sha2-nistp256']);
});

t.test('an appended key is found by ssh-keygen -F and by us, and the file stays 0600', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'ssh', 'known_hosts');
  appendKnownHost(file, '10.0.0.5', 22, blob(keyA));
  writeFileSync(file, `${readFileSync(file, 'utf8')}# no newline at the end`);
  appendKnownHost(file, '10.0.0.6', 2222, blob(keyB));
  const lines = readFileSync(file, 'utf8').split('\n');
  t.equal(lines[0], `10.0.0.5 ${keyA}`);
  t.equal(lines[2], `[10.0.0.6]:2222 ${keyB}`, 'a missing final newline is added before appending');
  const found = await runCommand('ssh-keygen', ['-F', '[10.0.0.6]:2222', '-f', file]);
  t.equal(found.code, 0, 'ssh-keygen finds the entry');
  t.equal(checkHostKey(readKnownHosts(file), '10.0.0.6', 2222, blob(keyB)).status, 'known');
  t.equal((await runCommand('stat', ['-c', '%a', file])).stdout.trim(), '600');
});

t.test('the changed-key message names host, file, line, both fingerprints and ssh-keygen -R', async (t) => {
  const presented = { host: '10.0.0.6', port: 2222, keyType: 'ssh-ed25519', fingerprint: 'SHA256:new' };
  const text = hostKeyMessages.changed(presented, '/k/known_hosts', 7, 'ssh-ed25519', 'SHA256:old');
  t.match(text.message, /10\.0\.0\.6 port 2222 has CHANGED: \/k\/known_hosts line 7 holds ssh-ed25519 SHA256:old/);
  t.match(text.message, /now presents ssh-ed25519 SHA256:new/);
  t.match(text.hint, "ssh-keygen -R '[10.0.0.6]:2222' -f /k/known_hosts");
});

t.test('sudo failures are told apart by what sudo prints', async (t) => {
  t.equal(classifySudoFailure(1, 'sudo: a password is required\n'), 'needsPassword');
  t.equal(
    classifySudoFailure(
      1,
      'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper',
    ),
    'needsTerminal',
  );
  t.equal(classifySudoFailure(1, 'sudo: sorry, you must have a tty to run sudo'), 'needsTerminal');
  t.equal(classifySudoFailure(127, 'sh: 1: sudo: not found'), 'missing');
  t.equal(classifySudoFailure(1, 'deploy is not in the sudoers file.'), 'notAllowed');
});
