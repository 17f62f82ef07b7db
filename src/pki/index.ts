export { canonicalAddress, hostSubjectAltNames, LOOPBACK_ADDRESSES, parseHostSpec } from './addresses.js';
export {
  createCloudCa,
  issueHostCertificate,
  type CloudCaOptions,
  type HostCertificateOptions,
  type PemPair,
} from './certificate-authority.js';
export { describeCertificate, type CertificateDescription } from './describe-certificate.js';
export {
  PkiStore,
  RENEW_WITHIN_DAYS,
  type CertInfo,
  type EnsureHostResult,
  type HostCertificateAction,
  type HostCredentials,
  type PkiStoreOptions,
  type RevokedHost,
} from './pki-store.js';
export {
  ensureCloudCertificates,
  openCloudPki,
  type CloudCertificatesResult,
  type HostSpec,
} from './cloud-certificates.js';
export { formatCertificateTable, formatCloudCertificates, formatHostResults, formatRevokedHosts } from './format.js';
