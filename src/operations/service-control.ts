import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { probeHost } from '../deploy/host-deployment.js';
import { shellQuote as q, type HostLayout } from '../deploy/host-layout.js';
import { needsLibvirtd, supervisorCommand } from '../deploy/supervisor-command.js';
import type { Operator } from '../operators/operator.js';
import type { InstalledCloud } from './installed-cloud.js';
import type { SupervisedDaemon } from '../supervisor/supervisor-config.js';
import { CliError } from '../cli/cli-error.js';
import {
  heldDaemonsPath,
  readHeldDaemons,
  readHostProcesses,
  readSupervisorConfig,
  type DaemonProcess,
} from './host-daemons.js';
import { operationMessages } from './operation-messages.js';

export type ServiceAction = 'stop' | 'start' | 'restart';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops, starts or restarts daemons of one host. Under systemd: systemctl. Under Mallee's supervisor, from the outside:
 * a stopped daemon leaves supervisor.json (its entry is held in supervisor-held.json) and a SIGHUP makes the
 * supervisor stop it; start puts the same entry back and signals again, so the daemon runs at the revision the
 * installer gave it and a later `faststart install` sees nothing to redo. Restart is stop then start. A supervisor
 * that is not running (the host rebooted: without systemd nothing starts it) is started, after libvirtd when any
 * daemon of the host (the supervisor runs them all) is a node controller on qemu, as the installer's start step does.
 */
export async function controlServices(
  operator: Operator,
  installed: Pick<InstalledCloud, 'layout' | 'daemons'>,
  daemons: readonly PlannedDaemon[],
  action: ServiceAction,
): Promise<Map<string, DaemonProcess>> {
  const { layout } = installed;
  const names = daemons.map((daemon) => daemon.name);
  const hosts = new Set(daemons.map((daemon) => daemon.host.name));
  const hostDaemons = installed.daemons.filter((daemon) => hosts.has(daemon.host.name));
  if ((await probeHost(operator)).systemd) {
    const units = names.map((name) => q(layout.unitName(name))).join(' ');
    const commands = {
      stop: `systemctl disable --now --quiet ${units}`,
      start: `systemctl enable --now --quiet ${units}`,
      restart: `systemctl restart ${units}`,
    };
    await operator.check(commands[action], { sudo: true });
  } else {
    const withLibvirtd = needsLibvirtd(hostDaemons);
    if (action !== 'start') await holdDaemons(operator, layout, names, withLibvirtd);
    if (action !== 'stop') await releaseDaemons(operator, layout, names, withLibvirtd);
  }
  return (await readHostProcesses(operator, layout, daemons)).daemons;
}

async function signalSupervisor(operator: Operator, layout: HostLayout, withLibvirtd: boolean): Promise<void> {
  // The release the supervisor runs, as `current` resolves now: the one the last deploy or upgrade put in place.
  await operator.check(supervisorCommand(layout, 'current', { libvirtd: withLibvirtd }), { sudo: true });
}

async function waitFor(
  operator: Operator,
  layout: HostLayout,
  what: string,
  done: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) {
      throw new CliError(
        'unhealthy',
        operationMessages.supervisorTimeout(operator.hostName, what, layout.supervisorLog),
        operationMessages.supervisorTimeoutHint,
      );
    }
    await pause(200);
  }
}

async function writeJson(operator: Operator, path: string, value: unknown, mode: number): Promise<void> {
  await operator.writeFile(path, JSON.stringify(value, null, 2) + '\n', { mode, sudo: true });
}

/** Takes the daemons out of supervisor.json (keeping their entries), signals, and waits until each has exited. */
async function holdDaemons(
  operator: Operator,
  layout: HostLayout,
  names: string[],
  withLibvirtd: boolean,
): Promise<void> {
  const config = await readSupervisorConfig(operator, layout);
  if (!config) throw new Error(`${layout.supervisorConfig} is missing on ${operator.hostName}`);
  const held = await readHeldDaemons(operator, layout);
  // Each with its place in supervisor.json, where it goes back: the file is then again as the installer wrote it.
  config.daemons.forEach((spec, position) => {
    if (names.includes(spec.name)) held[spec.name] = { ...spec, position };
  });
  await writeJson(operator, heldDaemonsPath(layout), held, 0o644);
  await writeJson(
    operator,
    layout.supervisorConfig,
    { ...config, daemons: config.daemons.filter((d) => !names.includes(d.name)) },
    0o644,
  );
  await signalSupervisor(operator, layout, withLibvirtd);
  await waitFor(operator, layout, `stop ${names.join(', ')}`, async () => {
    const processes = await readHostProcesses(
      operator,
      layout,
      names.map((name) => ({ name }) as PlannedDaemon),
    );
    return [...processes.daemons.values()].every((entry) => entry.state !== 'running');
  });
}

/** Puts held daemons back into supervisor.json in the installer's order, signals, and waits until each runs. */
async function releaseDaemons(
  operator: Operator,
  layout: HostLayout,
  names: string[],
  withLibvirtd: boolean,
): Promise<void> {
  const config = await readSupervisorConfig(operator, layout);
  if (!config) throw new Error(`${layout.supervisorConfig} is missing on ${operator.hostName}`);
  const held = await readHeldDaemons(operator, layout);
  const back = names
    .flatMap((name) => (held[name] && !config.daemons.some((entry) => entry.name === name) ? [held[name]] : []))
    .sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));
  const daemons: SupervisedDaemon[] = [...config.daemons];
  for (const { position, ...spec } of back) daemons.splice(position ?? daemons.length, 0, spec);
  for (const name of names) delete held[name];
  await writeJson(operator, layout.supervisorConfig, { ...config, daemons }, 0o644);
  await writeJson(operator, heldDaemonsPath(layout), held, 0o644);
  await signalSupervisor(operator, layout, withLibvirtd);
  await waitFor(operator, layout, `start ${names.join(', ')}`, async () => {
    const processes = await readHostProcesses(
      operator,
      layout,
      names.map((name) => ({ name }) as PlannedDaemon),
    );
    return [...processes.daemons.values()].every((entry) => entry.state === 'running');
  });
}
