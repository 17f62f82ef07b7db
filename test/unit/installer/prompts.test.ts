import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { projectRoot, temporaryDir } from '../../helpers/cli.js';
import { keys, runInPty, type PtyResult } from '../../helpers/pty.js';

/** The prompts run in a child process on a real pseudo-terminal, answered key by key as a person would. */
const entry = join(projectRoot, 'test/fixtures/installer/prompt-entry.ts');
const run = (scenario: string, steps: { expect: string; send: string }[], env: NodeJS.ProcessEnv = {}) =>
  runInPty([process.execPath, '--import', 'tsx', entry, scenario], steps, { cwd: projectRoot, env });
const erase = (count: number) => keys.backspace.repeat(count);

function resultOf(t: Test, outcome: PtyResult): Record<string, unknown> {
  t.ok(outcome.ok, outcome.error ?? 'every prompt appeared and the program ended');
  t.equal(outcome.exitCode, 0);
  const line = /^RESULT (.*)$/m.exec(outcome.transcript)?.[1];
  if (!line) {
    t.fail(`no RESULT line in:\n${outcome.transcript}`);
    return {};
  }
  return JSON.parse(line) as Record<string, unknown>;
}

t.test('askInventory: ranges, a user with sudo and a key file, each answer checked before the next', async (t) => {
  const home = temporaryDir('prompt-home');
  mkdirSync(join(home, '.ssh'));
  const key = join(home, '.ssh', 'id_ed25519');
  writeFileSync(key, 'not really a key\n', { mode: 0o600 });
  const outcome = await run(
    'inventory',
    [
      { expect: 'Servers to install on', send: `10.0.0.9-5${keys.enter}` },
      { expect: 'The range "10.0.0.9-5" runs backwards. Put the lower address first', send: erase(10) },
      { expect: 'Servers to install on', send: `10.250.0.11-13,node4.example.net${keys.enter}` },
      { expect: 'SSH user on the servers:', send: `deploy${keys.enter}` },
      { expect: 'How should the installer log in?', send: keys.enter },
      { expect: 'Path to the private key:', send: `/nonexistent/key${keys.enter}` },
      { expect: 'There is no file at /nonexistent/key.', send: erase(16) },
      // Enter on an empty answer takes the default, the first key found in ~/.ssh, which comes back expanded.
      { expect: 'Path to the private key: (~/.ssh/id_ed25519)', send: keys.enter },
      { expect: 'deploy is not root: use sudo on the servers to act as root?', send: keys.enter },
    ],
    { HOME: home },
  );
  const ssh = { user: 'deploy', key, sudo: true };
  t.strictSame(resultOf(t, outcome), {
    hosts: [
      { name: 'h1', address: '10.250.0.11', ssh },
      { name: 'h2', address: '10.250.0.12', ssh },
      { name: 'h3', address: '10.250.0.13', ssh },
      { name: 'node4', address: 'node4.example.net', ssh },
    ],
    ssh,
  });
});

t.test('askInventory: root with a password asks no sudo question and never echoes the password', async (t) => {
  const outcome = await run('inventory', [
    { expect: 'Servers to install on', send: `10.250.0.11${keys.enter}` },
    { expect: 'SSH user on the servers:', send: keys.enter },
    { expect: 'How should the installer log in?', send: keys.down + keys.down + keys.enter },
    { expect: 'SSH password:', send: `s3cret-pw${keys.enter}` },
  ]);
  t.strictSame(resultOf(t, outcome), {
    hosts: [{ name: 'h1', address: '10.250.0.11', ssh: { user: 'root' } }],
    ssh: { user: 'root', sudo: false, password: 's3cret-pw' },
  });
  const screen = outcome.transcript.slice(0, outcome.transcript.indexOf('RESULT'));
  t.notMatch(screen, /s3cret-pw/, 'the password is not on screen');
  t.match(screen, /SSH password: \*{9}/);
  t.notMatch(screen, /sudo/);
});

t.test(
  'reviewPlacement: shows reasons and problems, refuses to accept errors silently, edits until accepted',
  async (t) => {
    const outcome = await run('review-three', [
      { expect: 'What now?', send: keys.enter },
      { expect: 'The plan has 1 error; the install will stop on it. Accept it anyway?', send: `n${keys.enter}` },
      { expect: 'What now?', send: keys.down + keys.down + keys.enter },
      { expect: 'Exclude which host?', send: keys.down + keys.enter },
      { expect: 'Problems: 0 errors, 1 warning', send: '' },
      { expect: 'What now?', send: keys.down + keys.enter },
      { expect: 'Which component?', send: keys.enter },
      { expect: 'Move the clc to which host?', send: keys.enter },
      { expect: 'clc on h1: moved there by you', send: '' },
      { expect: 'What now?', send: keys.down.repeat(3) + keys.enter },
      { expect: 'Rename which zone?', send: keys.enter },
      { expect: 'New name for zone-a:', send: `West Zone${keys.enter}` },
      { expect: 'Not done: "West Zone" cannot name a zone.', send: erase(9) + `west${keys.enter}` },
      { expect: 'cc of west on h1', send: '' },
      { expect: 'What now?', send: keys.enter },
    ]);
    t.strictSame(resultOf(t, outcome), {
      accepted: true,
      components: ['clc h1', 'walrus h3', 'cc@west h1', 'sc@west h3', 'nc@west h1', 'nc@west h3'],
      zones: ['west'],
      excluded: ['h2'],
    });
    const screen = outcome.transcript;
    t.match(screen, /Plan for cloud "lab": 2 hosts, 1 zone/);
    t.match(screen, /h2 {4}10\.250\.0\.12 .*\(unreachable\)/);
    t.match(screen, /h2 {4}10\.250\.0\.12 .*\(excluded\)/);
    t.match(screen, /h3 {4}10\.250\.0\.13 +8 +31\.3 GiB +150 GiB +emulation +clc, cc, nc/);
    t.match(screen, /zone-a +10\.250\.0\.0\/24 +h3 +h1 +h1, h3/);
    t.match(screen, /error {4}h2: h2 \(10\.250\.0\.12\) could not be reached: connect ECONNREFUSED 10\.250\.0\.12:22/);
    t.match(screen, /fix: Check that `ssh USER@10\.250\.0\.12` works/);
    t.match(screen, /warning {2}h3: no KVM on h3: instances will run under software emulation/);
    t.match(screen, /clc on h3: the hypervisor offering instances least/);
  },
);

t.test('reviewPlacement: a refused move is explained and the plan kept; abort returns it unaccepted', async (t) => {
  const outcome = await run('review-six', [
    { expect: 'What now?', send: keys.down + keys.enter },
    // clc, walrus, cc of zone-a, sc of zone-a, cc of zone-b
    { expect: 'Which component?', send: keys.down.repeat(4) + keys.enter },
    { expect: 'Move the cc of zone-b to which host?', send: keys.enter },
    { expect: 'Not done: h1 is not on the subnet of zone "zone-b"', send: '' },
    { expect: 'What now?', send: keys.down + keys.enter },
    { expect: 'Which component?', send: keys.down.repeat(6) + keys.enter },
    { expect: 'What now?', send: keys.down.repeat(4) + keys.enter },
  ]);
  const result = resultOf(t, outcome);
  t.equal(result.accepted, false);
  t.strictSame((result.components as string[]).slice(0, 2), ['clc h1', 'walrus h2']);
  t.ok((result.components as string[]).includes('cc@zone-b h4'), 'the refused move changed nothing');
  t.match(outcome.transcript, /Pick a host of zone "zone-b"\./);
});
