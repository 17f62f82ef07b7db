import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { interruptionSignal } from '../../../src/cli/interruption.js';
import { installMessages } from '../../../src/deploy/install-messages.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatAddedNode } from '../../../src/operations/format-nodes.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { addNode, type AddNodeResult } from '../../../src/operations/node-add.js';

export default class NodesAdd extends MalleeCommand {
  static override summary = 'Add a host to the cloud as a node: discover it, deploy an nc there, register it.';
  static override description =
    "Checks the host's SSH key and discovers it as faststart install does, and refuses a host that cannot run a node " +
    'controller. The zone: --zone, else the zone whose subnet holds the address, else the only zone; the hypervisor: ' +
    '--hypervisor, else qemu:///system (KVM where the host has it, software emulation otherwise, which is flagged). ' +
    'The node goes into the recorded plan (install.json and the cloud.yaml beside it) before anything is deployed; ' +
    "then the installer's steps run over the whole plan (the zone's cc restarts with the new node) and the command " +
    'waits until the cc reaches it. Running it again for a node already in the plan finishes or repairs it, also ' +
    'after Ctrl-C (which stops it cleanly, saying where the hosts stopped; exit 130).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.8 --name node4 --ssh-key ~/.ssh/id_ed25519',
    '<%= config.bin %> <%= command.id %> 10.0.0.8 --zone zone-b --hypervisor test:///default --yes --json',
  ];
  static override args = { address: Args.string({ description: 'the address to reach the host at', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    name: Flags.string({ description: 'the host name in the plan (default: as faststart install names hosts)' }),
    zone: Flags.string({ description: 'the zone to join' }),
    hypervisor: Flags.string({ description: 'libvirt URI for the nc (default qemu:///system)', helpValue: 'URI' }),
    port: Flags.integer({ description: "the nc's port (default 8775)", min: 1, max: 65535 }),
    'ssh-port': Flags.integer({ description: "the new host's SSH port (default 22)", min: 1, max: 65535 }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<AddNodeResult> {
    const { args, flags } = await this.parse(NodesAdd);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const interruption = interruptionSignal((signal) => process.stderr.write(`${installMessages.stopping(signal)}\n`));
    const result = await addNode(installed, {
      address: args.address,
      name: flags.name,
      zone: flags.zone,
      hypervisor: flags.hypervisor,
      port: flags.port,
      sshUser: flags['ssh-user'],
      sshKey: flags['ssh-key'],
      sshPort: flags['ssh-port'],
      yes: flags.yes,
      renderer: this.jsonEnabled() ? 'silent' : 'simple',
      signal: interruption.signal,
    }).finally(interruption.dispose);
    this.log(formatAddedNode(result));
    return result;
  }
}
