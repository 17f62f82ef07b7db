import { renderTable } from '../cli/table.js';
import { renderList, type Column, type ListFormat } from '../cli/list-output.js';
import type { CloudCertificatesResult } from './cloud-certificates.js';
import type { CertInfo, EnsureHostResult, RevokedHost } from './pki-store.js';

export const certificateColumns: Column<CertInfo>[] = [
  { header: 'NAME', cell: (c) => (c.kind === 'ca' ? `${c.name} (${c.subject})` : c.name) },
  { header: 'SANS', cell: (c) => c.sans.join(',') || '-' },
  { header: 'EXPIRES', cell: (c) => c.notAfter.slice(0, 10) },
  { header: 'DAYS LEFT', cell: (c) => c.daysLeft },
  { header: 'VERIFIES', cell: (c) => (c.verifies ? 'yes' : 'NO') },
];

export function formatCertificateTable(certificates: CertInfo[], format: ListFormat = 'table'): string {
  return renderList(certificates, certificateColumns, format, 'No certificates.');
}

/** The revocation list, a line per certificate: whose it was, its serial, when it was revoked. */
export function formatRevokedHosts(revoked: readonly RevokedHost[]): string {
  return [
    'Revoked (every daemon refuses these):',
    ...revoked.map((entry) => `  ${entry.hostName}  serial ${entry.serialNumber}  ${entry.revokedAt.slice(0, 10)}`),
  ].join('\n');
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
