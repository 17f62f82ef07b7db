import { isIP } from 'node:net';
import { join } from 'node:path';
import type { CloudConfig, ComponentConfig, HostConfig } from '../config/types.js';
import type { ServiceConfig } from '../runtime/service-config.js';
import type { HostLayout } from './host-layout.js';

/** One daemon of the cloud: its component entry in cloud.yaml, where it runs, and how peers reach it. */
export interface PlannedDaemon {
  /** `clc`, `walrus`, `cc-ZONE`, `sc-ZONE`, `nc-HOST`: unique in the cloud, used for files, units and logs. */
  name: string;
  component: ComponentConfig;
  host: HostConfig;
  url: string;
}

export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function daemonName(component: ComponentConfig): string {
  if (component.component === 'nc') return `nc-${component.host}`;
  if (component.component === 'cc' || component.component === 'sc') return `${component.component}-${component.zone}`;
  return component.component;
}

/** An IPv6 literal in a URL needs brackets. */
function urlHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

export function planDaemons(cloud: CloudConfig): PlannedDaemon[] {
  return cloud.components.map((component) => {
    const host = cloud.hosts.find((entry) => entry.name === component.host)!;
    return {
      name: daemonName(component),
      component,
      host,
      url: `https://${urlHost(host.address)}:${component.port}`,
    };
  });
}

/** Daemons listen on the host's address when cloud.yaml gives an IP, on every address when it gives a name. */
function listenHost(host: HostConfig): string {
  return isIP(host.address) ? host.address : '0.0.0.0';
}

const simulatedNode = { maxCores: 128, maxMemoryMiB: 256 * 1024, maxDiskGiB: 2048 };

/**
 * The ServiceConfig each daemon starts from, rendered from the validated cloud. Registration is part of it: the clc
 * learns every zone and its cc (settings.zones), each cc its nodes (settings.nodes), walrus its clc.
 */
export function renderServiceConfig(
  cloud: CloudConfig,
  daemon: PlannedDaemon,
  daemons: readonly PlannedDaemon[],
  layout: HostLayout,
  admin: AdminCredentials,
): ServiceConfig {
  const { component } = daemon;
  const of = (kind: string, zone?: string) =>
    daemons.filter((d) => d.component.component === kind && (zone === undefined || zoneOf(d) === zone));
  const walrus = of('walrus')[0];
  const base: ServiceConfig = {
    component: component.component,
    name: daemon.name,
    listen: { host: listenHost(daemon.host), port: component.port },
    tls: {
      ca: join(layout.tlsDir, 'ca.pem'),
      cert: join(layout.tlsDir, 'host.pem'),
      key: join(layout.tlsDir, 'host-key.pem'),
      crl: join(layout.tlsDir, 'crl.pem'),
    },
    dataDir: component.dataDir,
    region: cloud.region,
  };
  switch (component.component) {
    case 'clc':
      return {
        ...base,
        peers: { cc: of('cc').map((d) => d.url), sc: of('sc').map((d) => d.url) },
        settings: {
          adminCredentials: admin,
          cloudName: cloud.name,
          zones: cloud.zones.map((zone) => ({ name: zone.name, clusterUrl: of('cc', zone.name)[0]?.url })),
          ...(walrus && { objectStoreUrl: walrus.url }),
          ...(cloud.database.engine === 'postgresql' && { databaseUrl: cloud.database.url }),
          ...(cloud.network.publicIps.length > 0 && { publicAddresses: cloud.network.publicIps.flatMap(expandRange) }),
        },
      };
    case 'walrus':
      return {
        ...base,
        peers: { clc: of('clc').map((d) => d.url) },
        // Where published objects' bytes go when not to the walrus host's own disk (the config file is 0600: it
        // carries the engine's secret key).
        ...(cloud.objectStore.engine === 's3' && { settings: { objectStore: cloud.objectStore } }),
      };
    case 'cc': {
      const nodes = of('nc', component.zone);
      return {
        ...base,
        zone: component.zone,
        peers: { nc: nodes.map((d) => d.url) },
        settings: { nodes: nodes.map((d) => ({ nodeName: d.name, url: d.url })) },
      };
    }
    case 'sc':
      return { ...base, zone: component.zone, peers: {} };
    case 'nc':
      return {
        ...base,
        zone: component.zone,
        hypervisor: component.hypervisor,
        peers: {},
        // libvirt's simulated hypervisor runs nothing: let it take as many instances as a large node would.
        ...(component.hypervisor.startsWith('test:') && { settings: simulatedNode }),
      };
  }
}

function zoneOf(daemon: PlannedDaemon): string | undefined {
  return 'zone' in daemon.component ? daemon.component.zone : undefined;
}

const ipv4ToNumber = (address: string) => address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
const numberToIpv4 = (value: number) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/** cloud.yaml allows `FIRST-LAST` ranges; the clc takes addresses and CIDRs, so a range becomes its addresses. */
function expandRange(spec: string): string[] {
  const [first, last] = spec.split('-');
  if (last === undefined || first === undefined) return [spec];
  const addresses: string[] = [];
  for (let value = ipv4ToNumber(first); value <= ipv4ToNumber(last); value++) addresses.push(numberToIpv4(value));
  return addresses;
}
