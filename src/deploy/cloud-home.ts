import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAwsConfig } from '../cloud/aws-config.js';
import { adminServicePath } from '../cloud/admin-names.js';
import { malleeHome, readCloudFile, writeCloudFile, type CloudFile } from '../cloud/cloud-file.js';
import { generateAccessKey } from '../cloud/credentials.js';
import type { CloudConfig } from '../config/types.js';
import { writeSecretFile } from '../util/secret-file.js';
import type { AdminCredentials, PlannedDaemon } from './daemon-plan.js';

/** The installer's side of a cloud: `~/.mallee/CLOUD/` (MALLEE_HOME moves ~/.mallee). */
export function cloudHome(name: string) {
  const dir = join(malleeHome(), name);
  return {
    dir,
    pki: join(dir, 'pki'),
    cloudFile: join(dir, 'cloud.json'),
    awsConfig: join(dir, 'aws-config'),
    eucarc: join(dir, 'eucarc'),
    /** The first admin's key, made once and kept, so re-runs render the same clc config. */
    adminKey: join(dir, 'admin-key.json'),
  };
}

export function readAdminCredentials(name: string): AdminCredentials | undefined {
  const home = cloudHome(name);
  if (!existsSync(home.adminKey)) return undefined;
  return JSON.parse(readFileSync(home.adminKey, 'utf8')) as AdminCredentials;
}

export function ensureAdminCredentials(name: string): AdminCredentials {
  const existing = readAdminCredentials(name);
  if (existing) return existing;
  // A cloud.json already here (an earlier `cloudctl local up`, or an install whose key file was lost) keeps its key.
  const home = cloudHome(name);
  const credentials = existsSync(home.cloudFile) ? readCloudFile(home.cloudFile).credentials : generateAccessKey();
  writeSecretFile(home.adminKey, JSON.stringify(credentials, null, 2) + '\n');
  return credentials;
}

export function cloudFileOf(cloud: CloudConfig, daemons: readonly PlannedDaemon[], admin: AdminCredentials): CloudFile {
  const home = cloudHome(cloud.name);
  const clc = daemons.find((daemon) => daemon.component.component === 'clc')!.url;
  const walrus = daemons.find((daemon) => daemon.component.component === 'walrus')?.url ?? clc;
  return {
    name: cloud.name,
    region: cloud.region,
    zone: cloud.zones[0]!.name,
    endpoints: { ec2: clc, s3: walrus, iam: clc, sts: clc, admin: `${clc}${adminServicePath}` },
    credentials: admin,
    caBundle: join(home.pki, 'ca.pem'),
    pkiDir: home.pki,
  };
}

/** Eucalyptus's eucarc: the environment euca2ools and the aws CLI read, for `source eucarc`. */
export function renderEucarc(cloud: CloudFile, awsConfig: string): string {
  const lines = {
    EC2_URL: cloud.endpoints.ec2,
    S3_URL: cloud.endpoints.s3,
    AWS_IAM_URL: cloud.endpoints.iam,
    EC2_ACCESS_KEY: cloud.credentials.accessKeyId,
    EC2_SECRET_KEY: cloud.credentials.secretAccessKey,
    AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: cloud.region,
    AWS_CA_BUNDLE: cloud.caBundle,
    EUCALYPTUS_CERT: cloud.caBundle,
    AWS_CONFIG_FILE: awsConfig,
  };
  const exports = Object.entries(lines).map(([key, value]) => `export ${key}='${value}'`);
  return `# Mallee cloud "${cloud.name}": source this file to use it from a shell.\n${exports.join('\n')}\n`;
}

/** cloud.json, aws-config and eucarc, all 0600: they hold the admin's secret key. */
export function writeCredentialFiles(cloud: CloudFile): { cloudFile: string; awsConfig: string; eucarc: string } {
  const home = cloudHome(cloud.name);
  writeCloudFile(home.cloudFile, cloud);
  writeSecretFile(home.awsConfig, renderAwsConfig(cloud));
  writeSecretFile(home.eucarc, renderEucarc(cloud, home.awsConfig));
  return { cloudFile: home.cloudFile, awsConfig: home.awsConfig, eucarc: home.eucarc };
}
