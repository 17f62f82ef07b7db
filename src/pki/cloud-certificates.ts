import { dirname, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { loadCloud } from '../cloud/cloud-file.js';
import { PkiStore, type CertInfo, type EnsureHostResult, type PkiStoreOptions } from './pki-store.js';

export interface HostSpec {
  hostName: string;
  addresses: string[];
}

export interface CloudCertificatesResult {
  dir: string;
  ca: { action: 'created' | 'kept'; certificate: CertInfo };
  hosts: EnsureHostResult[];
}

/** The installer's certificates step: the CA if there is none, then a certificate for each host (kept when still good). */
export async function ensureCloudCertificates(
  dir: string,
  cloudName: string,
  hosts: readonly HostSpec[],
  options: PkiStoreOptions = {},
): Promise<CloudCertificatesResult> {
  const duplicate = hosts.find((host, index) => hosts.findIndex((other) => other.hostName === host.hostName) !== index);
  if (duplicate) {
    throw new CliError(
      'usage',
      `Host "${duplicate.hostName}" is given twice.`,
      'Give each host once, with all its addresses.',
    );
  }
  const store = await PkiStore.init(resolve(dir), cloudName, options);
  const results: EnsureHostResult[] = [];
  for (const host of hosts) results.push(await store.ensureHost(host.hostName, host.addresses));
  const [caInfo] = store.list();
  return { dir: store.dir, ca: { action: store.caCreated ? 'created' : 'kept', certificate: caInfo! }, hosts: results };
}

/** The PKI store of a cloud named by `--cloud`; a relative `pkiDir` in cloud.json is relative to that file. */
export function openCloudPki(cloudFlag?: string): { cloudName: string; store: PkiStore } {
  const { path, cloud } = loadCloud(cloudFlag);
  if (typeof cloud.pkiDir !== 'string' || cloud.pkiDir === '') {
    throw new CliError('invalidConfig', `${path} has no pkiDir.`, 'Add "pkiDir": the folder holding ca.pem.');
  }
  return { cloudName: cloud.name, store: PkiStore.open(resolve(dirname(path), cloud.pkiDir)) };
}
