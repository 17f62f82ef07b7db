import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { writeSecretFile } from '../util/secret-file.js';

/** What a client needs to use a cloud. `cloudctl local up` and `faststart install` write this shape as cloud.json. */
export interface CloudFile {
  name: string;
  region: string;
  zone: string;
  /** `admin`: the clc's admin SOAP interface (wsdl/admin.wsdl), for cloudctl with the `admin` certificate. */
  endpoints: { ec2: string; s3: string; iam: string; sts: string; admin: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** PEM bundle of the cloud CA: clients verify the endpoints' TLS certificates with it. */
  caBundle: string;
  /** Folder holding the cloud CA and the component certificates (see src/pki). */
  pkiDir: string;
}

/** Where named clouds live: `~/.mallee/NAME/cloud.json`; `MALLEE_HOME` moves it (tests do). */
export function malleeHome(): string {
  return process.env.MALLEE_HOME ?? join(homedir(), '.mallee');
}

export function namedCloudPath(name: string): string {
  return join(malleeHome(), name, 'cloud.json');
}

/** The clouds under ~/.mallee, by name. */
export function listNamedClouds(): string[] {
  const home = malleeHome();
  if (!existsSync(home)) return [];
  return readdirSync(home, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(home, entry.name, 'cloud.json')))
    .map((entry) => entry.name)
    .sort();
}

/** Why a command talks to the cloud it does: `--cloud`, `MALLEE_CLOUD`, or the only cloud under ~/.mallee. */
export type CloudSelectionReason = 'flag' | 'MALLEE_CLOUD' | 'only';

/**
 * Finds the cloud a command should talk to: `--cloud` (a name under ~/.mallee or a path to a cloud.json),
 * then `MALLEE_CLOUD`, then the only cloud under ~/.mallee.
 */
export function selectCloud(flag?: string): { path: string; reason: CloudSelectionReason } {
  const wanted = flag ?? process.env.MALLEE_CLOUD;
  if (wanted) {
    const looksLikePath = wanted.endsWith('.json') || wanted.includes('/') || isAbsolute(wanted);
    const path = looksLikePath ? resolve(wanted) : namedCloudPath(wanted);
    if (!existsSync(path)) {
      throw new CliError(
        'notFound',
        looksLikePath ? `No cloud file at ${path}.` : `No cloud named "${wanted}" (looked for ${path}).`,
        'Run `cloudctl local up --dir DIR` or `faststart install` to create one, or pass --cloud PATH/cloud.json.',
      );
    }
    return { path, reason: flag !== undefined ? 'flag' : 'MALLEE_CLOUD' };
  }
  const named = listNamedClouds();
  if (named.length === 1) return { path: namedCloudPath(named[0]!), reason: 'only' };
  throw new CliError(
    'notFound',
    named.length === 0
      ? `No cloud given and none under ${malleeHome()}.`
      : `No cloud given and several under ${malleeHome()}: ${named.join(', ')}.`,
    'Pass --cloud NAME or --cloud PATH/cloud.json, or set MALLEE_CLOUD.',
  );
}

export function resolveCloudPath(flag?: string): string {
  return selectCloud(flag).path;
}

export function readCloudFile(path: string): CloudFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CloudFile;
  } catch (error) {
    throw new CliError('invalidConfig', `Cannot read cloud file ${path}: ${(error as Error).message}`);
  }
}

export function loadCloud(flag?: string): { path: string; cloud: CloudFile } {
  const path = resolveCloudPath(flag);
  return { path, cloud: readCloudFile(path) };
}

/** cloud.json holds credentials, so it is written 0600. */
export function writeCloudFile(path: string, cloud: CloudFile): void {
  writeSecretFile(path, JSON.stringify(cloud, null, 2) + '\n');
}
