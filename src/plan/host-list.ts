import { parseIpv4 } from '../config/net-formats.js';
import { hostName } from '../config/schema.js';
import { cloudDefaults } from '../config/component-defaults.js';
import type { HostConfig, HostYaml, SshYaml } from '../config/types.js';
import { expandHostList } from '../inventory/address-ranges.js';

/**
 * The inventory from a `--hosts` value or a prompt answer: addresses, host names and IPv4 ranges (`10.0.0.5-7`,
 * `10.0.0.5-10.0.0.20`), comma-separated, expanded by the same `expandHostList` as `faststart discover`. Hosts are
 * named after the first label of a host name, or h1, h2, ... by position. Bad input is that function's usage CliError.
 */
export function parseHostList(text: string, ssh?: SshYaml): HostYaml[] {
  const used = new Set<string>();
  return expandHostList(text).map((address, index) => {
    const name = uniqueName(nameFor(address, index), used);
    used.add(name);
    return { name, address, ...(ssh && Object.keys(ssh).length > 0 && { ssh: { ...ssh } }) };
  });
}

function nameFor(address: string, index: number): string {
  const label = address.split('.')[0]?.toLowerCase() ?? '';
  const isName = parseIpv4(address) === undefined && !address.includes(':') && hostName.test(label);
  return isName ? label : `h${index + 1}`;
}

function uniqueName(name: string, used: Set<string>): string {
  if (!used.has(name)) return name;
  for (let suffix = 2; ; suffix++) if (!used.has(`${name}-${suffix}`)) return `${name}-${suffix}`;
}

/** Inventory hosts with cloud.yaml's defaults applied, as discovery and the SSH operator take them. */
export function toHostConfigs(hosts: HostYaml[], cloudDataDir: string = cloudDefaults.dataDir): HostConfig[] {
  return hosts.map((host) => ({
    name: host.name,
    address: host.address,
    ssh: {
      user: host.ssh?.user ?? cloudDefaults.sshUser,
      port: host.ssh?.port ?? cloudDefaults.sshPort,
      ...(host.ssh?.key !== undefined && { key: host.ssh.key }),
      sudo: host.ssh?.sudo ?? cloudDefaults.sshSudo,
    },
    dataDir: host.dataDir ?? cloudDataDir,
  }));
}
