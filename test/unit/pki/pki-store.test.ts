import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { createCloudCa, issueHostCertificate } from '../../../src/pki/certificate-authority.js';
import { ensureCloudCertificates } from '../../../src/pki/cloud-certificates.js';
import { PkiStore } from '../../../src/pki/pki-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function temporaryDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'mallee-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function runOpenssl(args: string[]) {
  return execa('openssl', args, { reject: false });
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

t.test('init creates the CA once, with private files 0600 and certificates 0644', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  t.equal(store.caCreated, true);
  t.equal(mode(join(dir, 'ca.pem')), 0o644);
  t.equal(mode(join(dir, 'ca-key.pem')), 0o600);
  t.ok(new X509Certificate(read(dir, 'ca.pem')).ca);
  const caPem = read(dir, 'ca.pem');
  const caKeyPem = read(dir, 'ca-key.pem');

  await store.ensureHost('node1', ['10.0.0.5']);
  t.equal(mode(join(dir, 'hosts/node1.pem')), 0o644);
  t.equal(mode(join(dir, 'hosts/node1-key.pem')), 0o600);

  const again = await PkiStore.init(dir, 'another-name');
  t.equal(again.caCreated, false, 'an existing CA is kept');
  t.equal(read(dir, 'ca.pem'), caPem, 'same CA certificate');
  t.equal(read(dir, 'ca-key.pem'), caKeyPem, 'same CA key');
  t.equal((await again.ensureHost('node1', ['10.0.0.5'])).action, 'kept', 'host certificates stay valid');
});

t.test('open needs an existing CA', async (t) => {
  const dir = temporaryDir(t);
  t.throws(() => PkiStore.open(dir), { name: 'CliError', kind: 'notFound', exitCode: 4 });
  await PkiStore.init(dir, 'lab');
  t.equal(PkiStore.open(dir).caCreated, false);
});

t.test('ensureHost issues, keeps and renews', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');

  const created = await store.ensureHost('node1', ['10.0.0.5', 'node1.lab']);
  t.equal(created.action, 'created');
  t.same(created.certificate.sans, ['10.0.0.5', 'node1.lab', 'node1', 'localhost', '127.0.0.1', '::1']);
  t.equal(created.certificate.subject, 'node1');
  t.equal(created.certificate.issuer, 'Mallee cloud CA (lab)');
  t.equal(created.certificate.verifies, true);

  const kept = await store.ensureHost('node1', ['node1.lab', '10.0.0.5', '127.0.0.1']);
  t.equal(kept.action, 'kept', 'same addresses in another order, plus one already there');
  t.equal(kept.certificate.fingerprint256, created.certificate.fingerprint256);
  t.match(kept.reason, /valid for \d+ more days/);

  const renewed = await store.ensureHost('node1', ['10.0.0.5', '10.0.0.6']);
  t.equal(renewed.action, 'renewed');
  t.equal(renewed.reason, 'lacks 10.0.0.6');
  t.not(renewed.certificate.fingerprint256, created.certificate.fingerprint256);
  t.same(renewed.certificate.sans, ['10.0.0.5', '10.0.0.6', 'node1', 'localhost', '127.0.0.1', '::1']);

  const later = await PkiStore.init(dir, 'lab', { now: () => new Date(Date.now() + 800 * DAY_MS) });
  const nearExpiry = await later.ensureHost('node1', ['10.0.0.5']);
  t.equal(nearExpiry.action, 'renewed', 'renewed when it expires within 30 days');
  t.match(nearExpiry.reason, /^expires in (2[0-9]|1?[0-9]) days$/);
  t.equal((await later.ensureHost('node1', ['10.0.0.5'])).action, 'kept');
});

t.test('ensureHost renews a certificate from another CA or one that lost its key', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  await store.ensureHost('node1', ['10.0.0.5']);

  const stranger = await issueHostCertificate(await createCloudCa({ cloudName: 'lab' }), {
    hostName: 'node1',
    addresses: ['10.0.0.5', 'node1', 'localhost', '127.0.0.1', '::1'],
  });
  writeFileSync(join(dir, 'hosts/node1.pem'), stranger.certPem);
  writeFileSync(join(dir, 'hosts/node1-key.pem'), stranger.keyPem);
  t.equal(store.list()[1]?.verifies, false, 'listed as not verifying');
  const fromStranger = await store.ensureHost('node1', ['10.0.0.5']);
  t.same([fromStranger.action, fromStranger.reason], ['renewed', 'not signed by this cloud CA']);
  t.equal(fromStranger.certificate.verifies, true);

  unlinkSync(join(dir, 'hosts/node1-key.pem'));
  const keyLost = await store.ensureHost('node1', ['10.0.0.5']);
  t.same([keyLost.action, keyLost.reason], ['renewed', 'key missing or mismatched']);
  t.equal(mode(join(dir, 'hosts/node1-key.pem')), 0o600);
});

t.test('an expired certificate is listed with negative days left and renewed', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  const ca = { certPem: read(dir, 'ca.pem'), keyPem: read(dir, 'ca-key.pem') };
  const expired = await issueHostCertificate(ca, {
    hostName: 'old',
    addresses: ['10.0.0.9', 'old', 'localhost', '127.0.0.1', '::1'],
    notBefore: new Date(Date.now() - 40 * DAY_MS),
    notAfter: new Date(Date.now() - 10 * DAY_MS),
  });
  mkdirSync(join(dir, 'hosts'));
  writeFileSync(join(dir, 'hosts/old.pem'), expired.certPem);
  writeFileSync(join(dir, 'hosts/old-key.pem'), expired.keyPem, { mode: 0o600 });

  const listed = store.list().find((certificate) => certificate.name === 'old');
  t.ok(listed);
  t.ok(listed!.daysLeft <= -10 && listed!.daysLeft >= -11, `daysLeft ${listed!.daysLeft}`);
  t.equal(listed!.verifies, true, 'still signed by the CA, just expired');

  const renewed = await store.ensureHost('old', ['10.0.0.9']);
  t.equal(renewed.action, 'renewed');
  t.match(renewed.reason, /^expired 1[01] days ago$/);
  t.ok(renewed.certificate.daysLeft > 800);
});

t.test('list shows the CA first, then hosts by name', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  await store.ensureHost('zeta', ['10.0.0.9']);
  await store.ensureHost('alpha', ['10.0.0.1']);
  const certificates = store.list();
  t.same(
    certificates.map((certificate) => [certificate.name, certificate.kind]),
    [
      ['ca', 'ca'],
      ['alpha', 'host'],
      ['zeta', 'host'],
    ],
  );
  const [ca, alpha] = certificates;
  t.match(ca, { subject: 'Mallee cloud CA (lab)', issuer: 'Mallee cloud CA (lab)', isCa: true, verifies: true });
  t.ok(ca!.daysLeft >= 3649);
  t.match(alpha, { subject: 'alpha', issuer: 'Mallee cloud CA (lab)', isCa: false, verifies: true });
  t.match(alpha!.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  t.equal(alpha!.fingerprint256, new X509Certificate(read(dir, 'hosts/alpha.pem')).fingerprint256);
  t.ok(Date.parse(alpha!.notBefore) < Date.now() && Date.parse(alpha!.notAfter) > Date.now());
});

t.test('hostCredentials hands node:tls the CA, certificate, key and revocation list', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  await store.ensureHost('node1', ['10.0.0.5']);
  t.same(store.hostCredentials('node1'), {
    ca: read(dir, 'ca.pem'),
    cert: read(dir, 'hosts/node1.pem'),
    key: read(dir, 'hosts/node1-key.pem'),
    crl: read(dir, 'crl.pem'),
  });
  t.throws(() => store.hostCredentials('node2'), { name: 'CliError', kind: 'notFound' });
  t.throws(() => store.hostCredentials('../ca'), { name: 'CliError', kind: 'usage' });

  const other = await PkiStore.init(temporaryDir(t), 'lab');
  await other.ensureHost('node1', ['10.0.0.5']);
  writeFileSync(join(dir, 'hosts/node1-key.pem'), read(other.dir, 'hosts/node1-key.pem'));
  t.throws(
    () => store.hostCredentials('node1'),
    { name: 'CliError', kind: 'invalidConfig' },
    'a key that is not the pair is refused',
  );
});

t.test('issueHost always issues, and renews with the old addresses when given none', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  await t.rejects(store.issueHost('node1'), { name: 'CliError', kind: 'usage' }, 'nothing to renew and no addresses');
  const first = await store.issueHost('node1', ['10.0.0.5']);
  t.equal(first.action, 'created');
  const second = await store.issueHost('node1');
  t.same([second.action, second.reason], ['renewed', 'renewal asked for']);
  t.not(second.certificate.fingerprint256, first.certificate.fingerprint256);
  t.same(second.certificate.sans, first.certificate.sans);
  const moved = await store.issueHost('node1', ['10.0.0.7']);
  t.same(moved.certificate.sans, ['10.0.0.7', 'node1', 'localhost', '127.0.0.1', '::1'], 'given addresses replace old');
});

t.test('without the CA key nothing can be issued', async (t) => {
  const dir = temporaryDir(t);
  const store = await PkiStore.init(dir, 'lab');
  unlinkSync(join(dir, 'ca-key.pem'));
  await t.rejects(store.ensureHost('node1', ['10.0.0.5']), {
    name: 'CliError',
    kind: 'notFound',
    message: /ca-key\.pem/,
  });
  t.equal((await PkiStore.init(dir, 'lab')).caCreated, false, 'init still does not replace the CA');
});

t.test('ensureCloudCertificates: the installer step', async (t) => {
  const dir = temporaryDir(t);
  const hosts = [
    { hostName: 'clc', addresses: ['10.0.0.2'] },
    { hostName: 'node1', addresses: ['10.0.0.5'] },
  ];
  const first = await ensureCloudCertificates(dir, 'lab', hosts);
  t.equal(first.ca.action, 'created');
  t.same(
    first.hosts.map((host) => [host.hostName, host.action]),
    [
      ['clc', 'created'],
      ['node1', 'created'],
    ],
  );
  const second = await ensureCloudCertificates(dir, 'lab', hosts);
  t.equal(second.ca.action, 'kept');
  t.equal(second.ca.certificate.fingerprint256, first.ca.certificate.fingerprint256);
  t.same(
    second.hosts.map((host) => host.action),
    ['kept', 'kept'],
  );
  await t.rejects(ensureCloudCertificates(dir, 'lab', [hosts[0]!, hosts[0]!]), { name: 'CliError', kind: 'usage' });
});

t.test(
  'revokeHost: the serial joins the CA-signed revocation list, and the host keeps no certificate here',
  async (t) => {
    const dir = temporaryDir(t);
    const store = await PkiStore.init(dir, 'lab');
    const empty = read(dir, 'crl.pem');
    t.match(empty, /^-----BEGIN X509 CRL-----/, 'every store has a list from the start, empty');
    t.same(store.revokedHosts(), []);
    await store.ensureHost('node1', ['10.0.0.5']);
    await store.ensureHost('node2', ['10.0.0.6']);
    const removedPem = read(dir, 'hosts/node1.pem');
    const serial = new X509Certificate(removedPem).serialNumber;
    t.equal(store.hostCredentials('node2').crl, empty, 'hostCredentials carries the list');

    const entry = await store.revokeHost('node1');
    t.equal(entry?.serialNumber, serial.toLowerCase());
    t.equal(entry?.hostName, 'node1');
    t.same(store.hostNames(), ['node2'], 'its certificate and key are gone');
    t.same(
      store.revokedHosts().map((revoked) => revoked.hostName),
      ['node1'],
    );
    const crl = read(dir, 'crl.pem');
    t.not(crl, empty);
    t.equal(store.hostCredentials('node2').crl, crl);

    // OpenSSL, as the daemons' TLS uses it: the list is signed by the CA, names the serial, and refuses only that one.
    writeFileSync(join(dir, 'removed.pem'), removedPem);
    const listed = await runOpenssl([
      'crl',
      '-in',
      join(dir, 'crl.pem'),
      '-CAfile',
      join(dir, 'ca.pem'),
      '-noout',
      '-text',
    ]);
    t.match(listed.stderr, /verify OK/, 'the CA signed the list');
    t.match(listed.stdout, new RegExp(`Serial Number: ${serial}`, 'i'));
    const verify = (certificate: string) =>
      runOpenssl([
        'verify',
        '-crl_check',
        '-CAfile',
        join(dir, 'ca.pem'),
        '-CRLfile',
        join(dir, 'crl.pem'),
        certificate,
      ]);
    const removedCheck = await verify(join(dir, 'removed.pem'));
    t.not(removedCheck.exitCode, 0);
    t.match(removedCheck.stdout + removedCheck.stderr, /certificate revoked/, 'the removed host is refused');
    t.match((await verify(join(dir, 'hosts/node2.pem'))).stdout, /: OK/, 'a host still in the cloud passes');

    // A host with no certificate (this one, again) has nothing to revoke.
    t.equal(await store.revokeHost('node1'), undefined);
    t.equal(store.revokedHosts().length, 1);
    await store.ensureHost('node1', ['10.0.0.5']);
    await store.revokeHost('node1');
    t.equal(store.revokedHosts().length, 2, 'a new certificate of the same name is a new serial to revoke');
    const reopened = await PkiStore.init(dir, 'lab');
    t.equal(reopened.revokedHosts().length, 2, 'the list outlives the process');
    // A store from before revocation lists gets one when the installer next opens it, with what revoked.json holds.
    unlinkSync(join(dir, 'crl.pem'));
    await PkiStore.init(dir, 'lab');
    t.match(read(dir, 'crl.pem'), /^-----BEGIN X509 CRL-----/);
    t.equal((await verify(join(dir, 'removed.pem'))).exitCode, 2, 'and it still lists what was revoked');
  },
);
