import { renderTable } from '../cli/table.js';
import type { CloudCertificatesResult } from './cloud-certificates.js';
import type { CertInfo, EnsureHostResult } from './pki-store.js';

export function formatCertificateTable(certificates: CertInfo[]): string {
  return renderTable(
    ['NAME', 'SANS', 'EXPIRES', 'DAYS LEFT', 'VERIFIES'],
    certificates.map((certificate) => [
      certificate.kind === 'ca' ? `${certificate.name} (${certificate.subject})` : certificate.name,
      certificate.sans.join(',') || '-',
      certificate.notAfter.slice(0, 10),
      String(certificate.daysLeft),
      certificate.verifies ? 'yes' : 'NO',
    ]),
  );
}

export function formatHostResults(results: EnsureHostResult[]): string {
  return renderTable(
    ['HOST', 'ACTION', 'WHY', 'SANS', 'EXPIRES'],
    results.map((result) => [
      result.hostName,
      result.action,
      result.reason,
      result.certificate.sans.join(','),
      result.certificate.notAfter.slice(0, 10),
    ]),
  );
}

export function formatCloudCertificates(result: CloudCertificatesResult): string {
  const ca = result.ca.certificate;
  const lines = [`CA ${result.ca.action}: ${ca.subject}, expires ${ca.notAfter.slice(0, 10)} (${ca.path})`];
  if (result.hosts.length > 0) lines.push('', formatHostResults(result.hosts));
  return lines.join('\n');
}
