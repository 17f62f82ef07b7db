import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { validateCloudYaml } from '../../../src/config/index.js';
import type { HostFacts } from '../../../src/discovery/host-facts.js';
import { splitSections } from '../../../src/discovery/discovery-script.js';
import { factsFromSections } from '../../../src/discovery/parse-host-output.js';
import { placeComponents, type Placement } from '../../../src/placement/index.js';
import { projectRoot } from '../../helpers/cli.js';
import {
  allInOneFacts,
  serverFacts,
  sixHostsTwoSubnets,
  threeHostsOneSubnet,
  unreachableFacts,
} from '../../fixtures/host-facts.js';

/** `component[@zone] host` per component, in cloud.yaml order: the placement at a glance. */
const layout = (placement: Placement) =>
  placement.cloud.components.map((entry) => `${entry.component}${entry.zone ? `@${entry.zone}` : ''} ${entry.host}`);
const reasonFor = (placement: Placement, component: string, zone?: string, host?: string) =>
  placement.reasons.find(
    ({ subject }) =>
      'component' in subject &&
      subject.component === component &&
      (zone === undefined || subject.zone === zone) &&
      (host === undefined || subject.host === host),
  )?.text;
const problemSummary = (placement: Placement) =>
  placement.problems.map((problem) => `${problem.severity} ${problem.code} ${problem.host ?? '-'}`);
const withChanges = (hosts: HostFacts[], name: string, changes: Partial<HostFacts>) =>
  hosts.map((host) => (host.name === name ? { ...host, ...changes } : host));

/** The written cloud must pass the same validation `faststart validate` runs. */
function assertValid(t: Test, placement: Placement): void {
  const { problems } = validateCloudYaml(stringify(placement.cloud), 'cloud.yaml');
  t.strictSame(problems, [], 'the placed cloud validates');
}

t.test(
  'one host gets everything, with the only-host reasons, the emulation warning and the boot warning',
  async (t) => {
    const placement = placeComponents([allInOneFacts()], { cloudName: 'solo' });
    t.strictSame(layout(placement), [
      'clc local',
      'walrus local',
      'cc@zone-a local',
      'sc@zone-a local',
      'nc@zone-a local',
    ]);
    t.equal(placement.cloud.name, 'solo');
    t.strictSame(placement.cloud.hosts, [{ name: 'local', address: '127.0.0.1' }]);
    t.strictSame(
      placement.cloud.zones,
      [{ name: 'zone-a', subnet: '172.17.0.0/16' }],
      'reached on loopback, which discovery leaves out: the zone takes the subnet of its network interface',
    );
    t.strictSame(
      placement.cloud.components.map((entry) => entry.port),
      [8773, 8776, 8774, 8777, 8775],
      'default ports from component-defaults',
    );
    t.equal(reasonFor(placement, 'clc'), 'clc on local: the only host');
    t.equal(reasonFor(placement, 'walrus'), 'walrus on local: the only host (150 GiB free at /var/lib/mallee)');
    t.equal(reasonFor(placement, 'cc'), "cc of zone-a on local: the zone's only host");
    t.equal(
      reasonFor(placement, 'nc'),
      'nc of zone-a on local: no KVM, so instances run under software emulation (2 cores, 23.4 GiB)',
    );
    t.strictSame(placement.problems, [
      {
        host: 'local',
        severity: 'warning',
        code: 'no-kvm',
        message: 'no KVM on local: instances will run under software emulation',
        fix: "If local's CPU has VT-x or AMD-V, enable it in the firmware and load kvm_intel or kvm_amd; otherwise instances still run, only slower.",
      },
      {
        host: 'local',
        severity: 'warning',
        code: 'no-boot-start',
        message:
          'nothing on local will start Mallee after a reboot: its PID 1 is process_api, neither systemd nor sysvinit',
        fix: 'After local reboots, run `cloudctl services start all --host local` (or `service mallee-solo start` on it), or use a host where systemd or sysvinit is PID 1.',
      },
    ]);
    assertValid(t, placement);
  },
);

t.test('facts parsed from a captured discovery run place and validate', async (t) => {
  const captured = readFileSync(join(projectRoot, 'test/fixtures/discovery/debian12-root-namespace.txt'), 'utf8');
  const facts = factsFromSections({ name: 'vm', address: '192.0.2.2' }, splitSections(captured));
  const placement = placeComponents([{ ...facts, clockOffsetSeconds: 0.4 }]);
  t.strictSame(layout(placement), ['clc vm', 'walrus vm', 'cc@zone-a vm', 'sc@zone-a vm', 'nc@zone-a vm']);
  t.strictSame(
    placement.cloud.zones,
    [{ name: 'zone-a', subnet: '192.0.2.0/24' }],
    'the IPv6 address is not a zone subnet',
  );
  t.equal(reasonFor(placement, 'walrus'), 'walrus on vm: the only host (78.8 GiB free at /var/lib/mallee)');
  t.strictSame(problemSummary(placement), ['warning no-kvm vm', 'warning no-boot-start vm']);
  assertValid(t, placement);
});

t.test('three alike hosts on one subnet: one zone, the work spread, a reason for every choice', async (t) => {
  const placement = placeComponents(threeHostsOneSubnet());
  t.strictSame(layout(placement), [
    'clc h1',
    'walrus h2',
    'cc@zone-a h1',
    'sc@zone-a h3',
    'nc@zone-a h1',
    'nc@zone-a h2',
    'nc@zone-a h3',
  ]);
  t.strictSame(placement.cloud.zones, [{ name: 'zone-a', subnet: '10.250.0.0/24' }]);
  t.strictSame(
    placement.reasons.map((reason) => reason.text),
    [
      'clc on h1: every host offers instances the same capacity; h1 comes first in the inventory',
      'walrus on h2: most free disk (150 GiB at /var/lib/mallee); h1 has as much but already runs more',
      'zone-a: one zone per subnet; the hosts on 10.250.0.0/24 (h1, h2, h3)',
      "cc of zone-a on h1: on the zone's subnet, beside the clc that calls it",
      'sc of zone-a on h3: most block storage in the zone (150 GiB free at /var/lib/mallee)',
      'nc of zone-a on h1: KVM, 8 cores, 31.3 GiB for instances',
      'nc of zone-a on h2: KVM, 8 cores, 31.3 GiB for instances',
      'nc of zone-a on h3: KVM, 8 cores, 31.3 GiB for instances',
    ],
  );
  t.strictSame(placement.problems, []);
  t.strictSame(placeComponents(threeHostsOneSubnet()), placement, 'the same facts give the same placement');
  assertValid(t, placement);
});

t.test('six hosts on two subnets: a zone per subnet, each with its own cc and sc on that subnet', async (t) => {
  const placement = placeComponents(sixHostsTwoSubnets());
  t.strictSame(placement.cloud.zones, [
    { name: 'zone-a', subnet: '10.250.0.0/24' },
    { name: 'zone-b', subnet: '10.250.1.0/24' },
  ]);
  t.strictSame(layout(placement), [
    'clc h1',
    'walrus h2',
    'cc@zone-a h1',
    'sc@zone-a h3',
    'nc@zone-a h1',
    'nc@zone-a h2',
    'nc@zone-a h3',
    'cc@zone-b h4',
    'sc@zone-b h5',
    'nc@zone-b h4',
    'nc@zone-b h5',
    'nc@zone-b h6',
  ]);
  t.equal(
    reasonFor(placement, 'cc', 'zone-b'),
    "cc of zone-b on h4: on the zone's subnet; its hosts are alike and h4 runs the least so far",
  );
  t.equal(placement.cloud.hosts.length, 6);
  t.strictSame(placement.problems, [], 'every host has a default route, so the subnets reach each other');
  assertValid(t, placement);
});

t.test('walrus and the zone sc go to the host with a huge disk, with their data on it', async (t) => {
  const hosts = withChanges(threeHostsOneSubnet(), 'h3', {
    disks: [
      { mount: '/', device: '/dev/sda1', sizeGiB: 200, freeGiB: 150 },
      { mount: '/srv', device: '/dev/md0', sizeGiB: 4096, freeGiB: 4000 },
    ],
  });
  const placement = placeComponents(hosts);
  t.strictSame(layout(placement).slice(0, 4), ['clc h1', 'walrus h3', 'cc@zone-a h1', 'sc@zone-a h3']);
  t.equal(reasonFor(placement, 'walrus'), 'walrus on h3: most free disk (4000 GiB at /srv)');
  t.equal(reasonFor(placement, 'sc'), 'sc of zone-a on h3: most block storage in the zone (4000 GiB free at /srv)');
  const dataDirs = placement.cloud.components.filter((entry) => entry.dataDir).map((e) => [e.component, e.dataDir]);
  t.strictSame(dataDirs, [
    ['walrus', '/srv/mallee/walrus'],
    ['sc', '/srv/mallee/sc'],
  ]);
  assertValid(t, placement);

  const roomyDataDir = withChanges(threeHostsOneSubnet(), 'h2', { dataDirFreeGiB: 900 });
  const onDataDir = placeComponents(roomyDataDir);
  t.equal(reasonFor(onDataDir, 'walrus'), 'walrus on h2: most free disk (900 GiB at /var/lib/mallee)');
  t.equal(onDataDir.cloud.components[1]?.dataDir, undefined, 'already in the data directory: no dataDir written');
});

t.test('the zone sc goes where unused disks give the most block storage', async (t) => {
  const hosts = withChanges(threeHostsOneSubnet(), 'h2', {
    blockDevices: [
      { device: '/dev/sda', sizeGiB: 201, inUse: true },
      { device: '/dev/sdb', sizeGiB: 1800, inUse: false },
      { device: '/dev/sdc', sizeGiB: 1800, inUse: false },
    ],
  });
  const placement = placeComponents(hosts);
  t.strictSame(layout(placement).slice(0, 4), ['clc h1', 'walrus h2', 'cc@zone-a h1', 'sc@zone-a h2']);
  t.equal(
    reasonFor(placement, 'sc'),
    'sc of zone-a on h2: most block storage in the zone (3750 GiB: unused disks /dev/sdb (1800 GiB), /dev/sdc (1800 GiB) and 150 GiB free at /var/lib/mallee)',
  );
  t.equal(
    reasonFor(placement, 'walrus'),
    'walrus on h2: most free disk (150 GiB at /var/lib/mallee); h1 has as much but already runs more',
    'walrus counts free space in folders only: an unused disk holds no files',
  );
});

t.test('the clc avoids the busiest hypervisor and prefers a host that runs no instances', async (t) => {
  const sized = [
    serverFacts('big', '10.250.0.11', 24, { cores: 64, memoryMiB: { total: 512_000, available: 500_000 } }),
    serverFacts('mid', '10.250.0.12', 24, { cores: 32, memoryMiB: { total: 256_000, available: 250_000 } }),
    serverFacts('small', '10.250.0.13', 24, { cores: 32, memoryMiB: { total: 128_000, available: 120_000 } }),
  ];
  const placement = placeComponents(sized);
  t.equal(placement.cloud.components[0]?.host, 'small');
  t.equal(
    reasonFor(placement, 'clc'),
    'clc on small: the hypervisor offering instances least (32 cores, 125 GiB), so the busier hosts keep their capacity for instances',
  );

  const withController = [...sized, serverFacts('ctl', '10.250.0.14', 24, { virtualization: undefined })];
  const controllerPlacement = placeComponents(withController);
  t.equal(controllerPlacement.cloud.components[0]?.host, 'ctl');
  t.equal(
    reasonFor(controllerPlacement, 'clc'),
    "clc on ctl: it cannot run instances, so the cloud's API and state never compete with them",
  );
  t.notOk(
    controllerPlacement.cloud.components.some((entry) => entry.component === 'nc' && entry.host === 'ctl'),
    'no nc where no VM can run',
  );
  assertValid(t, controllerPlacement);
});

t.test('a KVM host among emulation hosts: every one runs an nc, each emulation host is flagged', async (t) => {
  const hosts = [
    serverFacts('h1', '10.250.0.11', 24, { virtualization: 'emulation' }),
    serverFacts('h2', '10.250.0.12'),
    serverFacts('h3', '10.250.0.13', 24, { virtualization: 'emulation' }),
  ];
  const placement = placeComponents(hosts);
  t.strictSame(
    placement.cloud.components.filter((entry) => entry.component === 'nc').map((entry) => entry.host),
    ['h1', 'h2', 'h3'],
  );
  t.equal(placement.cloud.components[0]?.host, 'h1', 'the clc leaves the KVM host to instances');
  t.equal(reasonFor(placement, 'nc', undefined, 'h2'), 'nc of zone-a on h2: KVM, 8 cores, 31.3 GiB for instances');
  t.equal(
    reasonFor(placement, 'nc', undefined, 'h3'),
    'nc of zone-a on h3: no KVM, so instances run under software emulation (8 cores, 31.3 GiB)',
  );
  t.strictSame(problemSummary(placement), ['warning no-kvm h1', 'warning no-kvm h3']);
  t.equal(placement.problems[1]?.message, 'no KVM on h3: instances will run under software emulation');
});

t.test('an unreachable host is reported with the reason and left out of the cloud', async (t) => {
  const hosts = threeHostsOneSubnet();
  hosts[1] = unreachableFacts('h2', '10.250.0.12', 'connect ECONNREFUSED 10.250.0.12:22');
  const placement = placeComponents(hosts);
  t.strictSame(placement.problems, [
    {
      host: 'h2',
      severity: 'error',
      code: 'unreachable',
      message: 'h2 (10.250.0.12) could not be reached: connect ECONNREFUSED 10.250.0.12:22',
      fix: 'Check that `ssh USER@10.250.0.12` works from this machine (address, user, key, known_hosts), or exclude h2.',
    },
  ]);
  t.strictSame(
    placement.cloud.hosts.map((host) => host.name),
    ['h1', 'h3'],
  );
  t.notOk(layout(placement).some((entry) => entry.endsWith(' h2')));
  assertValid(t, placement);
});

t.test('ports Mallee needs that something already listens on, per host and component', async (t) => {
  const hosts = withChanges(threeHostsOneSubnet(), 'h1', { listeningPorts: [22, 8773, 8775, 9000] });
  const placement = placeComponents(hosts);
  t.strictSame(
    placement.problems.map((problem) => problem.message),
    ['port 8773 on h1 is already in use; the clc needs it', 'port 8775 on h1 is already in use; the nc needs it'],
  );
  t.equal(
    placement.problems[0]?.fix,
    "Stop what listens there (`ss -ltnp 'sport = :8773'` on h1 shows it), or move the clc to another host.",
  );
  t.strictSame(problemSummary(placement), ['error port-in-use h1', 'error port-in-use h1']);
  const onH2 = withChanges(threeHostsOneSubnet(), 'h2', { listeningPorts: [22, 8776] });
  t.strictSame(
    placeComponents(onH2).problems.map((problem) => problem.message),
    ['port 8776 on h2 is already in use; the walrus needs it'],
  );
});

t.test('clock skew over 5 s either way is an error; under it is fine', async (t) => {
  let hosts = withChanges(threeHostsOneSubnet(), 'h2', { clockOffsetSeconds: 7.4 });
  hosts = withChanges(hosts, 'h3', { clockOffsetSeconds: -4.9 });
  hosts = withChanges(hosts, 'h1', { clockOffsetSeconds: -312 });
  const placement = placeComponents(hosts);
  t.strictSame(
    placement.problems.map((problem) => `${problem.code} ${problem.host}: ${problem.message}`),
    [
      "clock-skew h1: h1's clock is 312 s behind this machine's (more than 5 s): components would refuse each other's signatures and certificates",
      "clock-skew h2: h2's clock is 7 s ahead of this machine's (more than 5 s): components would refuse each other's signatures and certificates",
    ],
  );
  t.match(placement.problems[0]?.fix, /NTP/);
});

t.test("a host the bundle's binaries cannot run on: another CPU, an older glibc, musl", async (t) => {
  const runtime = { machine: 'x86_64', glibc: '2.34' };
  const glibc = (version: string) => ({ machine: 'x86_64', libc: { name: 'glibc' as const, version } });
  let hosts = withChanges(threeHostsOneSubnet(), 'h1', { platform: glibc('2.36') });
  hosts = withChanges(hosts, 'h2', { platform: { machine: 'aarch64', libc: { name: 'glibc', version: '2.36' } } });
  hosts = withChanges(hosts, 'h3', { platform: glibc('2.31') });
  const placement = placeComponents(hosts, { runtime });
  t.strictSame(
    placement.problems.map((problem) => `${problem.code} ${problem.host}: ${problem.message}`),
    [
      "wrong-architecture h2: h2 is aarch64; the bundle's Node runtime and native modules are built for x86_64 (this machine's)",
      "old-glibc h3: h3 has glibc 2.31; the bundle's Node runtime and native modules need glibc 2.34 or newer",
    ],
  );
  t.equal(
    placement.problems[0]?.fix,
    'To install aarch64 hosts, run faststart on a machine that is aarch64 too; or exclude h2.',
  );
  t.match(placement.problems[1]?.fix, /Upgrade h3 to a release with glibc 2.34 or newer/);
  t.ok(
    placement.problems.every((problem) => problem.severity === 'error'),
    'each stops the install before anything is deployed',
  );

  const alpine = withChanges(threeHostsOneSubnet(), 'h1', { platform: { machine: 'x86_64', libc: { name: 'musl' } } });
  t.strictSame(problemSummary(placeComponents(alpine, { runtime })), ['error unknown-libc h1']);
  t.strictSame(
    problemSummary(
      placeComponents(withChanges(threeHostsOneSubnet(), 'h1', { platform: glibc('2.34.1') }), { runtime }),
    ),
    [],
    'the same version, or newer in its third part, is enough',
  );
  t.strictSame(problemSummary(placeComponents(hosts)), [], 'without a runtime to compare with, nothing is checked');
});

t.test('no sudo, too little memory and too little disk, with a fix each', async (t) => {
  let hosts = withChanges(threeHostsOneSubnet(), 'h1', {
    root: { user: 'deploy', viaSudo: true, works: false, problem: 'sudo: a password is required' },
  });
  hosts = withChanges(hosts, 'h2', { memoryMiB: { total: 1536, available: 1000 } });
  hosts = withChanges(hosts, 'h3', { dataDirFreeGiB: 4 });
  const placement = placeComponents(hosts);
  t.strictSame(
    placement.problems.map((problem) => [problem.code, problem.host, problem.message, problem.fix]),
    [
      [
        'no-sudo',
        'h1',
        'deploy on h1 cannot act as root: sudo: a password is required',
        'Connect as root, or give deploy sudo without a password (`deploy ALL=(ALL) NOPASSWD:ALL` in /etc/sudoers.d/mallee on h1), or exclude h1.',
      ],
      [
        'low-memory',
        'h2',
        'h2 has 1.5 GiB of memory; Mallee needs at least 2 GiB',
        'Give h2 more memory, or exclude it.',
      ],
      [
        'low-disk',
        'h3',
        'h3 has 4 GiB free at /var/lib/mallee; Mallee needs at least 10 GiB',
        'Free space at /var/lib/mallee, give h3 a dataDir on a larger disk in the inventory, or exclude it.',
      ],
    ],
  );
  const relaxed = placeComponents(hosts, { limits: { minMemoryMiB: 1024, minFreeDiskGiB: 2 } });
  t.strictSame(problemSummary(relaxed), ['error no-sudo h1'], 'the limits are options');
});

t.test('a subnet without a route to the clc and walrus subnet is found, and a shared subnet is enough', async (t) => {
  const isolated = sixHostsTwoSubnets().map((host) =>
    host.address.startsWith('10.250.1.') ? { ...host, defaultRoute: undefined } : host,
  );
  const placement = placeComponents(isolated);
  t.strictSame(problemSummary(placement), [
    'error no-route h4',
    'error no-route h4',
    'error no-route h5',
    'error no-route h5',
    'error no-route h6',
    'error no-route h6',
  ]);
  t.equal(
    placement.problems[0]?.message,
    "h4 cannot reach h1 (10.250.0.11), where the clc, cc, nc will run: it has no default route and no address on h1's subnet 10.250.0.0/24",
  );
  t.equal(
    placement.problems[0]?.fix,
    'Give h4 a route to 10.250.0.0/24 (`ip route add 10.250.0.0/24 via GATEWAY`) or a default route, or exclude h4.',
  );
  t.match(placement.problems[1]?.message, /^h4 cannot reach h2 \(10\.250\.0\.12\), where the walrus, nc will run/);

  const dualHomed = isolated.map((host) =>
    host.address.startsWith('10.250.1.')
      ? {
          ...host,
          interfaces: [
            ...(host.interfaces ?? []),
            {
              name: 'eth1',
              addresses: [
                { address: `10.250.0.${host.address.split('.')[3]}0`, prefixLength: 24, subnet: '10.250.0.0/24' },
              ],
            },
          ],
        }
      : host,
  );
  const reachable = placeComponents(dualHomed);
  t.strictSame(reachable.problems, [], 'an address on the clc subnet reaches it without a default route');
  t.strictSame(
    reachable.cloud.zones.map((zone) => zone.subnet),
    ['10.250.0.0/24', '10.250.1.0/24'],
    'the zone follows the address the installer used',
  );

  const clcIsolated = sixHostsTwoSubnets().map((host) =>
    host.name === 'h1' ? { ...host, defaultRoute: undefined } : host,
  );
  t.strictSame(
    problemSummary(placeComponents(clcIsolated)),
    ['error no-route h1'],
    'the clc must reach the other zone too (its cc), and the walrus',
  );
});

t.test('every problem of every host is reported at once, errors first', async (t) => {
  const hosts = [
    serverFacts('h1', '10.250.0.11', 24, { virtualization: 'emulation', listeningPorts: [22, 8774] }),
    unreachableFacts('h2', '10.250.0.12', 'timed out after 10 s'),
    serverFacts('h3', '10.250.0.13', 24, { clockOffsetSeconds: 30, memoryMiB: { total: 1024, available: 512 } }),
  ];
  t.strictSame(problemSummary(placeComponents(hosts)), [
    'error port-in-use h1',
    'error unreachable h2',
    'error low-memory h3',
    'error clock-skew h3',
    'warning no-kvm h1',
  ]);
});

t.test('nothing reachable, or nothing that runs VMs: an error for the whole cloud', async (t) => {
  const none = placeComponents([unreachableFacts('h1', '10.0.0.5', 'no route to host')]);
  t.strictSame(problemSummary(none), ['error unreachable h1', 'error no-usable-host -']);
  t.strictSame(none.cloud.components, []);
  const noVms = placeComponents([serverFacts('h1', '10.0.0.5', 24, { virtualization: undefined })]);
  t.strictSame(problemSummary(noVms), ['error no-vm-host -']);
  t.equal(noVms.problems[0]?.message, 'no host can run instances, so the cloud would have no node controller');
  t.strictSame(layout(noVms), ['clc h1', 'walrus h1']);
});

t.test('the inventory gives each host its ssh settings and data directory; options reach cloud.yaml', async (t) => {
  const placement = placeComponents(threeHostsOneSubnet(), {
    cloudName: 'lab',
    region: 'perth-1',
    hypervisor: 'test:///default',
    storageControllers: false,
    inventory: [
      { name: 'h1', address: '10.250.0.11', ssh: { user: 'deploy', key: '/keys/id', sudo: true } },
      { name: 'h2', address: '10.250.0.12', ssh: { user: 'root', port: 2222 }, dataDir: '/srv/mallee' },
    ],
  });
  t.strictSame(placement.cloud.hosts, [
    { name: 'h1', address: '10.250.0.11', ssh: { user: 'deploy', key: '/keys/id', sudo: true } },
    { name: 'h2', address: '10.250.0.12', ssh: { user: 'root', port: 2222 }, dataDir: '/srv/mallee' },
    { name: 'h3', address: '10.250.0.13' },
  ]);
  t.equal(placement.cloud.region, 'perth-1');
  t.notOk(layout(placement).some((entry) => entry.startsWith('sc')));
  t.ok(
    placement.cloud.components
      .filter((entry) => entry.component === 'nc')
      .every((e) => e.hypervisor === 'test:///default'),
  );
  const { config } = validateCloudYaml(stringify(placement.cloud), 'cloud.yaml');
  t.equal(config?.hosts[1]?.dataDir, '/srv/mallee');
  t.equal(config?.components.find((entry) => entry.component === 'walrus')?.dataDir, '/srv/mallee/walrus');
});

t.test(
  'a host nothing restarts Mallee on after a reboot is warned of; systemd and sysvinit hosts are not',
  async (t) => {
    const placement = placeComponents(
      [
        serverFacts('h1', '10.0.0.5'),
        serverFacts('h2', '10.0.0.6', 24, { pid1: 'init', bootStarter: 'sysvinit', systemdIsPid1: false }),
        serverFacts('h3', '10.0.0.7', 24, { pid1: 'tini', bootStarter: 'none', systemdIsPid1: false }),
      ],
      { cloudName: 'prod' },
    );
    t.strictSame(
      placement.problems.map((problem) => [problem.code, problem.host, problem.message, problem.fix]),
      [
        [
          'no-boot-start',
          'h3',
          'nothing on h3 will start Mallee after a reboot: its PID 1 is tini, neither systemd nor sysvinit',
          'After h3 reboots, run `cloudctl services start all --host h3` (or `service mallee-prod start` on it), or use a host where systemd or sysvinit is PID 1.',
        ],
      ],
    );
  },
);
