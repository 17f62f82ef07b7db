import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import type { CloudConfig, ComponentConfig, HostConfig } from '../config/types.js';
import { LocalOperator } from '../operators/local-operator.js';
import type { Operator } from '../operators/operator.js';
import { writeSecretFile } from '../util/secret-file.js';
import type { Bundle } from './bundle.js';
import { cloudHome } from './cloud-home.js';
import { daemonName } from './daemon-plan.js';
import { hostLayout, shellQuote as q } from './host-layout.js';
import { installMessages } from './install-messages.js';
import { removeInitScript } from './init-script.js';
import { supervisorStopCommand } from './supervisor-command.js';

/** What install remembers on the installer side, so uninstall knows the hosts and paths without the cloud.yaml. */
export interface InstallRecord {
  cloud: CloudConfig;
  allInOne: boolean;
  prefix: string;
  /** The known_hosts file the install checked host keys against: later commands on the hosts use it too. */
  knownHosts?: string;
  /**
   * The release the cloud runs when `cloudctl upgrade` moved it to one other than the installer's own build: what
   * `cloudctl nodes add|remove` deploy, so a change of nodes never changes the release. Absent: the installer's build.
   */
  release?: Bundle & { sha256: string; version: string };
}

export function installRecordPath(name: string): string {
  return join(cloudHome(name).dir, 'install.json');
}

export function writeInstallRecord(record: InstallRecord): void {
  writeSecretFile(installRecordPath(record.cloud.name), JSON.stringify(record, null, 2) + '\n');
}

export interface UninstallResult {
  cloud: string;
  purge: boolean;
  hosts: { name: string; removed: string[]; error?: string }[];
  /** ~/.mallee/CLOUD, removed only with --purge. */
  credentials: { dir: string; removed: boolean };
}

/**
 * Stops the daemons of a host (its supervisor, which stops them, or their systemd units) and removes the release,
 * configs, certificates, logs and pid files; with `purge` also the daemons' data.
 */
export function uninstallCommand(cloud: CloudConfig, host: HostConfig, prefix: string, purge: boolean): string {
  const layout = hostLayout(cloud.name, prefix);
  const daemons = cloud.components.filter((component) => component.host === host.name);
  const units = daemons.map((component) => layout.unitName(daemonName(component))).join(' ');
  const removed = [layout.installRoot, layout.configDir, layout.logDir, layout.runDir];
  if (purge) removed.push(...daemons.map((component) => component.dataDir));
  return [
    `if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then`,
    `  systemctl disable --now --quiet ${units} 2>/dev/null; (cd ${q(layout.unitDir)} && rm -f ${units}); systemctl daemon-reload`,
    `fi`,
    supervisorStopCommand(layout),
    removeInitScript(layout),
    // Daemons left by a supervisor that was killed: their command line names this cloud's config folder.
    `for file in ${q(layout.runDir)}/*.pid; do [ -f "$file" ] || continue; p=$(cat "$file")`,
    `  tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF ${q(`${layout.configDir}/`)} && kill -KILL "$p"; done`,
    ...(purge ? daemons.flatMap(guestRemoval) : []),
    `rm -rf ${removed.map(q).join(' ')}`,
  ].join('\n');
}

/**
 * With --purge, a node's guests go too: their disks are in the data removed with it. A domain is the node's when its
 * XML names the node's instances folder (as the nc itself decides); other domains on the hypervisor stay.
 * libvirt's simulated hypervisor keeps its domains in the nc process, gone with it.
 */
function guestRemoval(component: ComponentConfig): string[] {
  if (component.component !== 'nc' || component.hypervisor.startsWith('test:')) return [];
  const virsh = `virsh -q -c ${q(component.hypervisor)}`;
  const instances = `${component.dataDir.replace(/\/+$/, '')}/instances/`;
  return [
    `if command -v virsh >/dev/null 2>&1; then for d in $(${virsh} list --all --name 2>/dev/null); do`,
    `  if ${virsh} dumpxml "$d" 2>/dev/null | grep -qF ${q(instances)}; then`,
    `    ${virsh} destroy "$d" >/dev/null 2>&1; ${virsh} undefine "$d" >/dev/null 2>&1; fi`,
    `done; fi`,
  ];
}

export async function uninstallCloud(options: {
  name: string;
  purge: boolean;
  openOperator?: (host: HostConfig, record: InstallRecord) => Promise<Operator>;
}): Promise<UninstallResult> {
  const recordPath = installRecordPath(options.name);
  if (!existsSync(recordPath)) {
    throw new CliError(
      'notFound',
      installMessages.nothingInstalled(options.name, recordPath),
      installMessages.nothingInstalledHint,
    );
  }
  const record = JSON.parse(readFileSync(recordPath, 'utf8')) as InstallRecord;
  const open =
    record.allInOne || !options.openOperator
      ? async (host: HostConfig) => new LocalOperator(host.name, host.address)
      : (host: HostConfig) => options.openOperator!(host, record);
  const hosts = await Promise.all(
    record.cloud.hosts.map(async (host) => {
      const command = uninstallCommand(record.cloud, host, record.prefix, options.purge);
      const layout = hostLayout(record.cloud.name, record.prefix);
      const removed = [layout.installRoot, layout.configDir, layout.logDir, layout.runDir];
      try {
        const operator = await open(host);
        try {
          await operator.check(command, { sudo: true, timeoutMs: 120_000 });
        } finally {
          await operator.close();
        }
        return { name: host.name, removed };
      } catch (error) {
        return { name: host.name, removed: [], error: (error as Error).message };
      }
    }),
  );
  const failed = hosts.filter((host) => host.error);
  if (failed.length > 0) {
    throw new CliError(
      'failure',
      failed.map((host) => installMessages.uninstallHostFailed(host.name, host.error!)).join('\n'),
      'Fix the cause and run faststart uninstall again.',
      hosts,
    );
  }
  const home = cloudHome(options.name);
  if (options.purge) rmSync(home.dir, { recursive: true, force: true });
  return { cloud: options.name, purge: options.purge, hosts, credentials: { dir: home.dir, removed: options.purge } };
}
