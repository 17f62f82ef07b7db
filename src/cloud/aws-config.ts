import type { CloudFile } from './cloud-file.js';

/**
 * An AWS shared config file for the `aws` CLI, boto3 and the SDKs: credentials, region, the cloud CA as
 * `ca_bundle`, and per-service endpoints. Written as both `default` and `profile NAME`, so
 * `AWS_CONFIG_FILE=aws-config aws ...` and `--profile NAME` both work.
 */
export function renderAwsConfig(cloud: CloudFile, profile = 'mallee'): string {
  const settings = [
    `region = ${cloud.region}`,
    `aws_access_key_id = ${cloud.credentials.accessKeyId}`,
    `aws_secret_access_key = ${cloud.credentials.secretAccessKey}`,
    `ca_bundle = ${cloud.caBundle}`,
    `services = ${profile}-endpoints`,
  ].join('\n');
  const endpoints = (['ec2', 's3', 'iam', 'sts'] as const)
    .map((service) => `${service} =\n  endpoint_url = ${cloud.endpoints[service]}`)
    .join('\n');
  return `# Written by Mallee for the cloud "${cloud.name}". Use: export AWS_CONFIG_FILE=<this file>\n[default]\n${settings}\n\n[profile ${profile}]\n${settings}\n\n[services ${profile}-endpoints]\n${endpoints}\n`;
}
