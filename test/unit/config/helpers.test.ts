import t from 'tap';
import { didYouMean, editDistance } from '../../../src/config/did-you-mean.js';
import {
  checkCidr,
  checkIpRange,
  isHostAddress,
  isLibvirtUri,
  isPostgresUrl,
  parseIpv4,
} from '../../../src/config/net-formats.js';

t.test('editDistance counts a swap of neighbours as one edit', async (t) => {
  t.equal(editDistance('address', 'address'), 0);
  t.equal(editDistance('adress', 'address'), 1);
  t.equal(editDistance('regoin', 'region'), 1);
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(editDistance('', 'abc'), 3);
});

t.test('didYouMean suggests only a close, unambiguous candidate', async (t) => {
  const keys = ['name', 'address', 'ssh', 'dataDir'];
  t.equal(didYouMean('adress', keys), 'address');
  t.equal(didYouMean('datadir', keys), 'dataDir');
  t.equal(didYouMean('data', keys), 'dataDir', 'a prefix');
  t.equal(didYouMean('postgres', ['sqlite', 'postgresql']), 'postgresql');
  t.equal(didYouMean('walrsu', ['clc', 'walrus', 'cc', 'sc', 'nc']), 'walrus');
  t.equal(didYouMean('hostname', keys), undefined, 'too far from all');
  t.equal(didYouMean('h3', ['h1', 'h2']), undefined, 'h1 and h2 are equally close');
});

t.test('parseIpv4 takes dotted quads only', async (t) => {
  t.equal(parseIpv4('10.250.0.1'), 0x0afa0001);
  t.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.250.0.256', '10.250.0', '10.250.0.1.2', '010.250.0.1', ' 10.250.0.1', 'a.b.c.d']) {
    t.equal(parseIpv4(bad), undefined, bad);
  }
});

t.test('checkCidr wants the network address and a prefix up to 32', async (t) => {
  t.strictSame(checkCidr('10.250.0.0/24'), { ok: true });
  t.strictSame(checkCidr('0.0.0.0/0'), { ok: true });
  t.strictSame(checkCidr('10.250.0.7/32'), { ok: true });
  t.strictSame(checkCidr('10.250.0.1/24'), { ok: false, reason: 'hostBits', network: '10.250.0.0/24' });
  t.strictSame(checkCidr('10.250.0.0/33'), { ok: false, reason: 'syntax' });
  t.strictSame(checkCidr('10.250.0.0'), { ok: false, reason: 'syntax' });
});

t.test('checkIpRange wants FIRST-LAST in order', async (t) => {
  t.strictSame(checkIpRange('10.250.0.100-10.250.0.150'), { ok: true });
  t.strictSame(checkIpRange('10.250.0.100-10.250.0.100'), { ok: true });
  t.strictSame(checkIpRange('10.250.0.150-10.250.0.100'), { ok: false, reason: 'backwards' });
  t.strictSame(checkIpRange('10.250.0.100-150'), { ok: false, reason: 'syntax' });
  t.strictSame(checkIpRange('10.250.0.100'), { ok: false, reason: 'syntax' });
});

t.test('isHostAddress takes IPv4, IPv6 and hostnames', async (t) => {
  for (const good of ['10.250.0.11', '::1', 'fd00::11', 'node-1', 'node-1.lab.internal', 'localhost']) {
    t.ok(isHostAddress(good), good);
  }
  for (const bad of ['10.250.0.300', '', 'node_1', '-node', 'node 1', 'a..b']) t.notOk(isHostAddress(bad), bad);
});

t.test('isLibvirtUri takes the qemu and test drivers', async (t) => {
  for (const good of ['qemu:///system', 'qemu:///session', 'test:///default', 'qemu+ssh://root@node/system']) {
    t.ok(isLibvirtUri(good), good);
  }
  for (const bad of ['kvm', 'kvm:///system', 'qemu://', 'qemu:///', 'xen:///system']) t.notOk(isLibvirtUri(bad), bad);
});

t.test('isPostgresUrl wants a postgres scheme and a host', async (t) => {
  t.ok(isPostgresUrl('postgres://u:p@db:5432/mallee'));
  t.ok(isPostgresUrl('postgresql://db/mallee'));
  t.notOk(isPostgresUrl('mysql://db/mallee'));
  t.notOk(isPostgresUrl('postgresql:///mallee'));
});
