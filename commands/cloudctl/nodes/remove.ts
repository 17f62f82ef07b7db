import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { interruptionSignal } from '../../../src/cli/interruption.js';
import { installMessages } from '../../../src/deploy/install-messages.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatRemovedNode } from '../../../src/operations/format-nodes.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { removeNode, type RemoveResult } from '../../../src/operations/nodes.js';

export default class NodesRemove extends MalleeCommand {
  static override summary = 'Remove a node from the cloud for good.';
  static override description =
    'Refuses while instances run there (exit 6) unless --force, which terminates them after confirmation. ' +
    'Deregisters the node from its cc, stops its nc, takes it out of the recorded plan (install.json and the ' +
    'cloud.yaml beside it) and deploys the rest of the plan, so neither a cc restart nor a faststart install re-run ' +
    'brings it back. A host left running nothing of the cloud has Mallee uninstalled (its data kept unless --purge). ' +
    'The last node of a zone may be removed: the zone keeps its cc (and sc) and has no capacity until `cloudctl nodes add` gives it a node; until then faststart install refuses that plan (zone-without-nodes).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> node1',
    '<%= config.bin %> <%= command.id %> node1 --force --yes',
  ];
  static override args = { host: Args.string({ description: 'the host (or node name) to remove', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    force: Flags.boolean({ description: 'terminate the instances still running there', default: false }),
    purge: Flags.boolean({ description: "also delete the node's data when Mallee leaves its host", default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<RemoveResult> {
    const { args, flags } = await this.parse(NodesRemove);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const interruption = interruptionSignal((signal) => process.stderr.write(`${installMessages.stopping(signal)}\n`));
    const result = await removeNode(installed, args.host, {
      force: flags.force,
      yes: flags.yes,
      purge: flags.purge,
      renderer: this.jsonEnabled() ? 'silent' : 'simple',
      signal: interruption.signal,
    }).finally(interruption.dispose);
    this.log(formatRemovedNode(result, flags.purge));
    return result;
  }
}
