import { X509Certificate as NodeCertificate } from 'node:crypto';
import { tryCanonicalAddress } from './addresses.js';
import { x509 } from './x509.js';

/** What a person (or a renewal decision) needs to know about one certificate. */
export interface CertificateDescription {
  /** Subject common name. */
  subject: string;
  /** Issuer common name. */
  issuer: string;
  /** Subject alternative names (IP addresses and DNS names), in the certificate's order and canonical spelling. */
  sans: string[];
  isCa: boolean;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter; negative once expired. */
  daysLeft: number;
  /** SHA-256 over the DER, colon-separated upper-case hex as openssl prints it. */
  fingerprint256: string;
  /** Signed by the given CA (the CA itself counts as signed by itself); null when no CA was given. */
  verifies: boolean | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function describeCertificate(
  certPem: string,
  options: { caPem?: string; now?: Date } = {},
): CertificateDescription {
  const { caPem, now = new Date() } = options;
  const certificate = new x509.X509Certificate(certPem);
  const nodeCertificate = new NodeCertificate(certPem);
  return {
    subject: commonName(certificate.subjectName),
    issuer: commonName(certificate.issuerName),
    sans: subjectAltNames(certificate),
    isCa: nodeCertificate.ca,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    daysLeft: Math.floor((certificate.notAfter.getTime() - now.getTime()) / DAY_MS),
    fingerprint256: nodeCertificate.fingerprint256,
    verifies: caPem === undefined ? null : isSignedBy(nodeCertificate, new NodeCertificate(caPem)),
  };
}

/** The issuer name matches the CA's subject and the signature checks out with the CA's public key. */
export function isSignedBy(certificate: NodeCertificate, ca: NodeCertificate): boolean {
  return ca.ca && certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

function commonName(name: x509.Name): string {
  return name.getField('CN')[0] ?? name.toString();
}

function subjectAltNames(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (!extension) return [];
  return extension.names
    .toJSON()
    .filter((name) => name.type === 'dns' || name.type === 'ip')
    .map((name) => tryCanonicalAddress(name.value) ?? name.value);
}
