import t from 'tap';
import { canonicalAddress, hostSubjectAltNames, parseHostSpec } from '../../../src/pki/addresses.js';

t.test('addresses have one spelling', async (t) => {
  t.equal(canonicalAddress('10.0.0.5'), '10.0.0.5');
  t.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
  t.equal(canonicalAddress('[FD00:0::5]'), 'fd00::5');
  t.equal(canonicalAddress('::ffff:1.2.3.4'), '::ffff:102:304');
  t.equal(canonicalAddress('Node1.Example.ORG.'), 'node1.example.org');
  t.equal(canonicalAddress('*.apps.lab'), '*.apps.lab');
  t.equal(canonicalAddress('1x.example'), '1x.example');
  for (const bad of ['', 'has space', 'under_score.lab', '-lead.lab', 'a..b', '999.1.1.1', '10.0.0']) {
    t.throws(() => canonicalAddress(bad), { name: 'CliError', kind: 'usage' }, JSON.stringify(bad));
  }
});

t.test('a host certificate also names the host and loopback, once each', async (t) => {
  t.same(hostSubjectAltNames('node1', ['10.0.0.5', '127.0.0.1', 'NODE1']), [
    '10.0.0.5',
    '127.0.0.1',
    'node1',
    'localhost',
    '::1',
  ]);
  t.same(hostSubjectAltNames('my_host', ['10.0.0.5']), ['10.0.0.5', 'localhost', '127.0.0.1', '::1'], 'not a DNS name');
  t.same(hostSubjectAltNames('10.0.0', ['10.0.0.5']), ['10.0.0.5', 'localhost', '127.0.0.1', '::1'], 'not an address');
  t.same(hostSubjectAltNames('10.0.0.5', []), ['10.0.0.5', 'localhost', '127.0.0.1', '::1'], 'an IP as the name');
});

t.test('--host NAME=ADDR[,ADDR...]', async (t) => {
  t.same(parseHostSpec('node1=10.0.0.5, Node1.lab,fd00::5'), {
    hostName: 'node1',
    addresses: ['10.0.0.5', 'node1.lab', 'fd00::5'],
  });
  for (const bad of ['node1', 'node1=', '=10.0.0.5', '../etc=10.0.0.5', 'node1-key=10.0.0.5', 'a=not valid']) {
    t.throws(() => parseHostSpec(bad), { name: 'CliError', kind: 'usage', exitCode: 2 }, bad);
  }
});
