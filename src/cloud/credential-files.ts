import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { writeSecretFile } from '../util/secret-file.js';
import { adminCall } from './admin-client.js';
import type { CloudFile } from './cloud-file.js';

/** A new access key as the clc's admin interface issues it; no `userName`: the account's root key. */
export interface IssuedAccessKey {
  accountId: string;
  accountName: string;
  userName?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface WrittenCredentials {
  accountId: string;
  accountName: string;
  userName?: string;
  accessKeyId: string;
  /** The profile name in `config` and `credentials` (they also hold it as `default`). */
  profile: string;
  dir: string;
  files: { config: string; credentials: string; eucarc: string };
}

const awsServices = ['ec2', 's3', 'iam', 'sts'] as const;

/**
 * Issues a new access key for an account's root identity or one of its users, and writes it where the AWS CLI, the
 * SDKs and Eucalyptus-era tools find it: an AWS `config` (region, endpoints, the cloud CA) and `credentials` file,
 * and a `eucarc` to source. All three are 0600 and written before the command returns; the secret is not printed.
 */
export async function issueCredentials(
  cloud: CloudFile,
  cloudPath: string,
  wanted: { accountName: string; userName?: string; outputDir?: string },
): Promise<WrittenCredentials> {
  const identity = wanted.userName ? `${wanted.accountName}-${wanted.userName}` : wanted.accountName;
  const dir = resolve(wanted.outputDir ?? join(dirname(cloudPath), 'credentials', identity));
  const files = { config: join(dir, 'config'), credentials: join(dir, 'credentials'), eucarc: join(dir, 'eucarc') };
  const present = Object.values(files).filter((file) => existsSync(file));
  if (present.length > 0) {
    throw new CliError(
      'conflict',
      `Credentials are already written in ${dir} (${present.join(', ')}).`,
      'Pass --output-dir with another folder, or remove these files first (their key stays valid until deleted).',
    );
  }
  const { accessKey } = await adminCall<{ accessKey: IssuedAccessKey }>(cloud, 'CreateAccessKey', {
    accountName: wanted.accountName,
    ...(wanted.userName && { userName: wanted.userName }),
  });
  const profile = `${cloud.name}-${identity}`;
  writeSecretFile(files.config, renderConfig(cloud, profile));
  writeSecretFile(files.credentials, renderCredentials(accessKey, profile));
  writeSecretFile(files.eucarc, renderEucarc(cloud, accessKey, files));
  const { secretAccessKey: _secret, ...key } = accessKey;
  return { ...key, profile, dir, files };
}

/** Region, the cloud CA and endpoints; as `default` and as `profile NAME`, so both ways of choosing work. */
function renderConfig(cloud: CloudFile, profile: string): string {
  const settings = [`region = ${cloud.region}`, `ca_bundle = ${cloud.caBundle}`, `services = ${profile}-endpoints`];
  const endpoints = awsServices.map((service) => `${service} =\n  endpoint_url = ${cloud.endpoints[service]}`);
  return [
    `# Written by Mallee for the cloud "${cloud.name}": AWS_CONFIG_FILE=<this file>`,
    '[default]',
    ...settings,
    '',
    `[profile ${profile}]`,
    ...settings,
    '',
    `[services ${profile}-endpoints]`,
    ...endpoints,
    '',
  ].join('\n');
}

function renderCredentials(key: IssuedAccessKey, profile: string): string {
  const lines = [`aws_access_key_id = ${key.accessKeyId}`, `aws_secret_access_key = ${key.secretAccessKey}`];
  return [`[default]`, ...lines, '', `[${profile}]`, ...lines, ''].join('\n');
}

/** Shell variables in Eucalyptus's `eucarc` tradition, plus the AWS CLI's own, so `. eucarc` is all a shell needs. */
function renderEucarc(cloud: CloudFile, key: IssuedAccessKey, files: WrittenCredentials['files']): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const variables: [string, string][] = [
    ['EC2_URL', cloud.endpoints.ec2],
    ['S3_URL', cloud.endpoints.s3],
    ['EUARE_URL', cloud.endpoints.iam],
    ['TOKEN_URL', cloud.endpoints.sts],
    ['AWS_DEFAULT_REGION', cloud.region],
    ['AWS_CA_BUNDLE', cloud.caBundle],
    ['AWS_CONFIG_FILE', files.config],
    ['AWS_SHARED_CREDENTIALS_FILE', files.credentials],
    ...awsServices.map((service): [string, string] => [
      `AWS_ENDPOINT_URL_${service.toUpperCase()}`,
      cloud.endpoints[service],
    ]),
    ['AWS_ACCESS_KEY_ID', key.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', key.secretAccessKey],
    ['EC2_ACCESS_KEY', key.accessKeyId],
    ['EC2_SECRET_KEY', key.secretAccessKey],
  ];
  const who = key.userName ? `user ${key.userName} of account ${key.accountName}` : `account ${key.accountName}`;
  return [
    `# Mallee credentials for ${who} on the cloud "${cloud.name}". Use: . ${files.eucarc}`,
    ...variables.map(([name, value]) => `export ${name}=${quote(value)}`),
    '',
  ].join('\n');
}

export function formatWrittenCredentials(written: WrittenCredentials): string {
  const who = written.userName
    ? `user ${written.userName} of account ${written.accountName}`
    : `account ${written.accountName}`;
  return [
    `New access key ${written.accessKeyId} for ${who}, written (mode 0600) to ${written.dir}:`,
    `  ${written.files.config}`,
    `  ${written.files.credentials}`,
    `  ${written.files.eucarc}`,
    'Use it with:',
    `  . ${written.files.eucarc} && aws sts get-caller-identity`,
  ].join('\n');
}
