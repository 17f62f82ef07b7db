import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { interruptionSignal } from '../../src/cli/interruption.js';
import { sshFlags } from '../../src/cli/host-flags.js';
import { formatDryRun, formatInstall } from '../../src/deploy/format-install.js';
import { installCloud, type InstallResult } from '../../src/deploy/install.js';
import { resolveInstallTarget } from '../../src/deploy/install-input.js';
import { installMessages } from '../../src/deploy/install-messages.js';
import { planFlags, planInstall } from '../../src/installer/plan-install.js';

const stderr = (text: string) => process.stderr.write(`${text}\n`);

export default class Install extends MalleeCommand {
  static override summary = 'Deploy a cloud onto its servers, or onto this machine with --all-in-one.';
  static override description =
    'Per host, in parallel: precheck, packages, bundle, config, certificates, start, health; then checks that the clc ' +
    'knows every zone, writes credentials to ~/.mallee/CLOUD (cloud.json, aws-config, eucarc; mode 0600) and boots a ' +
    'first instance. A journal on each host makes a re-run skip what is done and redo what changed.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --all-in-one --yes',
    '<%= config.bin %> <%= command.id %> --hosts 10.0.0.5-7 --ssh-key ~/.ssh/id_ed25519 --name prod --yes',
    '<%= config.bin %> <%= command.id %> --config cloud.yaml --yes --known-hosts ./known_hosts',
    '<%= config.bin %> <%= command.id %> --config cloud.yaml --dry-run',
  ];

  static override flags = {
    config: Flags.string({ description: 'the cloud.yaml to install', helpValue: 'FILE' }),
    hosts: Flags.string({
      description: 'plan the cloud for these servers (addresses, ranges 10.0.0.5-7, names; comma-separated)',
      helpValue: 'LIST',
      exclusive: ['config', 'all-in-one'],
    }),
    output: Flags.string({
      description: 'where to write the plan (default ~/.mallee/CLOUD/cloud.yaml)',
      helpValue: 'FILE',
    }),
    'all-in-one': Flags.boolean({ description: 'install onto this machine, without SSH', default: false }),
    name: Flags.string({ description: 'the cloud name (all-in-one: default "local")' }),
    hypervisor: Flags.string({
      description: "all-in-one or --hosts: real VMs or libvirt's simulated hypervisor",
      options: ['qemu', 'test'],
      default: 'qemu',
    }),
    yes: Flags.boolean({ char: 'y', description: 'ask nothing', default: false }),
    'dry-run': Flags.boolean({ description: 'print every command and file per host, change nothing', default: false }),
    concurrency: Flags.integer({ description: 'hosts deployed at once', default: 8, min: 1 }),
    'smoke-test': Flags.boolean({ description: 'boot a first instance at the end', default: true, allowNo: true }),
    ...sshFlags,
    'health-timeout': Flags.integer({ description: 'seconds to wait for every daemon to be healthy', default: 60 }),
    prefix: Flags.string({
      description: 'install under this folder on each host instead of / (tests)',
      default: '/',
      hidden: true,
    }),
  };

  async run(): Promise<InstallResult | { aborted: true }> {
    const { flags } = await this.parse(Install);
    const planned = flags.config || flags['all-in-one'] ? undefined : await planInstall(planFlags(flags), stderr);
    if (planned?.aborted) return planned;
    const target =
      planned ??
      resolveInstallTarget({
        config: flags.config,
        allInOne: flags['all-in-one'],
        name: flags.name,
        hypervisor: flags.hypervisor as 'qemu' | 'test',
        yes: flags.yes,
        sshUser: flags['ssh-user'],
        sshKey: flags['ssh-key'],
        knownHosts: flags['known-hosts'],
        acceptNewHostKeys: flags['accept-new-host-keys'],
      });
    const interruption = interruptionSignal((signal) => stderr(installMessages.stopping(signal)));
    const result = await installCloud({
      ...target,
      dryRun: flags['dry-run'],
      concurrency: flags.concurrency,
      prefix: flags.prefix,
      renderer: this.jsonEnabled() || flags['dry-run'] ? 'silent' : process.stdout.isTTY ? 'default' : 'simple',
      smokeTest: flags['smoke-test'],
      allInOne: flags['all-in-one'],
      healthTimeoutMs: flags['health-timeout'] * 1000,
      knownHosts: flags['known-hosts'],
      signal: interruption.signal,
    }).finally(interruption.dispose);
    this.log(flags['dry-run'] ? formatDryRun(result) : formatInstall(result));
    return result;
  }
}
