import { ClusterControllerClient } from '../clients/cc-client.js';
import type { Capacity } from '../clients/cluster-controller.js';
import type { HostConfig } from '../config/types.js';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { clockOffsetSeconds } from '../discovery/parse-host-output.js';
import type { Operator } from '../operators/operator.js';
import { describeCertificate } from '../pki/describe-certificate.js';
import { PkiStore, RENEW_WITHIN_DAYS } from '../pki/pki-store.js';
import { callPeer } from '../runtime/peer-client.js';
import { readHostProcesses, type DaemonProcess } from './host-daemons.js';
import type { InstalledCloud } from './installed-cloud.js';
import { operationMessages } from './operation-messages.js';

/** Clocks further apart than this break TLS validity checks and signed requests (SigV4 allows 5 minutes; be strict). */
export const maxClockSkewSeconds = 5;

export interface ComponentStatus {
  name: string;
  component: string;
  host: string;
  zone?: string;
  url: string;
  /** `healthy`: its process runs and /healthz says ok. `stopped`: stopped on purpose. */
  state: 'healthy' | 'unhealthy' | 'down' | 'stopped' | 'unknown';
  process?: DaemonProcess;
  version?: string;
  uptimeSeconds?: number;
  /** Why it is not healthy, or the last exit the supervisor saw. */
  lastError?: string;
}

export interface HostStatus {
  name: string;
  address: string;
  reachable: boolean;
  starter?: 'systemd' | 'supervisor';
  /** Whether the host's init starts the daemons after a reboot (systemd, or sysvinit through the init script). */
  startsAtBoot?: boolean;
  supervisorPid?: number;
  clockOffsetSeconds?: number;
  error?: string;
}

export interface ZoneStatus {
  name: string;
  cc?: string;
  reachable: boolean;
  nodes: { name: string; reachable: boolean; enabled?: boolean; instances?: number; lastError?: string }[];
  cores?: Capacity & { used: number };
  memoryMiB?: Capacity & { used: number };
  instances?: { total: number; byState: Record<string, number> };
  error?: string;
}

export interface EndpointStatus {
  name: string;
  url: string;
  reachable: boolean;
  detail: string;
}

export interface CertificateStatus {
  name: string;
  where: string;
  notAfter: string;
  daysLeft: number;
  state: 'ok' | 'renew soon' | 'expired';
}

export interface CloudStatus {
  cloud: string;
  healthy: boolean;
  /** Every reason it is not healthy, one line each. */
  problems: string[];
  /** Worth knowing, not unhealthy (a certificate to renew soon). */
  warnings: string[];
  hosts: HostStatus[];
  components: ComponentStatus[];
  zones: ZoneStatus[];
  endpoints: EndpointStatus[];
  certificates: CertificateStatus[];
}

interface HostLook {
  host: HostStatus;
  processes?: Map<string, DaemonProcess>;
  certificate?: CertificateStatus;
}

function certificateStatus(name: string, where: string, pem: string): CertificateStatus {
  const described = describeCertificate(pem);
  return {
    name,
    where,
    notAfter: described.notAfter,
    daysLeft: described.daysLeft,
    state: stateOf(described.daysLeft),
  };
}

function stateOf(daysLeft: number): CertificateStatus['state'] {
  return daysLeft < 0 ? 'expired' : daysLeft < RENEW_WITHIN_DAYS ? 'renew soon' : 'ok';
}

async function clockOffset(operator: Operator): Promise<number | undefined> {
  const before = Date.now();
  const answer = await operator.run('date +%s.%N', { timeoutMs: 10_000 });
  return answer.exitCode === 0 ? clockOffsetSeconds(before, answer.stdout, Date.now()) : undefined;
}

/** One connection per host: its daemons' processes, its clock, and the certificate its daemons serve with. */
async function lookAtHost(installed: InstalledCloud, host: HostConfig): Promise<HostLook> {
  const base = { name: host.name, address: host.address };
  let operator: Operator | undefined;
  try {
    operator = await installed.open(host);
    const onHost = installed.daemons.filter((daemon) => daemon.host.name === host.name);
    const processes = await readHostProcesses(operator, installed.layout, onHost);
    const offset = await clockOffset(operator);
    const pem = await operator.readFile(`${installed.layout.tlsDir}/host.pem`, { sudo: true });
    return {
      host: {
        ...base,
        reachable: true,
        starter: processes.starter,
        startsAtBoot: processes.startsAtBoot,
        ...(processes.supervisorPid && { supervisorPid: processes.supervisorPid }),
        ...(offset !== undefined && { clockOffsetSeconds: offset }),
      },
      processes: processes.daemons,
      ...(pem && {
        certificate: certificateStatus(
          `${host.name} (deployed)`,
          `${host.name}:${installed.layout.tlsDir}/host.pem`,
          pem.toString('utf8'),
        ),
      }),
    };
  } catch (error) {
    return { host: { ...base, reachable: false, error: (error as Error).message } };
  } finally {
    await operator?.close().catch(() => undefined);
  }
}

async function probeComponent(
  installed: InstalledCloud,
  daemon: PlannedDaemon,
  process: DaemonProcess | undefined,
): Promise<ComponentStatus> {
  const base = {
    name: daemon.name,
    component: daemon.component.component,
    host: daemon.host.name,
    ...('zone' in daemon.component && { zone: daemon.component.zone }),
    url: daemon.url,
    ...(process && { process }),
  };
  if (process?.state === 'stopped') return { ...base, state: 'stopped', lastError: process.lastExit };
  if (process?.state === 'down') {
    return {
      ...base,
      state: 'down',
      lastError: `not running${process.lastExit ? ` (last exit: ${process.lastExit})` : ''}`,
    };
  }
  try {
    const answer = await callPeer(new URL('/healthz', daemon.url).toString(), installed.adminTls, { timeoutMs: 5000 });
    const health = JSON.parse(answer.body) as { version?: string; uptimeSeconds?: number; error?: string };
    const about = { version: health.version, uptimeSeconds: health.uptimeSeconds };
    if (answer.status === 200) return { ...base, ...about, state: process ? 'healthy' : 'unknown' };
    return { ...base, ...about, state: 'unhealthy', lastError: health.error ?? `healthz answered ${answer.status}` };
  } catch (error) {
    return { ...base, state: 'unhealthy', lastError: (error as Error).message };
  }
}

const withUsed = (capacity: Capacity) => ({ ...capacity, used: capacity.total - capacity.free });

async function zoneStatus(installed: InstalledCloud, zone: string): Promise<ZoneStatus> {
  const cc = installed.daemons.find(
    (d) => d.component.component === 'cc' && 'zone' in d.component && d.component.zone === zone,
  );
  if (!cc) return { name: zone, reachable: false, nodes: [], error: 'no cc in the plan' };
  try {
    const client = await ClusterControllerClient.connect(cc.url, installed.adminTls, 'cloudctl');
    const [resources, instances] = await Promise.all([client.describeResources(), client.describeInstances()]);
    const byState: Record<string, number> = {};
    for (const instance of instances) byState[instance.state] = (byState[instance.state] ?? 0) + 1;
    return {
      name: zone,
      cc: cc.name,
      reachable: true,
      nodes: resources.nodes.map((node) => ({
        name: node.nodeName,
        reachable: node.reachable,
        ...(node.resource && { enabled: node.resource.enabled, instances: node.resource.instances }),
        ...(node.lastError && { lastError: node.lastError }),
      })),
      cores: withUsed(resources.cores),
      memoryMiB: withUsed(resources.memoryMiB),
      instances: { total: instances.length, byState },
    };
  } catch (error) {
    return { name: zone, cc: cc.name, reachable: false, nodes: [], error: (error as Error).message };
  }
}

async function endpointStatus(installed: InstalledCloud, name: string, url: string): Promise<EndpointStatus> {
  try {
    const answer = await callPeer(url, installed.adminTls, { timeoutMs: 5000 });
    return { name, url, reachable: true, detail: `HTTP ${answer.status}` };
  } catch (error) {
    return { name, url, reachable: false, detail: (error as Error).message };
  }
}

/** Reasons the cloud is not healthy, and things to know: pure, from what was gathered. */
export function judge(status: Omit<CloudStatus, 'healthy' | 'problems' | 'warnings'>): {
  problems: string[];
  warnings: string[];
} {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const host of status.hosts) {
    if (!host.reachable) problems.push(`host ${host.name} unreachable: ${host.error}`);
    if (host.clockOffsetSeconds !== undefined && Math.abs(host.clockOffsetSeconds) > maxClockSkewSeconds) {
      problems.push(`host ${host.name} clock is ${host.clockOffsetSeconds.toFixed(1)} s off`);
    }
    if (host.reachable && host.starter === 'supervisor' && !host.supervisorPid) {
      problems.push(operationMessages.supervisorNotRunning(host.name, status.cloud));
    }
  }
  for (const component of status.components) {
    if (component.state === 'healthy') continue;
    const line = `${component.name} on ${component.host} is ${component.state}${component.lastError ? `: ${component.lastError}` : ''}`;
    (component.state === 'unknown' ? warnings : problems).push(line);
  }
  for (const zone of status.zones) {
    if (!zone.reachable) problems.push(`zone ${zone.name}: ${zone.error}`);
    for (const node of zone.nodes)
      if (!node.reachable) problems.push(`zone ${zone.name}: node ${node.name} unreachable`);
  }
  for (const endpoint of status.endpoints) {
    if (!endpoint.reachable)
      problems.push(`endpoint ${endpoint.name} (${endpoint.url}) unreachable: ${endpoint.detail}`);
  }
  for (const certificate of status.certificates) {
    if (certificate.state === 'expired')
      problems.push(`certificate ${certificate.name} expired ${certificate.notAfter}`);
    if (certificate.state === 'renew soon')
      warnings.push(`certificate ${certificate.name} expires in ${certificate.daysLeft} days`);
  }
  return { problems, warnings };
}

/** The components (all, or `only`): process state from their hosts, then /healthz. */
export async function componentStatuses(
  installed: InstalledCloud,
  only: readonly PlannedDaemon[] = installed.daemons,
): Promise<ComponentStatus[]> {
  const hosts = installed.config.hosts.filter((host) => only.some((daemon) => daemon.host.name === host.name));
  const looks = await Promise.all(hosts.map((host) => lookAtHost(installed, host)));
  const processOf = (daemon: PlannedDaemon) =>
    looks.find((look) => look.host.name === daemon.host.name)?.processes?.get(daemon.name);
  return Promise.all(only.map((daemon) => probeComponent(installed, daemon, processOf(daemon))));
}

/** `cloudctl status`: every host, component, zone, endpoint and certificate of the cloud, in parallel. */
export async function cloudStatus(installed: InstalledCloud): Promise<CloudStatus> {
  const looks = await Promise.all(installed.config.hosts.map((host) => lookAtHost(installed, host)));
  const processOf = (daemon: PlannedDaemon) =>
    looks.find((look) => look.host.name === daemon.host.name)?.processes?.get(daemon.name);
  const [components, zones, endpoints] = await Promise.all([
    Promise.all(installed.daemons.map((daemon) => probeComponent(installed, daemon, processOf(daemon)))),
    Promise.all(installed.config.zones.map((zone) => zoneStatus(installed, zone.name))),
    Promise.all(
      Object.entries({ ec2: installed.cloudFile.endpoints.ec2, s3: installed.cloudFile.endpoints.s3 }).map(
        ([name, url]) => endpointStatus(installed, name, url),
      ),
    ),
  ]);
  const store = PkiStore.open(installed.cloudFile.pkiDir);
  const certificates = [
    ...store.list().map((info) => ({
      name: info.name,
      where: info.path,
      notAfter: info.notAfter,
      daysLeft: info.daysLeft,
      state: stateOf(info.daysLeft),
    })),
    ...looks.flatMap((look) => (look.certificate ? [look.certificate] : [])),
  ];
  const gathered = {
    cloud: installed.name,
    hosts: looks.map((look) => look.host),
    components,
    zones,
    endpoints,
    certificates,
  };
  const { problems, warnings } = judge(gathered);
  return { ...gathered, healthy: problems.length === 0, problems, warnings };
}
