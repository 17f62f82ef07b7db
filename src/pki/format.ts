import type { CloudCertificatesResult } from './cloud-certificates.js';
import type { CertInfo, EnsureHostResult } from './pki-store.js';

/** Plain left-aligned columns, two spaces apart. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

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
