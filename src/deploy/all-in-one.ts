import { cloudDefaults, componentDefaults } from '../config/component-defaults.js';
import type { CloudConfig } from '../config/types.js';
import { join } from 'node:path';

export const allInOneHypervisors = { qemu: 'qemu:///system', test: 'test:///default' } as const;
export type AllInOneHypervisor = keyof typeof allInOneHypervisors;

/** The cloud `faststart install --all-in-one` builds when no cloud.yaml is given: every component on this machine. */
export function allInOneCloud(name: string, hypervisor: AllInOneHypervisor): CloudConfig {
  const region = cloudDefaults.region;
  const zone = `${region}a`;
  const dataDir = cloudDefaults.dataDir;
  const host = 'local';
  const on = (component: 'clc' | 'walrus' | 'cc' | 'sc' | 'nc') => ({
    host,
    port: componentDefaults[component].port,
    dataDir: join(dataDir, name, component),
  });
  return {
    name,
    region,
    dataDir,
    database: { engine: 'sqlite' },
    objectStore: { engine: 'local' },
    // Elastic IPs from a documentation range (RFC 5737): bookkeeping only on a one-box cloud.
    network: { privateSubnet: cloudDefaults.privateSubnet, publicIps: ['198.51.100.0/28'], dnsServers: [] },
    hosts: [{ name: host, address: '127.0.0.1', ssh: { user: 'root', port: 22, sudo: false }, dataDir }],
    zones: [{ name: zone }],
    components: [
      { component: 'clc', ...on('clc') },
      { component: 'walrus', ...on('walrus') },
      { component: 'cc', zone, ...on('cc') },
      { component: 'sc', zone, ...on('sc') },
      { component: 'nc', zone, hypervisor: allInOneHypervisors[hypervisor], ...on('nc') },
    ],
  };
}
