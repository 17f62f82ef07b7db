import t from 'tap';
import { CliError } from '../../../src/cli/cli-error.js';
import type { CloudConfig, HostConfig } from '../../../src/config/types.js';
import { validateCloudYaml } from '../../../src/config/validate-cloud-yaml.js';
import {
  addNodeToYaml,
  checkPlan,
  chooseZone,
  cloudConfigYaml,
  defaultHostName,
  removeNodeFromYaml,
  validatedPlan,
  withNode,
  withoutNode,
  type NodeEntry,
} from '../../../src/operations/node-plan.js';

const yamlText = `# the plan faststart wrote
name: prod
hosts:
  - name: h1
    address: 10.0.0.11
  - name: h2
    address: 10.0.0.12
  - name: h3
    address: 10.0.1.13
zones:
  # one zone per subnet
  - name: zone-a
    subnet: 10.0.0.0/24
  - name: zone-b
    subnet: 10.0.1.0/24
components:
  - { component: clc, host: h1 }
  - { component: walrus, host: h1 }
  - { component: cc, host: h1, zone: zone-a }
  - { component: nc, host: h2, zone: zone-a }
  - { component: cc, host: h3, zone: zone-b }
  - { component: nc, host: h3, zone: zone-b }
`;

function cloudOf(text: string): CloudConfig {
  const { config, problems } = validateCloudYaml(text, 'cloud.yaml');
  if (!config) throw new Error(problems.map((problem) => problem.message).join('\n'));
  return config;
}
const cloud = cloudOf(yamlText);

function newHost(name: string, address: string): HostConfig {
  return { name, address, ssh: { user: 'root', port: 22, key: '/keys/id', sudo: false }, dataDir: '/var/lib/mallee' };
}
const h4: NodeEntry = { host: newHost('h4', '10.0.0.14'), zone: 'zone-a', port: 8775, hypervisor: 'test:///default' };

function cliErrorOf(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('no CliError thrown');
}

t.test('chooseZone: --zone, else the zone whose subnet holds the address, else the only zone', async (t) => {
  t.equal(chooseZone(cloud, { zone: 'zone-b', address: '10.0.0.14' }), 'zone-b', 'asked for wins');
  t.equal(chooseZone(cloud, { address: '10.0.1.40' }), 'zone-b', 'by the subnet holding the address');
  t.equal(chooseZone(cloud, { address: '192.168.5.5', subnet: '10.0.0.0/24' }), 'zone-a', 'by discovered subnet');

  const unknown = cliErrorOf(() => chooseZone(cloud, { zone: 'zone-x', address: '10.0.0.14' }));
  t.equal(unknown.kind, 'notFound');
  t.match(unknown.message, /no zone "zone-x"/);
  t.match(unknown.hint, /zone-a, zone-b/, 'the hint lists the zones');

  const ambiguous = cliErrorOf(() => chooseZone(cloud, { address: '192.168.5.5' }));
  t.equal(ambiguous.kind, 'usage');
  t.match(ambiguous.hint, /--zone/);

  const single: CloudConfig = {
    ...cloud,
    zones: [cloud.zones[0]!],
    components: cloud.components.filter((c) => !('zone' in c) || c.zone === 'zone-a'),
  };
  t.equal(chooseZone(single, { address: '192.168.5.5' }), 'zone-a', 'the only zone');
});

t.test('defaultHostName: as the installer names --hosts entries', async (t) => {
  t.equal(defaultHostName(cloud, '10.0.0.14'), 'h4', 'an address: the next free h<N>');
  t.equal(defaultHostName(cloud, 'node7.example.com'), 'node7', 'a host name: its first label');
  t.equal(defaultHostName(cloud, 'h2.example.com'), 'h4', 'a label the cloud already uses is not reused');
});

t.test('withNode appends the host and its nc; the result passes cloud.yaml validation', async (t) => {
  const added = validatedPlan(withNode(cloud, h4), 'install.json');
  t.same(added.hosts.at(-1), h4.host);
  t.same(added.components.at(-1), {
    component: 'nc',
    host: 'h4',
    zone: 'zone-a',
    port: 8775,
    dataDir: '/var/lib/mallee/nc',
    hypervisor: 'test:///default',
  });
  t.equal(added.components.length, cloud.components.length + 1);
  t.same(cloudOf(cloudConfigYaml(added)), added, 'the explicit YAML reads back as the same plan');

  t.same(withNode(added, h4), added, 'adding it again changes nothing');
  const moved = withNode(added, { ...h4, zone: 'zone-b' });
  t.equal(moved.components.filter((c) => c.host === 'h4').length, 1, 'a re-run replaces, never duplicates');
  t.match(moved.components.at(-1), { component: 'nc', host: 'h4', zone: 'zone-b' });

  const onWalrusHost = withNode(cloud, { ...h4, host: cloud.hosts[0]! });
  t.equal(onWalrusHost.hosts.length, cloud.hosts.length, 'a host the cloud has is not added twice');
  t.ok(onWalrusHost.components.some((c) => c.component === 'nc' && c.host === 'h1'));

  const clash = cliErrorOf(() => withNode(cloud, { ...h4, host: newHost('h2', '10.0.0.99') }));
  t.equal(clash.kind, 'conflict');
  t.match(clash.message, /already has a host "h2", at 10.0.0.12/);
});

t.test('validatedPlan refuses what cloud.yaml validation refuses', async (t) => {
  const error = cliErrorOf(() => validatedPlan(withNode(cloud, { ...h4, zone: 'zone-x' }), 'install.json'));
  t.equal(error.kind, 'invalidConfig');
  t.match(error.message, /zone-x/);
  const badUri = cliErrorOf(() => validatedPlan(withNode(cloud, { ...h4, hypervisor: 'not a uri' }), 'install.json'));
  t.equal(badUri.kind, 'invalidConfig');
});

t.test('withoutNode: the nc leaves; its host too when nothing else runs there', async (t) => {
  const added = withNode(cloud, h4);
  const removed = withoutNode(added, 'h4');
  t.same(removed.cloud, cloud, 'back to the plan before the add');
  t.equal(removed.hostRemoved, true);
  t.equal(removed.emptiedZone, undefined, 'zone-a still has h2');

  const lastOfZone = withoutNode(cloud, 'h3');
  t.equal(lastOfZone.hostRemoved, false, 'h3 still runs the cc of zone-b');
  t.equal(lastOfZone.emptiedZone, 'zone-b');
  t.notOk(lastOfZone.cloud.components.some((c) => c.component === 'nc' && c.host === 'h3'));
  t.ok(
    lastOfZone.cloud.components.some((c) => c.component === 'cc' && c.host === 'h3'),
    'the cc stays',
  );
  t.same(validatedPlan(lastOfZone.cloud, 'install.json', 'zone-b'), lastOfZone.cloud, 'the emptied zone is allowed');
  const strict = cliErrorOf(() => validatedPlan(lastOfZone.cloud, 'install.json'));
  t.match(strict.message, /zone "zone-b" has no nc/, 'but only as that exception');

  t.same(withoutNode(cloud, 'h1').cloud, cloud, 'a host without an nc: nothing to remove');
});

t.test('cloud.yaml text: nodes added and removed, comments and short forms kept', async (t) => {
  const added = addNodeToYaml(yamlText, cloud, h4);
  t.match(added, /^# the plan faststart wrote/, 'the header comment stays');
  t.match(added, /# one zone per subnet/);
  t.match(added, /- name: h4\n\s+address: 10\.0\.0\.14\n\s+ssh:\n\s+key: \/keys\/id/);
  t.same(checkPlan(added, 'cloud.yaml'), []);
  t.same(cloudOf(added), withNode(cloud, h4), 'the text says what install.json says');
  t.equal(addNodeToYaml(added, cloud, h4), added, 'adding again changes nothing');

  const removed = removeNodeFromYaml(added, 'h4', true);
  t.same(cloudOf(removed), cloud);
  t.notMatch(removed, /h4/);

  const emptied = removeNodeFromYaml(yamlText, 'h3', false);
  t.match(emptied, /name: h3/, 'h3 stays: it runs the cc of zone-b');
  t.same(
    checkPlan(emptied, 'cloud.yaml', 'zone-b').map((p) => p.code),
    [],
  );
  t.same(
    checkPlan(emptied, 'cloud.yaml').map((p) => p.code),
    ['zone-without-nodes'],
  );
});
