import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { AddNodeResult } from '../../src/operations/node-add.js';
import type { NodeRow, RemoveResult } from '../../src/operations/nodes.js';
import { callPeer } from '../../src/runtime/peer-client.js';
import { runCli, runCliWatching, runCommand, temporaryDir } from '../helpers/cli.js';
import { installerEnv } from '../helpers/installer.js';
import { startTestbed, type TestbedHost } from '../helpers/testbed.js';

// cloudctl nodes add and remove on a cloud `faststart install` put on three test-bed hosts over real SSH (h1: clc,
// cc, nc; h2: walrus, nc; h3: nc): a fourth host joins as a node, runs an instance, and leaves for good.
t.setTimeout(10 * 60_000);

const bed = await startTestbed(t, { hosts: 4 });
const [h1, h2, h3, h4] = bed.hosts as [TestbedHost, TestbedHost, TestbedHost, TestbedHost];
const dir = temporaryDir('nodes-multi');
const name = `nm${process.pid}`;
const home = join(dir, 'home');
const env = installerEnv(home);
const dataDir = '/var/lib/mallee-nodes-test';
const hostEntry = (host: TestbedHost) =>
  `  - name: ${host.name}\n    address: ${host.address}\n    ssh:\n      user: root\n      key: ${bed.clientKey}\n`;
const configFile = join(dir, 'cloud.yaml');
writeFileSync(
  configFile,
  `name: ${name}
dataDir: ${dataDir}
hosts:
${[h1, h2, h3].map(hostEntry).join('')}zones:
  - name: zone-a
components:
  - { component: clc, host: h1 }
  - { component: cc, host: h1, zone: zone-a }
  - { component: nc, host: h1, zone: zone-a, hypervisor: 'test:///default' }
  - { component: walrus, host: h2 }
  - { component: nc, host: h2, zone: zone-a, hypervisor: 'test:///default' }
  - { component: nc, host: h3, zone: zone-a, hypervisor: 'test:///default' }
`,
);
const sshFlags = ['--known-hosts', bed.knownHosts, '--ssh-key', bed.clientKey];
const installed = await runCli(
  'faststart',
  ['install', '--config', configFile, '--yes', '--no-smoke-test', ...sshFlags],
  { env },
);
t.teardown(async () => {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts], {
    env,
  });
  rmSync(dir, { recursive: true, force: true });
});

const cloudctl = (...args: string[]) => runCli('cloudctl', [...args, '--cloud', name], { env });
async function ok<T>(...args: string[]): Promise<T> {
  const result = await cloudctl(...args, '--json');
  if (result.code !== 0) {
    throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}
const nodes = () => ok<NodeRow[]>('nodes', 'list');
const recorded = () =>
  JSON.parse(readFileSync(join(home, name, 'install.json'), 'utf8')) as {
    cloud: { hosts: { name: string }[]; components: { component: string; host: string; zone?: string }[] };
  };
const planFile = join(home, name, 'cloud.yaml');
const stepTimes = (hosts: AddNodeResult['hosts']) =>
  hosts
    .map((host) => `${host.name}: ${host.steps.map((step) => `${step.name} ${step.seconds}`).join(', ')}`)
    .join('; ');
const addH4 = [
  'nodes',
  'add',
  h4.address,
  '--name',
  'h4',
  '--zone',
  'zone-a',
  '--hypervisor',
  'test:///default',
  '--yes',
  '--json',
];

t.test('the cloud is installed on three hosts', async (t) => {
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
});

t.test('status over SSH: a stopped daemon on h2 makes it exit 5 and name it, until it is started', async (t) => {
  t.equal((await cloudctl('status')).code, 0, 'healthy at first');
  await ok('services', 'stop', 'walrus', '--yes');
  const stopped = await cloudctl('status', '--json');
  t.equal(stopped.code, 5, 'unhealthy');
  const problems = (JSON.parse(stopped.stdout) as { problems: string[] }).problems;
  t.ok(
    problems.some((problem) => /walrus on h2 is stopped/.test(problem)),
    problems.join('\n'),
  );
  await ok('services', 'start', 'walrus');
  t.equal((await cloudctl('status')).code, 0, 'healthy again');
});

t.test("debug bundle: every host's logs, configs and facts, and no secret", async (t) => {
  const output = join(dir, 'support.tgz');
  await ok('debug', 'bundle', '--output', output, ...sshFlags);
  const unpacked = join(dir, 'support');
  mkdirSync(unpacked);
  const untar = await runCommand('tar', ['-xzf', output, '-C', unpacked]);
  t.equal(untar.code, 0, untar.stderr);
  const [root] = readdirSync(unpacked);
  const expected: [TestbedHost, string[]][] = [
    [h1, ['clc', 'cc-zone-a', 'nc-h1', 'supervisor']],
    [h2, ['walrus', 'nc-h2', 'supervisor']],
    [h3, ['nc-h3', 'supervisor']],
  ];
  for (const [host, logs] of expected) {
    for (const log of logs) {
      t.ok(statSync(join(unpacked, root!, host.name, 'logs', `${log}.log`)).size > 0, `${host.name}: ${log}.log`);
    }
    t.equal(
      JSON.parse(readFileSync(join(unpacked, root!, host.name, 'facts.json'), 'utf8')).reachable,
      true,
      `${host.name}: discovery facts`,
    );
  }
  const cloud = JSON.parse(readFileSync(join(home, name, 'cloud.json'), 'utf8'));
  const hostKey = (await bed.exec(h2, `cat /etc/mallee/${name}/tls/host-key.pem`)).stdout;
  const forbidden = [
    cloud.credentials.secretAccessKey,
    'PRIVATE KEY-----',
    ...hostKey.split('\n').filter((line) => line && !line.startsWith('-----')),
  ];
  t.ok(forbidden.length > 3, "h2's host key was read");
  const files = (await runCommand('find', [unpacked, '-type', 'f'])).stdout.trim().split('\n');
  const leaks = files.filter((file) => {
    const text = readFileSync(file, 'utf8');
    return forbidden.some((secret) => text.includes(secret));
  });
  t.same(leaks, [], `no secret in any of ${files.length} files`);
});

t.test("nodes add refuses a host whose SSH key is not known, showing the key's fingerprint", async (t) => {
  const partial = join(dir, 'known_hosts_without_h4');
  writeFileSync(
    partial,
    readFileSync(bed.knownHosts, 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith(`${h4.address} `))
      .join('\n'),
  );
  const refused = await cloudctl(...addH4.slice(0, -1), '--known-hosts', partial, '--ssh-key', bed.clientKey);
  t.equal(refused.code, 1, 'exit 1');
  t.match(refused.stderr, new RegExp(`host key of ${h4.address.replace(/\./g, '\\.')}.*SHA256:`));
  t.match(refused.stderr, /--accept-new-host-keys/);
  t.notOk(
    recorded().cloud.hosts.some((host) => host.name === 'h4'),
    'the plan is unchanged',
  );
});

t.test('nodes add h4: discovered, deployed with the installer steps, reachable from the cc', async (t) => {
  // h4 is reached on another SSH port than the others: a second sshd of its own on 2222, its key recorded for that
  // port as ssh does (`[address]:2222`). Every later command reaches h4 there, as install.json says.
  const second = await bed.exec(
    h4,
    `/usr/sbin/sshd -f ${h4.dir}/sshd_config -p 2222 -o PidFile=/run/sshd-2222.pid && ` +
      `for try in $(seq 100); do ssh-keyscan -T 1 -p 2222 ${h4.address} >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`,
  );
  t.equal(second.code, 0, `sshd on port 2222 answers: ${second.stderr}`);
  const knownH4 = readFileSync(bed.knownHosts, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${h4.address} `));
  writeFileSync(
    bed.knownHosts,
    `${readFileSync(bed.knownHosts, 'utf8').trimEnd()}\n${knownH4.map((line) => `[${h4.address}]:2222${line.slice(h4.address.length)}`).join('\n')}\n`,
  );
  const result = await cloudctl(...addH4, '--ssh-port', '2222', ...sshFlags);
  t.equal(result.code, 0, result.code === 0 ? 'exit 0' : result.stdout + result.stderr);
  const added = JSON.parse(result.stdout) as AddNodeResult;
  t.comment(`nodes add: ${added.seconds} s; ${stepTimes(added.hosts)}`);
  t.match(added, {
    host: 'h4',
    address: h4.address,
    zone: 'zone-a',
    hypervisor: 'test:///default',
    virtualization: 'simulated',
    node: { nodeName: 'nc-h4', host: 'h4', reachable: true },
  });
  t.same(
    added.hosts.map((host) => host.name),
    ['h1', 'h2', 'h3', 'h4'],
  );
  const changed = (host: string) =>
    added.hosts
      .find((report) => report.name === host)!
      .steps.filter((step) => step.outcome === 'changed')
      .map((step) => step.name);
  t.same(changed('h2'), [], 'h2 had nothing to do');
  t.same(changed('h3'), [], 'h3 had nothing to do');
  t.ok(changed('h1').includes('config'), "h1's cc got the new node in its config");
  t.ok(changed('h4').includes('bundle') && changed('h4').includes('start'), 'h4 got the release and its nc');
  t.ok(
    recorded().cloud.components.some((c) => c.component === 'nc' && c.host === 'h4' && c.zone === 'zone-a'),
    'install.json has nc-h4',
  );
  t.equal(
    (recorded().cloud.hosts as { name: string; ssh?: { port?: number } }[]).find((host) => host.name === 'h4')?.ssh
      ?.port,
    2222,
    "and h4's SSH port",
  );
  t.same(added.planFiles, [join(home, name, 'install.json'), planFile], 'and a cloud.yaml beside cloud.json');
  t.match(readFileSync(planFile, 'utf8'), /- name: h4\n\s+address: /);
  t.same(
    (await nodes()).map((node) => [node.nodeName, node.reachable]),
    [
      ['nc-h1', true],
      ['nc-h2', true],
      ['nc-h3', true],
      ['nc-h4', true],
    ],
  );

  const again = await cloudctl(...addH4, ...sshFlags);
  t.equal(again.code, 0, again.code === 0 ? 'exit 0' : again.stdout + again.stderr);
  const repaired = JSON.parse(again.stdout) as AddNodeResult;
  t.same(
    repaired.hosts.flatMap((host) => host.steps.filter((step) => step.outcome === 'changed')),
    [],
    'running it again finds the node in place: nothing to do on any host',
  );
});

let instanceId = '';
t.test('an instance runs on h4 once the other nodes are drained', async (t) => {
  for (const host of ['h1', 'h2', 'h3']) await ok('nodes', 'drain', host, '--wait', '0');
  const files = join(dir, 'image');
  rmSync(files, { recursive: true, force: true });
  mkdirSync(files);
  writeFileSync(join(files, 'disk.img'), Buffer.alloc(64 * 1024));
  writeFileSync(join(files, 'vmlinuz'), 'a kernel');
  writeFileSync(join(files, 'initrd.img'), 'a ramdisk');
  const image = await ok<{ imageId: string }>(
    'images',
    'import',
    '--name',
    'tiny',
    '--disk',
    join(files, 'disk.img'),
    '--kernel',
    join(files, 'vmlinuz'),
    '--ramdisk',
    join(files, 'initrd.img'),
  );
  const run = await ok<{ instances: { instanceId: string }[] }>('instances', 'run', '--image', image.imageId);
  instanceId = run.instances[0]!.instanceId;
  const deadline = Date.now() + 90_000;
  let state: string | undefined;
  for (;;) {
    const { instances } = await ok<{ instances: { instanceId: string; state: string }[] }>('instances', 'list');
    state = instances.find((instance) => instance.instanceId === instanceId)?.state;
    if (state === 'running' || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.equal(state, 'running');
  t.same(
    (await nodes()).map((node) => [node.nodeName, node.instances]),
    [
      ['nc-h1', 0],
      ['nc-h2', 0],
      ['nc-h3', 0],
      ['nc-h4', 1],
    ],
    'the cc placed it on nc-h4',
  );
});

t.test('nodes remove h4: refused while the instance runs; --force terminates it and removes h4 for good', async (t) => {
  const refused = await cloudctl('nodes', 'remove', 'h4', '--yes', ...sshFlags);
  t.equal(refused.code, 6, 'exit 6 (conflict)');
  t.match(refused.stderr, new RegExp(instanceId));

  // h4's certificate, as a host that left could still present it.
  const pkiDir = join(home, name, 'pki');
  const ca = readFileSync(join(pkiDir, 'ca.pem'));
  const h4Identity = {
    ca,
    cert: readFileSync(join(pkiDir, 'hosts/h4.pem')),
    key: readFileSync(join(pkiDir, 'hosts/h4-key.pem')),
  };
  const h3Identity = {
    ca,
    cert: readFileSync(join(pkiDir, 'hosts/h3.pem')),
    key: readFileSync(join(pkiDir, 'hosts/h3-key.pem')),
  };
  const ccUrl = `https://${h1.address}:8774/internal/peer`;
  const walrusUrl = `https://${h2.address}:8776/internal/peer`;
  t.equal((await callPeer(ccUrl, h4Identity)).status, 200, 'before: the cc takes h4 as a peer');

  const result = await cloudctl('nodes', 'remove', 'h4', '--force', '--yes', '--json', ...sshFlags);
  t.equal(result.code, 0, result.code === 0 ? 'exit 0' : result.stdout + result.stderr);
  const removed = JSON.parse(result.stdout) as RemoveResult;
  t.comment(`nodes remove: ${stepTimes(removed.hosts)}`);
  t.same(removed.terminated, [instanceId]);
  t.equal(removed.hostRemoved, true);
  t.notOk(removed.emptiedZone);

  const plan = recorded().cloud;
  t.notOk(
    plan.hosts.some((host) => host.name === 'h4'),
    'install.json no longer names h4',
  );
  t.notOk(plan.components.some((component) => component.host === 'h4'));
  t.notMatch(readFileSync(planFile, 'utf8'), /h4/, 'the cloud.yaml beside cloud.json neither');
  const validated = await runCli('faststart', ['validate', planFile], { env });
  t.equal(validated.code, 0, `faststart install --config ${planFile} would take it: ${validated.stdout}`);
  const processes = await bed.exec(h4, `ps -eo args | grep -F '/mallee/${name}/' | grep -v grep`);
  t.equal(processes.stdout, '', 'no Mallee process is left on h4');
  const left = await bed.exec(h4, `ls -d /opt/mallee/${name} /etc/mallee/${name} 2>&1; ls -d ${dataDir}/nc`);
  t.match(left.stdout, new RegExp(`cannot access '/opt/mallee/${name}'`), '/opt/mallee/CLOUD is gone');
  t.match(left.stdout, new RegExp(`cannot access '/etc/mallee/${name}'`), 'and its configs');
  t.match(left.stdout, new RegExp(`^${dataDir}/nc$`, 'm'), 'its data is kept without --purge');

  const cc = await bed.exec(h1, `cat /etc/mallee/${name}/cc-zone-a.json`);
  t.notMatch(cc.stdout, /nc-h4/, "the cc's config no longer names the node");

  // h4's certificate is revoked: the cc and walrus (on other hosts) refuse it and still take h3's.
  t.notOk(existsSync(join(pkiDir, 'hosts/h4.pem')), 'its certificate is gone from the installer');
  for (const [component, url] of [
    ['cc', ccUrl],
    ['walrus', walrusUrl],
  ] as const) {
    const refused = await callPeer(url, h4Identity);
    t.equal(refused.status, 403, `${component} refuses h4's certificate`);
    t.match(JSON.parse(refused.body).message, /revoked.*CERT_REVOKED/, 'and says it was revoked');
    t.equal((await callPeer(url, h3Identity)).status, 200, `${component} still takes h3's`);
  }
  t.same(
    (await nodes()).map((node) => node.nodeName),
    ['nc-h1', 'nc-h2', 'nc-h3'],
  );
});

t.test('a restart of the cc does not bring h4 back; the cloud is healthy', async (t) => {
  await ok('services', 'restart', 'cc-zone-a', '--yes', ...sshFlags);
  t.same(
    (await nodes()).map((node) => [node.nodeName, node.reachable]),
    [
      ['nc-h1', true],
      ['nc-h2', true],
      ['nc-h3', true],
    ],
  );
  const status = await cloudctl('status', ...sshFlags);
  t.equal(status.code, 0, status.stdout.slice(0, 3000) + status.stderr);
  t.notMatch(status.stdout, /nc-h4|\bh4\b/);
});

t.test(
  'nodes add h4 again, stopped by Ctrl-C in its copy: exit 130, where each host stopped; a re-run finishes',
  async (t) => {
    let sent = false;
    const withoutJson = addH4.filter((arg) => arg !== '--json');
    const stopped = await runCliWatching(
      'cloudctl',
      [...withoutJson, '--ssh-port', '2222', ...sshFlags, '--cloud', name],
      { env },
      ({ stdout, interrupt }) => {
        if (!sent && /h4: bundle/.test(stdout)) {
          sent = true;
          interrupt();
        }
      },
    );
    t.ok(sent, `Ctrl-C pressed as h4's copy began: ${stopped.stdout}`);
    t.equal(stopped.code, 130, stopped.stderr);
    t.match(stopped.stderr, /SIGINT: stopping; no step starts now/, 'the Ctrl-C is acknowledged');
    t.match(stopped.stderr, /Interrupted by SIGINT\. What finished is recorded in each host's journal:/);
    t.match(stopped.stderr, / {2}h4: stopped at step bundle \(done: precheck, packages\)/, 'h4 stopped in its copy');
    t.match(stopped.stderr, /Hint: Run the same command again/);
    const processes = await bed.exec(h4, `ps -eo args | grep -F '/mallee/${name}/' | grep -v grep`);
    t.equal(processes.stdout, '', 'nothing of the cloud started on h4');

    const again = await cloudctl(...addH4, ...sshFlags);
    t.equal(again.code, 0, again.code === 0 ? 'exit 0' : again.stdout + again.stderr);
    const added = JSON.parse(again.stdout) as AddNodeResult;
    t.match(added.node, { nodeName: 'nc-h4', reachable: true }, 'the re-run finished it: the cc reaches nc-h4');
    const h4Steps = added.hosts.find((host) => host.name === 'h4')!.steps;
    t.same(
      h4Steps
        .filter((step) => step.outcome === 'changed')
        .map((step) => step.name)
        .slice(0, 1),
      ['bundle'],
      'it went on from the step the Ctrl-C stopped',
    );
  },
);

t.test(
  'nodes remove h4 stopped by Ctrl-C in the deploy of the remaining plan: the hint names the install that finishes it',
  async (t) => {
    let sent = false;
    const stopped = await runCliWatching(
      'cloudctl',
      ['nodes', 'remove', 'h4', '--yes', ...sshFlags, '--cloud', name],
      { env },
      ({ stdout, interrupt }) => {
        if (!sent && /h1: precheck/.test(stdout)) {
          sent = true;
          interrupt();
        }
      },
    );
    t.ok(sent, `Ctrl-C pressed as the deploy began: ${stopped.stdout}`);
    t.equal(stopped.code, 130, stopped.stderr);
    t.match(stopped.stderr, /Interrupted by SIGINT\. What finished is recorded in each host's journal:/);
    t.match(
      stopped.stderr,
      `Hint: The plan no longer has the node, and its host is done with: run \`faststart install --config ${planFile} --yes\``,
    );
    t.notMatch(readFileSync(planFile, 'utf8'), /h4/, 'h4 is out of the plan');
    const ccBefore = await bed.exec(h1, `cat /etc/mallee/${name}/cc-zone-a.json`);
    t.match(ccBefore.stdout, /nc-h4/, "no step ran after the Ctrl-C: the cc's config still names the node");

    const finished = await runCli(
      'faststart',
      ['install', '--config', planFile, '--yes', '--no-smoke-test', ...sshFlags],
      {
        env,
      },
    );
    t.equal(finished.code, 0, finished.stdout + finished.stderr);
    t.same(
      (await nodes()).map((node) => [node.nodeName, node.reachable]),
      [
        ['nc-h1', true],
        ['nc-h2', true],
        ['nc-h3', true],
      ],
      'the cloud is as the plan says',
    );
    const cc = await bed.exec(h1, `cat /etc/mallee/${name}/cc-zone-a.json`);
    t.notMatch(cc.stdout, /nc-h4/, "the cc's config no longer names the node");
    const processes = await bed.exec(h4, `ps -eo args | grep -F '/mallee/${name}/' | grep -v grep`);
    t.equal(processes.stdout, '', 'no Mallee process is left on h4');
  },
);
