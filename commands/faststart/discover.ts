import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { sshFlags } from '../../src/cli/host-flags.js';
import { cloudDefaults } from '../../src/config/index.js';
import { discoverInventory } from '../../src/discovery/discover-inventory.js';
import { formatDiscovery } from '../../src/discovery/discovery-report.js';
import type { HostFacts } from '../../src/discovery/host-facts.js';

export default class Discover extends MalleeCommand {
  static override summary = 'Inspect servers over SSH: what each one could run.';
  static override description =
    'Connects to every host in parallel (host keys checked against known_hosts) and reports its OS, cores, memory, KVM or software emulation, free disk, addresses and subnets, clock skew against this machine, libvirt and systemd, and the problems found. An unknown host key is shown with its SHA256 fingerprint and trusted only when confirmed or with --accept-new-host-keys; a changed one is refused. Exits 1 when a host could not be inspected.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --hosts 10.0.0.5-7 --ssh-key ~/.ssh/id_ed25519',
    '<%= config.bin %> <%= command.id %> --config cloud.yaml --json',
  ];

  static override flags = {
    hosts: Flags.string({
      description: 'addresses, ranges (10.0.0.5-8) or host names, comma-separated',
      helpValue: 'LIST',
      exactlyOne: ['hosts', 'config'],
    }),
    config: Flags.string({ description: 'take the hosts and their SSH settings from a cloud.yaml', helpValue: 'FILE' }),
    ...sshFlags,
    'ssh-port': Flags.integer({ description: 'SSH port (with --hosts)', default: cloudDefaults.sshPort }),
    'connect-timeout': Flags.integer({ description: 'seconds to wait for each host to answer', default: 15 }),
  };

  async run(): Promise<HostFacts[]> {
    const { flags } = await this.parse(Discover);
    const facts = await discoverInventory({
      hosts: flags.hosts,
      config: flags.config,
      sshUser: flags['ssh-user'],
      sshPort: flags['ssh-port'],
      sshKey: flags['ssh-key'],
      knownHosts: flags['known-hosts'],
      acceptNewHostKeys: flags['accept-new-host-keys'],
      connectTimeoutSeconds: flags['connect-timeout'],
    });
    this.log(formatDiscovery(facts));
    if (facts.some((host) => !host.reachable)) this.finishWith('failure');
    return facts;
  }
}
