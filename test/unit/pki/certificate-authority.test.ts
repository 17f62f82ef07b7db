import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import t from 'tap';
import { createCloudCa, issueHostCertificate } from '../../../src/pki/certificate-authority.js';
import { x509 } from '../../../src/pki/x509.js';

const DAY_MS = 24 * 60 * 60 * 1000;

t.test('the cloud CA is a self-signed P-256 CA with the constraints a CA needs', async (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  const ca = await createCloudCa({ cloudName: 'lab, "west"', validDays: 100, now });
  const cert = new X509Certificate(ca.certPem);
  t.ok(cert.ca, 'basicConstraints CA:true');
  t.ok(cert.checkIssued(cert), 'self-issued');
  t.ok(cert.verify(cert.publicKey), 'self-signed');
  t.match(cert.subject, /O=Mallee/);
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(new Date(cert.validTo).getTime(), now.getTime() + 100 * DAY_MS);
  t.ok(new Date(cert.validFrom) < now, 'starts a little before now, for clocks that run behind');

  const parsed = new x509.X509Certificate(ca.certPem);
  t.same(
    parsed.subjectName.getField('CN'),
    ['Mallee cloud CA (lab, "west")'],
    'the cloud name survives commas and quotes',
  );
  t.match(parsed.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
  t.match(parsed.serialNumber, /^[0-7][0-9a-f]{31}$/, '16 bytes, positive');
  const basic = parsed.getExtension(x509.BasicConstraintsExtension);
  t.ok(basic?.critical, 'basicConstraints critical');
  t.equal(basic?.ca, true);
  t.equal(basic?.pathLength, 0);
  const usage = parsed.getExtension(x509.KeyUsagesExtension);
  t.ok(usage?.critical, 'keyUsage critical');
  t.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  t.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, 'has a subject key identifier');

  t.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8');
  t.ok(createPublicKey(createPrivateKey(ca.keyPem)).equals(cert.publicKey), 'the key belongs to the certificate');
});

t.test('two CAs get different keys and serial numbers', async (t) => {
  const [a, b] = await Promise.all([createCloudCa({ cloudName: 'a' }), createCloudCa({ cloudName: 'a' })]);
  const [certA, certB] = [new X509Certificate(a.certPem), new X509Certificate(b.certPem)];
  t.not(certA.serialNumber, certB.serialNumber);
  t.notOk(certA.publicKey.equals(certB.publicKey));
});

t.test('a host certificate serves both sides of mutual TLS and verifies only against its CA', async (t) => {
  const ca = await createCloudCa({ cloudName: 'lab' });
  const otherCa = await createCloudCa({ cloudName: 'lab' });
  const host = await issueHostCertificate(ca, {
    hostName: 'node1',
    addresses: ['10.0.0.5', 'node1.lab', 'fd00::5', 'localhost', '127.0.0.1', '::1'],
  });
  const cert = new X509Certificate(host.certPem);
  const caCert = new X509Certificate(ca.certPem);
  const otherCaCert = new X509Certificate(otherCa.certPem);

  t.notOk(cert.ca, 'not a CA');
  t.ok(cert.checkIssued(caCert), 'issued by the CA');
  t.ok(cert.verify(caCert.publicKey), 'signed by the CA');
  t.notOk(cert.verify(otherCaCert.publicKey), 'not signed by another CA, even one with the same name');
  t.match(cert.subject, /CN=node1/);
  t.match(cert.subject, /O=Mallee/);
  t.equal(cert.issuer, caCert.subject);
  for (const san of ['IP Address:10.0.0.5', 'DNS:node1.lab', 'DNS:localhost', 'IP Address:127.0.0.1']) {
    t.ok(cert.subjectAltName?.includes(san), `SAN ${san}`);
  }
  t.ok(cert.checkIP('fd00::5'), 'IPv6 SAN');
  t.ok(cert.checkIP('::1'), 'IPv6 loopback SAN');
  t.notOk(cert.checkHost('example.org'), 'no other names');
  t.same(
    [...(cert.keyUsage ?? [])].sort(),
    [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth].sort(),
  );

  const parsed = new x509.X509Certificate(host.certPem);
  t.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  t.equal(
    parsed.getExtension(x509.KeyUsagesExtension)?.usages,
    x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
  );
  t.equal(
    parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
    new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    'the authority key identifier is the CA key id',
  );
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.ok(createPublicKey(createPrivateKey(host.keyPem)).equals(cert.publicKey), 'the key belongs to the certificate');
});

t.test('host certificate validity: default, overrides, and never past the CA', async (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  const ca = await createCloudCa({ cloudName: 'lab', validDays: 3650, now });
  const normal = new X509Certificate(
    (await issueHostCertificate(ca, { hostName: 'a', addresses: ['a'], now })).certPem,
  );
  t.equal(new Date(normal.validTo).getTime(), now.getTime() + 825 * DAY_MS, '825 days by default');

  const notBefore = new Date('2020-01-01T00:00:00Z');
  const notAfter = new Date('2020-02-01T00:00:00Z');
  const expired = await issueHostCertificate(ca, { hostName: 'old', addresses: ['old'], notBefore, notAfter });
  const expiredCert = new X509Certificate(expired.certPem);
  t.equal(new Date(expiredCert.validFrom).getTime(), notBefore.getTime());
  t.equal(new Date(expiredCert.validTo).getTime(), notAfter.getTime());

  const shortCa = await createCloudCa({ cloudName: 'short', validDays: 10, now });
  const capped = await issueHostCertificate(shortCa, { hostName: 'a', addresses: ['a'], now });
  t.equal(
    new X509Certificate(capped.certPem).validTo,
    new X509Certificate(shortCa.certPem).validTo,
    'capped at the CA',
  );
});

t.test('bad addresses are refused', async (t) => {
  const ca = await createCloudCa({ cloudName: 'lab' });
  await t.rejects(issueHostCertificate(ca, { hostName: 'a', addresses: ['not an address'] }), {
    name: 'CliError',
    kind: 'usage',
  });
});
