import { webcrypto } from 'node:crypto';
import { canonicalAddress, isIpAddress } from './addresses.js';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A certificate and its private key, both PEM; the key is PKCS#8, which node:tls accepts as it is. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CloudCaOptions {
  cloudName: string;
  validDays?: number;
  now?: Date;
}

export interface HostCertificateOptions {
  /** Becomes the subject CN. */
  hostName: string;
  /** IP addresses and DNS names, written as IP and DNS SANs. Nothing is added: pass loopback too if it is wanted. */
  addresses: string[];
  validDays?: number;
  /** Overrides the validity window (tests use them to make an expired certificate). */
  notBefore?: Date;
  notAfter?: Date;
  now?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start an hour in the past so a host whose clock runs a little behind still accepts them. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export async function createCloudCa({
  cloudName,
  validDays = 3650,
  now = new Date(),
}: CloudCaOptions): Promise<PemPair> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: malleeName(`Mallee cloud CA (${cloudName})`),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/**
 * Issues a certificate for one component host, signed by the CA. The same certificate serves both sides of mutual
 * TLS, so it allows server and client authentication. It never outlives the CA.
 */
export async function issueHostCertificate(ca: PemPair, options: HostCertificateOptions): Promise<PemPair> {
  const { hostName, addresses, validDays = 825, now = new Date() } = options;
  const caCertificate = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const keys = await generateKeys();
  const notBefore = options.notBefore ?? new Date(now.getTime() - CLOCK_SKEW_MS);
  const wantedNotAfter = options.notAfter ?? new Date(now.getTime() + validDays * DAY_MS);
  const notAfter =
    options.notAfter === undefined && wantedNotAfter > caCertificate.notAfter ? caCertificate.notAfter : wantedNotAfter;
  const subjectAltNames = addresses.map(canonicalAddress).map((value) => ({
    type: isIpAddress(value) ? ('ip' as const) : ('dns' as const),
    value,
  }));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: malleeName(hostName),
    issuer: caCertificate.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
      new x509.SubjectAlternativeNameExtension(subjectAltNames),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A certificate the CA has revoked: its serial (hex, as x509 prints it) and when. */
export interface RevokedCertificate {
  serialNumber: string;
  revokedAt: string;
}

/**
 * The CA's certificate revocation list: every revoked serial, signed by the CA. It is valid until the CA itself
 * expires (OpenSSL refuses every certificate once a CRL it checks has passed its next update, and hosts get a new
 * list only when the installer deploys one), and a revocation is a new list.
 */
export async function createRevocationList(
  ca: PemPair,
  revoked: readonly RevokedCertificate[],
  now = new Date(),
): Promise<string> {
  const caCertificate = new x509.X509Certificate(ca.certPem);
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCertificate.subjectName,
    thisUpdate: new Date(now.getTime() - CLOCK_SKEW_MS),
    nextUpdate: caCertificate.notAfter,
    entries: revoked.map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: new Date(entry.revokedAt),
    })),
    signingKey: await importPrivateKey(ca.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey)],
  });
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** O=Mallee, CN=<commonName>; the object form keeps x509 from reading quotes, commas or `#` in the name as syntax. */
function malleeName(commonName: string): x509.Name {
  return new x509.Name([{ O: [{ utf8String: 'Mallee' }] }, { CN: [{ utf8String: commonName }] }]);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']);
}

/** 16 random bytes with the top bit clear, so the DER INTEGER is positive and stays 16 bytes long. */
function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}
