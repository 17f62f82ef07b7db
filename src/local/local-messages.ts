import { renderTable } from '../cli/table.js';
import type { DaemonStatus, LocalUpResult } from './local-cloud.js';

/** What `cloudctl local ...` prints for people; `--json` prints the results themselves. */
export function formatLocalUp(result: LocalUpResult): string {
  const { cloud } = result;
  const lines = [
    `Local cloud up in ${result.seconds.toFixed(1)} s (${result.daemons.length} daemons${result.libvirtd === 'started' ? ', libvirtd started' : ''}).`,
    '',
    'Endpoints:',
    `  EC2, IAM, STS  ${cloud.endpoints.ec2}`,
    `  S3             ${cloud.endpoints.s3}`,
    '',
    `Credentials of the admin account (also in ${result.cloudFile}, mode 0600):`,
    `  access key id      ${cloud.credentials.accessKeyId}`,
    `  secret access key  ${cloud.credentials.secretAccessKey}`,
    '',
    'Try:',
    `  export AWS_CONFIG_FILE=${result.awsConfig}`,
    '  aws ec2 describe-regions',
    `  cloudctl local status --dir ${result.dir}`,
    `  cloudctl local down --dir ${result.dir}`,
  ];
  return lines.join('\n');
}

export function formatLocalStatus(statuses: DaemonStatus[]): string {
  const rows = statuses.map((s) => [s.name, s.component, String(s.pid), s.url, s.state, s.detail ?? '']);
  return renderTable(['NAME', 'COMPONENT', 'PID', 'URL', 'STATE', 'DETAIL'], rows);
}

export function formatLocalDown(results: { name: string; pid: number; result: string }[]): string {
  return results.map((r) => `${r.name} (pid ${r.pid}): ${r.result}`).join('\n');
}
