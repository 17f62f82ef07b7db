import t from 'tap';
import { CliError } from '../../../src/cli/cli-error.js';
import { parseHostList, toHostConfigs } from '../../../src/plan/index.js';

const pairs = (text: string) => parseHostList(text).map((host) => `${host.name}=${host.address}`);

t.test('addresses, last-octet ranges and full ranges, comma-separated, named h1.. by position', async (t) => {
  t.strictSame(pairs('10.0.0.5-7'), ['h1=10.0.0.5', 'h2=10.0.0.6', 'h3=10.0.0.7']);
  t.strictSame(pairs('10.0.0.5,10.0.0.6'), ['h1=10.0.0.5', 'h2=10.0.0.6']);
  t.strictSame(pairs(' 10.0.0.9, 10.0.0.5-6 , 10.0.1.254-10.0.2.1 '), [
    'h1=10.0.0.9',
    'h2=10.0.0.5',
    'h3=10.0.0.6',
    'h4=10.0.1.254',
    'h5=10.0.1.255',
    'h6=10.0.2.0',
    'h7=10.0.2.1',
  ]);
  t.strictSame(pairs('10.0.0.5-5'), ['h1=10.0.0.5'], 'a range of one');
});

t.test('host names name their host after the first label; IPv6 stays an address', async (t) => {
  t.strictSame(pairs('node1.example.net,Node2.example.net,10.0.0.8,fd00::5'), [
    'node1=node1.example.net',
    'node2=Node2.example.net',
    'h3=10.0.0.8',
    'h4=fd00::5',
  ]);
  t.strictSame(pairs('web.a.example,web.b.example,h2.example'), [
    'web=web.a.example',
    'web-2=web.b.example',
    'h2=h2.example',
  ]);
  t.strictSame(
    pairs('h2.example,10.0.0.8'),
    ['h2=h2.example', 'h2-2=10.0.0.8'],
    'generated names never repeat a taken one',
  );
});

t.test('ssh settings are copied onto every host', async (t) => {
  const hosts = parseHostList('10.0.0.5-6', { user: 'deploy', key: '/k/id', sudo: true });
  t.strictSame(hosts, [
    { name: 'h1', address: '10.0.0.5', ssh: { user: 'deploy', key: '/k/id', sudo: true } },
    { name: 'h2', address: '10.0.0.6', ssh: { user: 'deploy', key: '/k/id', sudo: true } },
  ]);
  t.not(hosts[0]?.ssh, hosts[1]?.ssh, 'each host has its own copy');
  t.strictSame(parseHostList('10.0.0.5', {}), [{ name: 'h1', address: '10.0.0.5' }]);
});

t.test('bad lists are the usage errors of faststart discover, naming the entry', async (t) => {
  const cases: [string, string, string][] = [
    [' , ', 'No hosts were given.', 'Name them with --hosts, e.g. --hosts 10.0.0.5,10.0.0.6 or --hosts 10.0.0.5-7.'],
    [
      '10.0.0.256',
      '"10.0.0.256" is not an address, a host name or a range.',
      'Give addresses like 10.0.0.5, ranges like 10.0.0.5-8 or 10.0.0.5-10.0.0.8, or host names, comma-separated.',
    ],
    ['10.0.0.9-5', 'The range "10.0.0.9-5" runs backwards.', 'Put the lower address first, e.g. 10.0.0.5-8.'],
    [
      '10.0.0.0-10.0.255.255',
      'The range "10.0.0.0-10.0.255.255" names 65536 hosts; at most 256 are allowed in one range.',
      'Check the range for a typo, or list the hosts in several smaller ranges.',
    ],
  ];
  for (const [input, message, hint] of cases) {
    t.throws(() => parseHostList(input), new CliError('usage', message, hint), JSON.stringify(input));
    try {
      parseHostList(input);
    } catch (error) {
      t.equal((error as CliError).hint, hint);
      t.equal((error as CliError).exitCode, 2);
    }
  }
  t.strictSame(pairs('10.0.0.5-7,10.0.0.6'), ['h1=10.0.0.5', 'h2=10.0.0.6', 'h3=10.0.0.7'], 'each address once');
  t.strictSame(pairs('ctl-1.example.net'), ['ctl-1=ctl-1.example.net'], 'a hyphenated name is a name, not a range');
});

t.test('toHostConfigs applies the defaults cloud.yaml would, for discovery and the SSH operator', async (t) => {
  const hosts = [
    ...parseHostList('10.0.0.5', { user: 'deploy', key: '/k/id', sudo: true }),
    { name: 'big', address: '10.0.0.6', ssh: { port: 2222 }, dataDir: '/srv/mallee' },
  ];
  t.strictSame(toHostConfigs(hosts), [
    {
      name: 'h1',
      address: '10.0.0.5',
      ssh: { user: 'deploy', port: 22, key: '/k/id', sudo: true },
      dataDir: '/var/lib/mallee',
    },
    { name: 'big', address: '10.0.0.6', ssh: { user: 'root', port: 2222, sudo: false }, dataDir: '/srv/mallee' },
  ]);
  t.equal(toHostConfigs(hosts, '/opt/mallee')[0]?.dataDir, '/opt/mallee');
});
