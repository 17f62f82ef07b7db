import type { CloudConfig, HostConfig } from '../config/types.js';
import type { Operator } from '../operators/operator.js';
import type { PeerTls } from '../runtime/peer-client.js';
import type { Bundle } from './bundle.js';
import type { HostCredentials, PkiStore } from '../pki/pki-store.js';
import { renderServiceConfig, type AdminCredentials, type PlannedDaemon } from './daemon-plan.js';
import type { HostLayout } from './host-layout.js';
import { classifyInit, initProbe } from '../discovery/init-system.js';

/** What a short look at the host tells the steps: how daemons are started and how packages are installed. */
export interface HostProbe {
  systemd: boolean;
  /**
   * Without systemd: whether PID 1 is sysvinit's init with runlevel scripts (an inittab, and update-rc.d or chkconfig
   * to link ours), so the init script the start step installs runs at boot. Elsewhere (a container, whose PID 1 runs
   * no boot scripts) nothing starts Mallee after a reboot.
   */
  initScripts: boolean;
  packageManager?: 'apt-get' | 'dnf';
}

/** Everything the steps of one host need, prepared on the installer side. */
export interface HostDeployment {
  cloud: CloudConfig;
  host: HostConfig;
  layout: HostLayout;
  probe: HostProbe;
  /** The daemons that run on this host. */
  daemons: PlannedDaemon[];
  /** Each daemon's ServiceConfig as written to the host, by daemon name. */
  configs: Map<string, string>;
  bundle: Bundle;
  /**
   * The release each daemon runs, by daemon name, where it is not `bundle`: an upgrade moves one daemon at a time, so
   * for a while a host runs two releases.
   */
  releases?: ReadonlyMap<string, string>;
  /** The release the host's supervisor runs from, where it is not `bundle` (an upgrade moves it last). */
  supervisorRelease?: string;
  /**
   * The host's TLS files (cloud CA, its revocation list, the host's certificate and key); absent in a dry run, which
   * issues nothing.
   */
  tls?: HostCredentials;
  /** The installer's client identity for /healthz over mTLS; absent in a dry run. */
  adminTls?: PeerTls;
  /** How long the health step waits for every daemon. */
  healthTimeoutMs: number;
  /** Aborted when the install is interrupted (Ctrl-C): the health step stops waiting. */
  signal?: AbortSignal;
}

/**
 * One host's deployment from the whole cloud's plan: its daemons, each one's ServiceConfig as written to the host,
 * and its TLS material from the cloud CA (none in a dry run, which issues nothing).
 */
export function hostDeploymentOf(input: {
  cloud: CloudConfig;
  host: HostConfig;
  layout: HostLayout;
  probe: HostProbe;
  /** Every daemon of the cloud: a config names its peers. */
  daemons: readonly PlannedDaemon[];
  admin: AdminCredentials;
  bundle: Bundle;
  pki?: PkiStore;
  adminTls?: PeerTls;
  healthTimeoutMs: number;
  releases?: ReadonlyMap<string, string>;
  supervisorRelease?: string;
  signal?: AbortSignal;
}): HostDeployment {
  const { cloud, host, layout, daemons, admin } = input;
  const onHost = daemons.filter((daemon) => daemon.host.name === host.name);
  const configs = new Map(
    onHost.map((daemon) => [
      daemon.name,
      JSON.stringify(renderServiceConfig(cloud, daemon, daemons, layout, admin), null, 2) + '\n',
    ]),
  );
  return {
    cloud,
    host,
    layout,
    probe: input.probe,
    daemons: onHost,
    configs,
    bundle: input.bundle,
    ...(input.releases && { releases: input.releases }),
    ...(input.supervisorRelease && { supervisorRelease: input.supervisorRelease }),
    tls: input.pki?.hostCredentials(host.name),
    adminTls: input.adminTls,
    healthTimeoutMs: input.healthTimeoutMs,
    ...(input.signal && { signal: input.signal }),
  };
}

/** The bundle hash of the release a daemon of the deployment runs from. */
export function releaseOf(deployment: HostDeployment, daemon: PlannedDaemon): string {
  return deployment.releases?.get(daemon.name) ?? deployment.bundle.hash;
}

/**
 * One command tells what PID 1 is (and whether it is sysvinit's, with runlevel scripts) and which package manager the
 * host has (read-only).
 */
export const probeCommand = `${initProbe}; for tool in apt-get dnf; do command -v $tool >/dev/null 2>&1 && echo $tool; done; true`;

export async function probeHost(operator: Operator): Promise<HostProbe> {
  const lines = (await operator.check(probeCommand)).stdout.split('\n').map((line) => line.trim());
  const { bootStarter } = classifyInit(lines);
  return {
    systemd: bootStarter === 'systemd',
    initScripts: bootStarter === 'sysvinit',
    packageManager: lines.includes('apt-get') ? 'apt-get' : lines.includes('dnf') ? 'dnf' : undefined,
  };
}
