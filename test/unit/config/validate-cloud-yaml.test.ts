import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CliError } from '../../../src/cli/cli-error.js';
import { planDaemons, renderServiceConfig } from '../../../src/deploy/daemon-plan.js';
import { hostLayout } from '../../../src/deploy/host-layout.js';
import {
  componentDefaults,
  formatProblem,
  loadCloudConfig,
  validateCloudYaml,
  type CloudConfig,
} from '../../../src/config/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = join(root, 'test/fixtures/cloud-yaml');
const examplePath = join(root, 'templates/cloud.example.yaml');

t.test('the example cloud.yaml is valid and normalises with its defaults applied', async (t) => {
  const { config, problems } = validateCloudYaml(readFileSync(examplePath, 'utf8'), 'cloud.example.yaml');
  t.strictSame(problems, []);
  if (!config) return t.fail('no config');
  t.equal(config.name, 'demo');
  t.strictSame(config.database, { engine: 'sqlite' });
  t.strictSame(config.network, {
    privateSubnet: '172.31.0.0/16',
    publicIps: ['10.250.0.100-10.250.0.150', '10.250.1.128/26'],
    dnsServers: ['10.250.0.1'],
    bridge: 'virbr0',
  });
  t.strictSame(
    config.hosts.map((host) => [host.name, host.address, host.ssh, host.dataDir]),
    [
      ['ctl1', '10.250.0.11', { user: 'root', port: 22, key: '~/.ssh/id_ed25519', sudo: false }, '/var/lib/mallee'],
      ['node1', '10.250.0.12', { user: 'mallee', port: 22, sudo: true }, '/var/lib/mallee'],
      ['node2', '10.250.1.13', { user: 'root', port: 22, sudo: false }, '/srv/mallee'],
    ],
  );
  t.strictSame(config.zones, [
    { name: 'zone-a', subnet: '10.250.0.0/24' },
    { name: 'zone-b', subnet: '10.250.1.0/24' },
  ]);
  t.strictSame(config.components, [
    { component: 'clc', host: 'ctl1', port: 8773, dataDir: '/var/lib/mallee/clc' },
    { component: 'walrus', host: 'ctl1', port: 8776, dataDir: '/srv/walrus' },
    { component: 'cc', host: 'ctl1', port: 8774, dataDir: '/var/lib/mallee/cc', zone: 'zone-a' },
    { component: 'sc', host: 'ctl1', port: 8777, dataDir: '/var/lib/mallee/sc', zone: 'zone-a' },
    {
      component: 'nc',
      host: 'node1',
      port: 8775,
      dataDir: '/var/lib/mallee/nc',
      zone: 'zone-a',
      hypervisor: 'qemu:///system',
    },
    { component: 'cc', host: 'node2', port: 8774, dataDir: '/srv/mallee/cc', zone: 'zone-b' },
    { component: 'sc', host: 'node2', port: 8777, dataDir: '/srv/mallee/sc', zone: 'zone-b' },
    {
      component: 'nc',
      host: 'node2',
      port: 8775,
      dataDir: '/srv/mallee/nc',
      zone: 'zone-b',
      hypervisor: 'qemu:///system',
    },
  ]);
});

t.test('a minimal all-in-one file gets every default', async (t) => {
  const { config, problems } = validateCloudYaml(readFileSync(join(fixtures, 'minimal.yaml'), 'utf8'), 'minimal.yaml');
  t.strictSame(problems, []);
  const expected: CloudConfig = {
    name: 'solo',
    region: 'mallee-1',
    dataDir: '/var/lib/mallee',
    database: { engine: 'sqlite' },
    objectStore: { engine: 'local' },
    network: { privateSubnet: '172.31.0.0/16', publicIps: [], dnsServers: [] },
    hosts: [
      { name: 'box', address: '127.0.0.1', ssh: { user: 'root', port: 22, sudo: false }, dataDir: '/var/lib/mallee' },
    ],
    zones: [{ name: 'zone-a' }],
    components: [
      { component: 'clc', host: 'box', port: 8773, dataDir: '/var/lib/mallee/clc' },
      { component: 'walrus', host: 'box', port: 8776, dataDir: '/var/lib/mallee/walrus' },
      { component: 'cc', host: 'box', port: 8774, dataDir: '/var/lib/mallee/cc', zone: 'zone-a' },
      { component: 'sc', host: 'box', port: 8777, dataDir: '/var/lib/mallee/sc', zone: 'zone-a' },
      {
        component: 'nc',
        host: 'box',
        port: 8775,
        dataDir: '/var/lib/mallee/nc',
        zone: 'zone-a',
        hypervisor: 'test:///default',
      },
    ],
  };
  t.strictSame(config, expected);
});

t.test('postgresql with a url, IPv6 and hostnames, flow style and anchors are accepted', async (t) => {
  const text = [
    'name: lab',
    'region: lab-2',
    'database: { engine: postgresql, url: "postgresql://mallee:s3cret@db.lab.internal:5432/mallee" }',
    'hosts:',
    '  - { name: a, address: "fd00::11", ssh: &ssh { user: ops, port: 2222, sudo: true } }',
    '  - { name: b, address: node-b.lab.internal, ssh: *ssh }',
    'zones: [{ name: z1 }]',
    'components:',
    '  - { component: clc, host: a, port: 9773 }',
    '  - { component: walrus, host: a }',
    '  - { component: cc, host: b, zone: z1 }',
    '  - { component: nc, host: b, zone: z1, hypervisor: "qemu+ssh://root@node-b/system" }',
  ].join('\n');
  const { config, problems } = validateCloudYaml(text, 'lab.yaml');
  t.strictSame(problems, []);
  t.strictSame(config?.database, {
    engine: 'postgresql',
    url: 'postgresql://mallee:s3cret@db.lab.internal:5432/mallee',
  });
  t.strictSame(config?.hosts[1]?.ssh, { user: 'ops', port: 2222, sudo: true });
  t.equal(config?.components[0]?.port, 9773);
});

t.test("an S3-compatible object store is read with its defaults, and reaches walrus's config only", async (t) => {
  const text = [
    'name: lab',
    'objectStore:',
    '  engine: s3',
    '  endpoint: https://rgw.lab.internal:7480/',
    '  bucket: mallee-objects',
    '  prefix: /walrus',
    '  accessKeyId: AKIALAB',
    '  secretAccessKey: "lab/secret+key"',
    '  caFile: /etc/ssl/rgw-ca.pem',
    'hosts: [{ name: a, address: 10.250.0.11 }]',
    'zones: [{ name: z1 }]',
    'components:',
    '  - { component: clc, host: a }',
    '  - { component: walrus, host: a }',
    '  - { component: cc, host: a, zone: z1 }',
    '  - { component: nc, host: a, zone: z1 }',
  ].join('\n');
  const { config, problems } = validateCloudYaml(text, 'lab.yaml');
  t.strictSame(problems, []);
  t.strictSame(config?.objectStore, {
    engine: 's3',
    endpoint: 'https://rgw.lab.internal:7480',
    bucket: 'mallee-objects',
    prefix: 'walrus/',
    region: 'us-east-1',
    accessKeyId: 'AKIALAB',
    secretAccessKey: 'lab/secret+key',
    caFile: '/etc/ssl/rgw-ca.pem',
  });
  const daemons = planDaemons(config!);
  const layout = hostLayout('lab', '/');
  const admin = { accessKeyId: 'AKIAADMIN', secretAccessKey: 'admin-secret' };
  const rendered = (component: string) =>
    renderServiceConfig(
      config!,
      daemons.find((d) => d.component.component === component)!,
      daemons,
      layout,
      admin,
    );
  t.strictSame(rendered('walrus').settings, { objectStore: config!.objectStore });
  for (const other of ['clc', 'cc', 'nc']) {
    t.notMatch(JSON.stringify(rendered(other)), /lab\/secret/, `${other}'s config holds no object store key`);
  }
  const local = validateCloudYaml(text.replace(/objectStore:[^]*?(?=hosts:)/, ''), 'lab.yaml').config!;
  const localDaemons = planDaemons(local);
  const localWalrus = localDaemons.find((d) => d.component.component === 'walrus')!;
  t.strictSame(local.objectStore, { engine: 'local' }, "no objectStore: the walrus host's own disk");
  t.equal(renderServiceConfig(local, localWalrus, localDaemons, layout, admin).settings, undefined);
});

t.test('a file with several problems reports every one, in file order', async (t) => {
  const text = readFileSync(join(fixtures, 'several-problems.yaml'), 'utf8');
  const { config, problems } = validateCloudYaml(text, 'several-problems.yaml');
  t.equal(config, undefined);
  t.strictSame(
    problems.map(formatProblem),
    [
      [
        'several-problems.yaml:2:7: error: cloud name "Demo" is not valid',
        '  hint: use lowercase letters, digits and hyphens, starting and ending with a letter or digit',
      ],
      ['several-problems.yaml:3:1: error: unknown key "regoin" at the top level', '  hint: did you mean "region"?'],
      [
        'several-problems.yaml:5:11: error: database engine postgresql needs a "url"',
        '  hint: add url: postgres://USER:PASSWORD@HOST:5432/DATABASE, or use engine: sqlite',
      ],
      [
        'several-problems.yaml:10:13: error: "port" in the ssh settings of host "ctl1" must be a whole number, not the string "22"',
        '  hint: write the number without quotes, e.g. port: 8773',
      ],
      [
        'several-problems.yaml:12:14: error: address "10.250.0.11" of host "node1" is already used by host "ctl1" (line 8)',
        '  hint: list each server once; run several components on it by naming the same host in "components"',
      ],
      [
        'several-problems.yaml:15:13: error: subnet "10.250.0.0/33" in zone "zone-a" is not an IPv4 CIDR',
        '  hint: write the network address, a slash and the prefix length, e.g. 10.250.0.0/24',
      ],
      [
        'several-problems.yaml:21:11: error: port 8773 on host "ctl1" is already used by clc (line 17)',
        '  hint: give one of the two components another "port"',
      ],
      [
        'several-problems.yaml:26:11: error: component nc refers to unknown host "nod1"',
        '  hint: did you mean "node1"?',
      ],
      [
        'several-problems.yaml:28:17: error: hypervisor "kvm" in component nc on host "nod1" is not a libvirt URI Mallee supports',
        "  hint: use qemu:///system, or test:///default for libvirt's simulated hypervisor",
      ],
    ].map((lines) => lines.join('\n')),
  );
  t.strictSame(
    problems.map((p) => p.code),
    [
      'invalid-name',
      'unknown-key',
      'postgresql-without-url',
      'wrong-type',
      'duplicate-address',
      'invalid-cidr',
      'port-conflict',
      'unknown-host',
      'invalid-uri',
    ],
  );
});

t.test('a top level that is not a mapping is one problem', async (t) => {
  const { problems } = validateCloudYaml('- name: demo\n', 'list.yaml');
  t.strictSame(problems.map(formatProblem), [
    'list.yaml:1:1: error: the file must be a mapping of keys to values, not a list\n' +
      '  hint: write "key: value" lines, indented under it',
  ]);
});

t.test('loadCloudConfig returns the normalised config of a valid file', async (t) => {
  const config = loadCloudConfig(examplePath);
  t.equal(config.hosts.length, 3);
  t.equal(config.components.length, 8);
});

t.test('loadCloudConfig throws one invalidConfig CliError carrying every problem', async (t) => {
  const path = join(fixtures, 'several-problems.yaml');
  const error = t.throws(() => loadCloudConfig(path)) as CliError;
  t.ok(error instanceof CliError);
  t.equal(error.kind, 'invalidConfig');
  t.equal(error.exitCode, 3);
  t.equal(error.message, `${path} has 9 problems; the first, at line 2 column 7: cloud name "Demo" is not valid`);
  t.equal(error.hint, `run \`faststart validate ${path}\` to see every problem with its line and a hint`);
  t.equal((error.details as unknown[]).length, 9);
});

t.test('loadCloudConfig on a missing file is notFound', async (t) => {
  const error = t.throws(() => loadCloudConfig('/nonexistent/cloud.yaml')) as CliError;
  t.equal(error.kind, 'notFound');
  t.equal(error.message, 'No file at /nonexistent/cloud.yaml.');
  t.equal(error.hint, 'Check the path, or copy templates/cloud.example.yaml and edit it.');
});

t.test('componentDefaults: the Eucalyptus ports, one per component, each with a description', async (t) => {
  t.strictSame(Object.fromEntries(Object.entries(componentDefaults).map(([name, { port }]) => [name, port])), {
    clc: 8773,
    cc: 8774,
    nc: 8775,
    walrus: 8776,
    sc: 8777,
  });
  for (const [name, { description }] of Object.entries(componentDefaults)) {
    t.match(description, /^\S.{10,}$/, `${name} has a one-line description`);
  }
});

t.test('formatProblem puts the position first and the hint on its own line', async (t) => {
  t.equal(
    formatProblem({ file: 'c.yaml', line: 3, column: 5, code: 'unknown-key', message: 'm', hint: 'h' }),
    'c.yaml:3:5: error: m\n  hint: h',
  );
});
