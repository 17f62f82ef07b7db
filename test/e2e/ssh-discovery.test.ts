import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import type { HostFacts } from '../../src/discovery/host-facts.js';
import { CommandTimeoutError } from '../../src/operators/operator.js';
import { openOperator, type SshOperator } from '../../src/operators/ssh-operator.js';
import { SudoError } from '../../src/operators/sudo.js';
import { projectRoot, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { startTestbed, type TestbedHost } from '../helpers/testbed.js';

// Three fake servers (network namespaces with their own sshd) on a bridge and /24 of this file's own.
const bed = await startTestbed(t, { hosts: 3 });
const [h1, h2, h3] = bed.hosts as [TestbedHost, TestbedHost, TestbedHost];
const work = temporaryDir('ssh-discovery');
t.teardown(() => rmSync(work, { recursive: true, force: true }));

async function discover(hosts: string, extra: string[] = []) {
  const result = await runCli('faststart', [
    'discover',
    '--hosts',
    hosts,
    '--ssh-key',
    bed.clientKey,
    '--connect-timeout',
    '10',
    ...(extra.includes('--known-hosts') ? [] : ['--known-hosts', bed.knownHosts]),
    ...extra,
  ]);
  return result;
}

function parseFacts(stdout: string): HostFacts[] {
  return JSON.parse(stdout) as HostFacts[];
}

/** What OpenSSH itself says the host's key fingerprint is. */
async function hostFingerprint(host: TestbedHost): Promise<string> {
  const result = await runCommand('ssh-keygen', ['-lf', join(host.dir, 'ssh_host_ed25519_key.pub')]);
  return result.stdout.split(' ')[1]!;
}

function open(host: TestbedHost, user = 'root'): Promise<SshOperator> {
  return openOperator(bed.hostConfig(host, { user }), { knownHostsFile: bed.knownHosts, acceptNewHostKeys: false });
}

t.test('discover --json: three hosts, each fact checked against this machine', async (t) => {
  const lastOctet = h3.address.split('.')[3];
  const started = Date.now();
  const result = await discover(`${h1.address}-${lastOctet}`, ['--json']);
  t.comment(`discovery of 3 hosts took ${Date.now() - started} ms (CLI start included)`);
  t.equal(result.code, 0, result.stderr);
  const facts = parseFacts(result.stdout);
  t.same(
    facts.map((host) => host.address),
    [h1.address, h2.address, h3.address],
    'the range expanded in order',
  );

  // The hosts share this machine's kernel: their cores and memory are this machine's.
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cores = cpuinfo.match(/^processor\s*:/gm)!.length;
  const memTotalKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
  const hasVmx = /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
  const expectedVirt = hasVmx && existsSync('/dev/kvm') ? 'kvm' : 'emulation';
  t.equal(expectedVirt, 'emulation', 'this machine has no vmx/svm, so the hosts must be seen as emulation only');

  for (const [index, host] of facts.entries()) {
    const bedHost = bed.hosts[index]!;
    t.equal(host.reachable, true, `${host.name} reachable`);
    t.equal(host.hostname, bedHost.hostname, 'its own hostname (its own uts namespace)');
    t.equal(host.cores, cores, 'cores = processors in /proc/cpuinfo');
    t.equal(host.memoryMiB?.total, Math.floor(memTotalKiB / 1024), 'memory = MemTotal of /proc/meminfo');
    t.equal(host.virtualization, expectedVirt);
    t.same(
      host.interfaces,
      [{ name: 'eth0', addresses: [{ address: bedHost.address, prefixLength: 24, subnet: bed.subnet }] }],
      'its address in the test subnet',
    );
    t.same(host.defaultRoute, { gateway: bed.gateway, interface: 'eth0' });
    t.ok(host.listeningPorts?.includes(22), 'sshd listens on 22');
    t.equal(host.systemdIsPid1, false, 'PID 1 in the host is sshd, not systemd');
    t.match(host, { pid1: 'sshd', bootStarter: 'none' }, 'and nothing there runs boot scripts');
    t.same(host.root, { user: 'root', viaSudo: false, works: true });
    t.ok(Math.abs(host.clockOffsetSeconds ?? 99) < 0.5, `same clock: offset ${host.clockOffsetSeconds} s`);
    t.ok((host.dataDirFreeGiB ?? 0) > 0, 'free space where the data will go');
    t.equal(host.packageManager, 'apt-get');
    t.equal(host.os?.id, readFileSync('/etc/os-release', 'utf8').match(/^ID=(.*)$/m)![1]);
  }
});

t.test('discover --config: the hosts and their SSH settings come from a cloud.yaml', async (t) => {
  const cloudYaml = join(work, 'cloud.yaml');
  const host = (h: TestbedHost) =>
    `  - name: ${h.name}\n    address: ${h.address}\n    ssh:\n      key: ${bed.clientKey}\n`;
  writeFileSync(
    cloudYaml,
    `name: bed\nhosts:\n${host(h1)}${host(h2)}zones:\n  - name: zone-a\n` +
      'components:\n  - component: clc\n    host: h1\n  - component: walrus\n    host: h1\n' +
      '  - component: cc\n    host: h1\n    zone: zone-a\n  - component: nc\n    host: h2\n    zone: zone-a\n',
  );
  const result = await runCli('faststart', [
    'discover',
    '--config',
    cloudYaml,
    '--known-hosts',
    bed.knownHosts,
    '--json',
  ]);
  t.equal(result.code, 0, result.stderr + result.stdout);
  const facts = parseFacts(result.stdout);
  t.same(
    facts.map((host) => [host.name, host.address, host.reachable, host.hostname]),
    [
      ['h1', h1.address, true, h1.hostname],
      ['h2', h2.address, true, h2.hostname],
    ],
  );
});

t.test('an unreachable address is reported while the other hosts are still discovered', async (t) => {
  const result = await discover(`${h1.address},${bed.unusedAddress},${h3.address}`);
  t.equal(result.code, 1, 'exit 1: a host could not be inspected');
  const lines = result.stdout.split('\n');
  t.match(
    lines[0],
    /^HOST\s+OS\s+CORES\s+MEMORY\s+VIRT\s+FREE DISK\s+ADDRESSES\s+CLOCK SKEW\s+LIBVIRT\s+AT BOOT\s+PROBLEMS/,
  );
  t.match(lines[1], new RegExp(`^${h1.address}\\s+Debian.*${h1.address}/24.*nothing \\(PID 1: sshd\\)`));
  t.match(lines[2], new RegExp(`^${bed.unusedAddress}\\s+-.*unreachable$`));
  t.match(lines[3], new RegExp(`^${h3.address}\\s+Debian.*${h3.address}/24`));
  t.match(result.stdout, new RegExp(`${bed.unusedAddress}: Could not connect to ${bed.unusedAddress}: .*Check`));
  t.match(result.stdout, '2 of 3 hosts reachable.');
});

t.test('an unknown host key is refused without --accept-new-host-keys and recorded with it', async (t) => {
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, '');
  const fingerprint = await hostFingerprint(h1);

  const refused = await discover(h1.address, ['--known-hosts', knownHosts, '--json']);
  t.equal(refused.code, 1);
  const [facts] = parseFacts(refused.stdout);
  t.equal(facts?.reachable, false);
  t.match(facts?.error, `The host key of ${h1.address} is not in ${knownHosts}: ssh-ed25519 ${fingerprint}.`);
  t.match(facts?.error, 'There is no terminal to confirm it on.');
  t.match(facts?.error, '--accept-new-host-keys', 'the hint says how to accept it');
  t.equal(readFileSync(knownHosts, 'utf8'), '', 'nothing recorded');

  const accepted = await discover(h1.address, ['--known-hosts', knownHosts, '--json', '--accept-new-host-keys']);
  t.equal(accepted.code, 0, accepted.stderr);
  t.equal(parseFacts(accepted.stdout)[0]?.reachable, true);
  const hostKey = readFileSync(join(h1.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  t.equal(readFileSync(knownHosts, 'utf8'), `${h1.address} ${hostKey}\n`, 'known_hosts gained the entry');
  const openssh = await runCommand('ssh-keygen', ['-F', h1.address, '-f', knownHosts]);
  t.equal(openssh.code, 0, 'OpenSSH finds the entry too');

  const again = await discover(h1.address, ['--known-hosts', knownHosts, '--json']);
  t.equal(again.code, 0, 'now known: no flag needed');
});

/**
 * Runs `faststart discover` on a pseudo-terminal (util-linux `script`), answering each host-key question as it
 * appears: `answers` maps a host address to y or n.
 */
const escape = String.fromCharCode(27);

function discoverOnTerminal(args: string[], answers: Record<string, 'y' | 'n'>) {
  const command = [process.execPath, join(projectRoot, 'bin', 'faststart.js'), 'discover', ...args].join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const asked = new Set<string>();
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const [, host] of output.matchAll(/authenticity of host (\S+) can't/g)) {
      if (asked.has(host!)) continue;
      asked.add(host!);
      child.stdin.write(`${answers[host!] ?? 'n'}\r`);
    }
  });
  const killer = setTimeout(() => child.kill(), 60_000);
  return new Promise<{ code: number | null; output: string; asked: string[] }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      // Colours and the prompt's line wrapping out, so the text reads as written.
      const text = output.replace(new RegExp(`${escape}\\[[0-9;]*[A-Za-z]`, 'g'), '').replace(/\r\n(?=\S)/g, '');
      resolve({ code, output: text, asked: [...asked] });
    }),
  );
}

t.test('on a terminal, an unknown host key is asked about: yes records it, no refuses the host', async (t) => {
  const knownHosts = join(work, 'known_hosts_interactive');
  writeFileSync(knownHosts, '');
  const result = await discoverOnTerminal(
    ['--hosts', `${h1.address},${h3.address}`, '--ssh-key', bed.clientKey, '--known-hosts', knownHosts],
    { [h1.address]: 'y', [h3.address]: 'n' },
  );
  t.same(result.asked.sort(), [h1.address, h3.address].sort(), 'one question per host');
  t.match(result.output, `Its ssh-ed25519 key fingerprint is ${await hostFingerprint(h1)}.`);
  t.equal(result.code, 1, 'exit 1: one host was refused');
  const hostKey = readFileSync(join(h1.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  t.equal(readFileSync(knownHosts, 'utf8'), `${h1.address} ${hostKey}\n`, 'only the accepted key was recorded');
  t.match(result.output, new RegExp(`${h1.address}\\s+Debian`), 'the accepted host was discovered');
  t.match(result.output, `${h3.address}: The host key of ${h3.address} is not in ${knownHosts}`);
  t.match(result.output, 'It was not accepted.');
});

t.test('the SSH operator: files land atomically with their mode, output streams, timeouts kill', async (t) => {
  const operator = await open(h1);
  t.teardown(() => operator.close());

  await operator.writeFile('/root/secrets/cloud.key', 'first', { mode: 0o600 });
  await operator.writeFile('/root/secrets/cloud.key', 'second', { mode: 0o600 });
  const seen = await bed.exec(
    h1,
    'stat -c "%a %U" /root/secrets/cloud.key; cat /root/secrets/cloud.key; ls -a /root/secrets',
  );
  t.equal(seen.stdout, '600 root\nsecond.\n..\ncloud.key\n', 'mode 0600, replaced, no temp file left behind');

  const local = join(work, 'bundle.bin');
  const bytes = randomBytes(3 * 1024 * 1024);
  writeFileSync(local, bytes);
  await operator.putFile(local, '/opt/mallee/bundle.bin', { mode: 0o600 });
  const put = await bed.exec(h1, 'stat -c "%a %s" /opt/mallee/bundle.bin; sha256sum < /opt/mallee/bundle.bin');
  const sha = createHash('sha256').update(bytes).digest('hex');
  t.equal(put.stdout, `600 ${bytes.length}\n${sha}  -\n`, 'putFile: same bytes, mode 0600, parent created');
  t.equal((await operator.readFile('/root/secrets/cloud.key'))?.toString(), 'second');
  t.equal(await operator.readFile('/root/secrets/none'), undefined, 'a missing file reads as undefined');

  const chunks: string[] = [];
  const streamed = await operator.run('echo out; echo err >&2; cat; exit 3', {
    input: 'in',
    onOutput: (c) => chunks.push(c),
  });
  t.match(streamed, { exitCode: 3, stdout: 'out\nin', stderr: 'err\n' });
  t.match(chunks.join(''), /out/);
  t.match(chunks.join(''), /err/);

  const started = Date.now();
  await t.rejects(operator.run('sleep 299.5; echo never', { timeoutMs: 500 }), CommandTimeoutError);
  t.ok(Date.now() - started < 5_000, 'gave up at the timeout');
  const left = await bed.exec(h1, 'grep -l "[2]99.5" /proc/[0-9]*/cmdline 2>/dev/null; true');
  t.equal(left.stdout, '', 'the timed-out command was killed on the host');
});

t.test('a copy cut off by the connection closing fails with the loss, instead of waiting forever', async (t) => {
  const local = join(work, 'large.bin');
  writeFileSync(local, randomBytes(32 * 1024 * 1024));
  // The connection closes as the copy opens its file, a moment into it, and well into it: before the fix, ssh2 never
  // called back a copy whose file was being opened when the connection closed.
  for (const afterMs of [0, 3, 10, 60]) {
    const operator = await open(h1);
    await operator.writeFile('/opt/mallee/warm.txt', 'the SFTP session is open');
    const copying = operator.putFile(local, '/opt/mallee/large.bin');
    copying.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await operator.close();
    const outcome = await Promise.race([
      copying.then(
        () => 'copied',
        (error: Error) => error.message,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000)),
    ]);
    // A copy fast enough to finish before the close is fine too; what must never happen is no answer at all.
    t.match(outcome, /^(copied|.*The SSH connection to h1 was lost)/, `closed ${afterMs} ms into the copy: ${outcome}`);
  }
  await bed.exec(h1, 'rm -f /opt/mallee/.large.bin.mallee-* /opt/mallee/large.bin /opt/mallee/warm.txt');
});

t.test('sudo: a password or terminal wanted is detected and explained; NOPASSWD works', async (t) => {
  const setup = await bed.exec(
    h3,
    [
      'set -e',
      // Uids of their own: /tmp is shared with other test beds, whose users would otherwise have the same ones.
      'uid=47100; for u in needpw nopw needtty; do uid=$((uid + 1)); useradd -M -u $uid -d /opt/home/$u -s /bin/sh $u; usermod -p "*" $u; mkdir -p /opt/home/$u; done',
      "echo 'needpw ALL=(ALL) ALL' > /etc/sudoers.d/needpw",
      "echo 'nopw ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/nopw",
      "printf 'Defaults:needtty requiretty\\nneedtty ALL=(ALL) NOPASSWD: ALL\\n' > /etc/sudoers.d/needtty",
      'chmod 440 /etc/sudoers.d/needpw /etc/sudoers.d/nopw /etc/sudoers.d/needtty',
    ].join('\n'),
  );
  t.equal(setup.code, 0, setup.stderr);

  const result = await discover(h3.address, ['--ssh-user', 'needpw', '--json']);
  t.equal(result.code, 0, result.stderr);
  const [facts] = parseFacts(result.stdout);
  t.match(facts?.root, { user: 'needpw', viaSudo: true, works: false });
  t.match(facts?.root?.problem, `sudo on ${h3.address} asks needpw for a password`);
  t.match(facts?.root?.problem, 'needpw ALL=(ALL) NOPASSWD: ALL', 'with the line that fixes it');

  const needsPassword = await open(h3, 'needpw');
  t.teardown(() => needsPassword.close());
  const started = Date.now();
  const error = await needsPassword.check('id -u', { sudo: true }).catch((caught: unknown) => caught);
  t.ok(error instanceof SudoError, 'SudoError');
  t.match(error, { problem: 'needsPassword', hint: /NOPASSWD/ });
  t.ok(Date.now() - started < 5_000, 'refused at once, never waiting for a password');
  t.equal((await needsPassword.check('id -un')).stdout, 'needpw\n', 'commands without sudo still run');

  const needsTerminal = await open(h3, 'needtty');
  t.teardown(() => needsTerminal.close());
  const ttyError = await needsTerminal.check('id -u', { sudo: true }).catch((caught: unknown) => caught);
  t.match(ttyError, { name: 'SudoError', problem: 'needsTerminal', message: /wants a terminal \(requiretty\)/ });
  t.match(ttyError, { hint: 'Defaults:needtty !requiretty' });

  const passwordless = await open(h3, 'nopw');
  t.teardown(() => passwordless.close());
  t.equal((await passwordless.check('id -u', { sudo: true })).stdout, '0\n', 'sudo -n runs it as root');
  t.not((await passwordless.check('id -u')).stdout, '0\n', 'and only when asked');
  // Staging copies an earlier run left: nopw's cut off 20 minutes ago, nopw's still being written, another user's.
  const planted = await bed.exec(
    h3,
    [
      'set -e',
      'su nopw -c \'touch -d "20 minutes ago" /tmp/.mallee-upload-cutoff; touch /tmp/.mallee-upload-live\'',
      'su needpw -c \'touch -d "20 minutes ago" /tmp/.mallee-upload-needpw\'',
    ].join('\n'),
  );
  t.equal(planted.code, 0, planted.stderr);
  t.teardown(() => bed.exec(h3, 'rm -f /tmp/.mallee-upload-live /tmp/.mallee-upload-needpw'));
  await passwordless.writeFile('/etc/mallee-test/secret.pem', 'key', { mode: 0o600, sudo: true });
  const landed = await bed.exec(
    h3,
    'stat -c "%a %U %G" /etc/mallee-test/secret.pem; find /tmp -maxdepth 1 -name ".mallee-upload-*" \\( -user nopw -o -user needpw \\) -printf "%f\\n" | sort',
  );
  t.equal(
    landed.stdout,
    '600 root root\n.mallee-upload-live\n.mallee-upload-needpw\n',
    "written as root with mode 0600; its staging copy is gone, and so is nopw's cut-off one (others are left alone)",
  );
  t.equal(
    (await passwordless.readFile('/etc/mallee-test/secret.pem', { sudo: true }))?.toString(),
    'key',
    'read as root',
  );
  t.equal(await passwordless.readFile('/etc/mallee-test/absent.pem', { sudo: true }), undefined, 'a missing file');
  await t.rejects(passwordless.readFile('/etc/mallee-test/secret.pem'), /Permission denied/, 'not without sudo');
});

t.test('connection failures say what happened and what to do', async (t) => {
  const refused = await openOperator(bed.hostConfig(h1, { port: 2222 }), {
    knownHostsFile: bed.knownHosts,
    acceptNewHostKeys: false,
  }).catch((error: unknown) => error);
  t.match(refused, {
    name: 'SshConnectError',
    reason: 'refused',
    message: `Could not connect to ${h1.address} port 2222: the connection was refused (nothing listens there).`,
    hint: /sshd runs on the host and listens on port 2222/,
  });

  // Something that takes the TCP connection and never speaks SSH: only the connect timeout ends the wait.
  const accepted: Socket[] = [];
  const silent = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, bed.gateway, resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  const started = Date.now();
  const timedOut = await openOperator(
    { ...bed.hostConfig(h1), address: bed.gateway, ssh: { ...bed.hostConfig(h1).ssh, port: silentPort } },
    { knownHostsFile: bed.knownHosts, acceptNewHostKeys: false, connectTimeoutMs: 1_000 },
  ).catch((error: unknown) => error);
  t.match(timedOut, {
    reason: 'timeout',
    message: `Could not connect to ${bed.gateway} port ${silentPort}: no SSH answer within 1 s.`,
    hint: /firewall/,
  });
  t.ok(Date.now() - started < 5_000, 'gave up after the connect timeout');
  for (const socket of accepted) socket.destroy();
  silent.close();

  const otherKey = join(work, 'other_key');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  const wrongKey = await openOperator(bed.hostConfig(h1, { key: otherKey }), {
    knownHostsFile: bed.knownHosts,
    acceptNewHostKeys: false,
  }).catch((error: unknown) => error);
  t.match(wrongKey, {
    reason: 'auth',
    message: new RegExp(`^${h1.address} refused the login of user root \\(tried publickey`),
    hint: /authorized_keys/,
  });
});

t.test('a changed host key is refused, even with --accept-new-host-keys, with the whole story', async (t) => {
  const before = await hostFingerprint(h2);
  const knownHostsBefore = readFileSync(bed.knownHosts, 'utf8');
  await bed.regenerateHostKey(h2);
  const after = await hostFingerprint(h2);
  t.not(after, before);

  for (const extra of [[], ['--accept-new-host-keys']]) {
    const result = await discover(h2.address, ['--json', ...extra]);
    t.equal(result.code, 1);
    const [facts] = parseFacts(result.stdout);
    t.equal(facts?.reachable, false);
    t.match(
      facts?.error,
      `The host key of ${h2.address} has CHANGED: ${bed.knownHosts} line 2 holds ssh-ed25519 ${before}`,
    );
    t.match(facts?.error, `the host now presents ssh-ed25519 ${after}`);
    t.match(facts?.error, `ssh-keygen -R ${h2.address} -f ${bed.knownHosts}`);
  }
  t.equal(readFileSync(bed.knownHosts, 'utf8'), knownHostsBefore, 'known_hosts untouched');

  const connect = await open(h2).catch((error: unknown) => error);
  t.match(connect, { name: 'SshConnectError', reason: 'hostKeyChanged' }, 'the operator refuses it too');
});
