import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { adminCertificateName } from '../cloud/admin-client.js';
import { loadCloud, type CloudFile } from '../cloud/cloud-file.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import type { CloudConfig, HostConfig } from '../config/types.js';
import { planDaemons, type PlannedDaemon } from '../deploy/daemon-plan.js';
import { hostLayout, type HostLayout } from '../deploy/host-layout.js';
import type { InstallRecord } from '../deploy/uninstall.js';
import type { Operator } from '../operators/operator.js';
import { PkiStore } from '../pki/pki-store.js';
import type { PeerTls } from '../runtime/peer-client.js';
import { hostOpener, type SshAccess } from './host-access.js';
import { operationMessages } from './operation-messages.js';

/** Everything a host-side cloudctl command knows about an installed cloud. */
export interface InstalledCloud {
  name: string;
  cloudFile: CloudFile;
  cloudPath: string;
  config: CloudConfig;
  /** Where the cloud's files are on every host. */
  layout: HostLayout;
  daemons: PlannedDaemon[];
  /** The `admin` certificate: cloudctl's identity on /healthz and the components' SOAP interfaces. */
  adminTls: PeerTls;
  open: (host: HostConfig) => Promise<Operator>;
  /** What `faststart install` recorded (install.json), or what a record would say when there is none. */
  record: InstallRecord;
  /** The cloud.yaml beside cloud.json, when there is one (`faststart install --hosts` writes it). */
  planFile?: string;
}

export interface InstalledCloudOptions {
  cloud?: string;
  config?: string;
  prefix?: string;
  ssh: SshAccess;
}

/** What `faststart install` wrote beside cloud.json: the validated plan and the prefix it installed under. */
function readRecord(cloudPath: string): InstallRecord | undefined {
  const path = join(dirname(cloudPath), 'install.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as InstallRecord;
}

/**
 * The installed cloud: cloud.json (as `--cloud` selects it), its plan (`--config`, else the install record, else a
 * cloud.yaml beside cloud.json) and the prefix (`--prefix`, else the record's, else `/`).
 */
export function openInstalledCloud(options: InstalledCloudOptions): InstalledCloud {
  const { path: cloudPath, cloud: cloudFile } = loadCloud(options.cloud);
  const record = readRecord(cloudPath);
  const besideYaml = join(dirname(cloudPath), 'cloud.yaml');
  let config: CloudConfig;
  if (options.config) config = loadCloudConfig(options.config);
  else if (record) config = record.cloud;
  else if (existsSync(besideYaml)) config = loadCloudConfig(besideYaml);
  else
    throw new CliError('notFound', operationMessages.noPlan(cloudFile.name, cloudPath), operationMessages.noPlanHint);
  if (config.name !== cloudFile.name) {
    throw new CliError(
      'usage',
      operationMessages.planMismatch(config.name, cloudFile.name),
      operationMessages.planMismatchHint,
    );
  }
  const prefix = options.prefix ?? record?.prefix ?? '/';
  return {
    name: cloudFile.name,
    cloudFile,
    cloudPath,
    config,
    layout: hostLayout(config.name, prefix),
    daemons: planDaemons(config),
    adminTls: PkiStore.open(cloudFile.pkiDir).hostCredentials(adminCertificateName),
    record: {
      cloud: record?.cloud ?? config,
      allInOne: record?.allInOne ?? false,
      prefix,
      knownHosts: record?.knownHosts ?? (options.ssh.knownHosts && resolve(options.ssh.knownHosts)),
      ...(record?.release && { release: record.release }),
    },
    ...(existsSync(besideYaml) && { planFile: besideYaml }),
    open: hostOpener(
      { ...options.ssh, knownHosts: options.ssh.knownHosts ?? record?.knownHosts },
      record?.allInOne ?? false,
    ),
  };
}

/**
 * The daemons a service name on the command line means: a daemon name (`clc`, `cc-zone-a`, `nc-node1`), a
 * component (`nc`: every node controller) or `all` (every daemon: no daemon or component has that name), narrowed
 * to one host with `--host`.
 */
/** The service name that means every daemon (of a host, with `--host`). */
const allServices = 'all';

export function selectDaemons(installed: InstalledCloud, service: string, host?: string): PlannedDaemon[] {
  if (host !== undefined && !installed.config.hosts.some((entry) => entry.name === host)) {
    throw new CliError(
      'notFound',
      operationMessages.noSuchHost(host),
      operationMessages.knownHosts(installed.config.hosts.map((entry) => entry.name)),
    );
  }
  const matches = installed.daemons.filter(
    (daemon) =>
      (service === allServices || daemon.name === service || daemon.component.component === service) &&
      (host === undefined || daemon.host.name === host),
  );
  if (matches.length === 0) {
    throw new CliError(
      'notFound',
      operationMessages.noSuchService(service, host),
      operationMessages.knownServices(installed.daemons.map((daemon) => `${daemon.name} (${daemon.host.name})`)),
    );
  }
  return matches;
}
