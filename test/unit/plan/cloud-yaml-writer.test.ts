import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { loadCloudConfig, validateCloudYaml, type CloudConfig } from '../../../src/config/index.js';
import type { HostFacts } from '../../../src/discovery/host-facts.js';
import { excludeHost, moveComponent, placeComponents, renameZone } from '../../../src/placement/index.js';
import { planFromFacts, renderCloudYaml, writeCloudYaml } from '../../../src/plan/index.js';
import { runCli, temporaryDir } from '../../helpers/cli.js';
import { allInOneFacts, serverFacts, sixHostsTwoSubnets, unreachableFacts } from '../../fixtures/host-facts.js';

/** Six hosts on two subnets, one with a huge disk, one without KVM, two controller hosts that run no VMs. */
function mixedFacts(): HostFacts[] {
  const hosts = sixHostsTwoSubnets().map((host) =>
    host.name === 'h3'
      ? { ...host, disks: [...(host.disks ?? []), { mount: '/srv', device: '/dev/md0', sizeGiB: 4096, freeGiB: 4000 }] }
      : host.name === 'h5'
        ? { ...host, virtualization: 'emulation' as const }
        : host,
  );
  return [
    serverFacts('ctl', '10.250.0.20', 24, { virtualization: undefined }),
    serverFacts('spare', '10.250.0.21', 24, { virtualization: undefined, dataDirFreeGiB: 40 }),
    ...hosts,
  ];
}

const options = {
  cloudName: 'lab',
  region: 'perth-1',
  hypervisor: 'qemu:///system',
  inventory: [
    { name: 'ctl', address: '10.250.0.20', ssh: { user: 'deploy', key: '/home/deploy/.ssh/id_ed25519', sudo: true } },
    { name: 'h4', address: '10.250.1.14', ssh: { port: 2222 }, dataDir: '/srv/mallee' },
  ],
};

t.test('cloud.yaml written from a placement reads back as the same cloud, and says why', async (t) => {
  const { placement, yamlText } = planFromFacts(mixedFacts(), options);
  const dir = temporaryDir('plan');
  const file = join(dir, 'cloud.yaml');
  t.equal(writeCloudYaml(file, placement), yamlText);
  t.equal(readFileSync(file, 'utf8'), yamlText);
  t.equal(statSync(file).mode & 0o777, 0o644);

  const config: CloudConfig = loadCloudConfig(file);
  const plain = validateCloudYaml(stringify(placement.cloud), 'plain.yaml').config;
  t.strictSame(config, plain, 'comments change nothing the loader sees');
  t.equal(config.name, 'lab');
  t.equal(config.region, 'perth-1');
  t.strictSame(
    config.hosts.map((host) => [host.name, host.address, host.ssh, host.dataDir]),
    placement.cloud.hosts.map((host) => [
      host.name,
      host.address,
      {
        user: host.ssh?.user ?? 'root',
        port: host.ssh?.port ?? 22,
        ...(host.ssh?.key && { key: host.ssh.key }),
        sudo: host.ssh?.sudo ?? false,
      },
      host.dataDir ?? '/var/lib/mallee',
    ]),
  );
  t.strictSame(
    config.hosts.map((host) => host.name),
    ['ctl', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
    'the spare host, with nothing to run, is left out',
  );
  t.strictSame(config.zones, placement.cloud.zones);
  t.strictSame(
    config.components.map((entry) => [
      entry.component,
      entry.host,
      'zone' in entry ? entry.zone : undefined,
      entry.port,
    ]),
    placement.cloud.components.map((entry) => [entry.component, entry.host, entry.zone, entry.port]),
  );
  t.strictSame(config.components.map((entry) => `${entry.component} ${entry.host} ${entry.dataDir}`).slice(0, 2), [
    'clc ctl /var/lib/mallee/clc',
    'walrus h3 /srv/mallee/walrus',
  ]);
  t.strictSame(
    config.components.filter((entry) => entry.host === 'h4').map((entry) => `${entry.component} ${entry.dataDir}`),
    ['sc /srv/mallee/sc', 'nc /srv/mallee/nc'],
    "h4's own dataDir from the inventory",
  );

  const lines = yamlText.split('\n');
  const above = (line: string) => lines[lines.indexOf(line) - 1];
  t.equal(above('  - component: walrus'), '  # walrus on h3: most free disk (4000 GiB at /srv)');
  t.equal(
    above('  - component: clc'),
    "  # clc on ctl: it cannot run instances, so the cloud's API and state never compete with them",
  );
  t.equal(above('  - name: zone-b'), '  # zone-b: one zone per subnet; the hosts on 10.250.1.0/24 (h4, h5, h6)');
  t.equal(lines.filter((line) => /^ {2}# nc of /.test(line)).length, 6, 'each nc has its reason');
  t.ok(lines.includes('#   warning (h5): no KVM on h5: instances will run under software emulation'));
  t.ok(lines.includes('# Hosts left out of the plan:'));
  t.ok(
    lines.includes('#   spare: nothing placed; it cannot run instances and other hosts suit the clc and walrus better'),
  );
  t.match(lines[0], /^# Mallee cloud "lab", as faststart planned it/);
});

t.test('faststart validate accepts the written file', async (t) => {
  const dir = temporaryDir('plan-cli');
  const file = join(dir, 'cloud.yaml');
  writeCloudYaml(file, placeComponents(mixedFacts(), options));
  const result = await runCli('faststart', ['validate', file, '--json']);
  t.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { valid: boolean; summary: unknown };
  t.equal(report.valid, true);
  t.strictSame(report.summary, { hosts: 7, zones: 2, components: 12 });
});

t.test('an edited placement and an all-in-one one round-trip too', async (t) => {
  let placement = placeComponents([...sixHostsTwoSubnets(), unreachableFacts('h7', '10.250.1.17', 'no route to host')]);
  placement = excludeHost(placement, 'h7');
  placement = moveComponent(placement, { component: 'clc' }, 'h5');
  placement = renameZone(placement, 'zone-b', 'east');
  const dir = temporaryDir('plan-edited');
  const file = join(dir, 'cloud.yaml');
  const text = writeCloudYaml(file, placement);
  t.match(text, /# clc on h5: moved there by you\n {2}- component: clc\n {4}host: h5/);
  const config = loadCloudConfig(file);
  t.equal(config.components[0]?.host, 'h5');
  t.strictSame(
    config.zones.map((zone) => zone.name),
    ['zone-a', 'east'],
  );
  t.notMatch(text, /h7/, 'the excluded host is nowhere in the file');

  const solo = planFromFacts([allInOneFacts()], { cloudName: 'local', hypervisor: 'test:///default' });
  const soloFile = join(dir, 'solo.yaml');
  writeCloudYaml(soloFile, solo.placement);
  const soloConfig = loadCloudConfig(soloFile);
  t.strictSame(
    soloConfig.components.map((entry) => `${entry.component} ${entry.host}`),
    ['clc local', 'walrus local', 'cc local', 'sc local', 'nc local'],
  );
  t.equal(soloConfig.components.find((entry) => entry.component === 'nc')?.hypervisor, 'test:///default');
  t.equal(renderCloudYaml(solo.placement), solo.yamlText);
});

t.test('a problem message of several lines stays inside the comment', async (t) => {
  const error = 'All configured authentication methods failed\nname: not-a-key';
  const { yamlText } = planFromFacts([...sixHostsTwoSubnets(), unreachableFacts('h7', '10.250.1.17', error)]);
  const lines = yamlText.split('\n');
  t.ok(
    lines.includes(
      '#   error (h7): h7 (10.250.1.17) could not be reached: All configured authentication methods failed',
    ),
  );
  t.ok(lines.includes('# name: not-a-key'));
  const { config, problems } = validateCloudYaml(yamlText, 'cloud.yaml');
  t.strictSame(problems, []);
  t.equal(config?.name, 'mallee');
});
