import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { probeHost } from '../deploy/host-deployment.js';
import { shellQuote as q, type HostLayout } from '../deploy/host-layout.js';
import type { Operator } from '../operators/operator.js';
import type { SupervisedDaemon, SupervisorConfig, SupervisorState } from '../supervisor/supervisor-config.js';

/** What the host says about one daemon's process (not whether it answers: that is /healthz). */
export interface DaemonProcess {
  /** `running`; `stopped` on purpose (`cloudctl services stop`); `down` when it should run and does not. */
  state: 'running' | 'stopped' | 'down';
  pid?: number;
  startedAt?: string;
  restarts: number;
  lastExit?: string;
}

export interface HostProcesses {
  starter: 'systemd' | 'supervisor';
  /** Whether the host's init starts the daemons after a reboot: systemd, or sysvinit through the init script. */
  startsAtBoot: boolean;
  /** The supervisor's own pid when it runs (supervisor hosts only). */
  supervisorPid?: number;
  daemons: Map<string, DaemonProcess>;
}

/** Daemons taken out of the supervisor's config by `cloudctl services stop`, kept to be put back by `start`. */
export function heldDaemonsPath(layout: HostLayout): string {
  return `${layout.configDir}/supervisor-held.json`;
}

async function readJson<T>(operator: Operator, path: string): Promise<T | undefined> {
  const bytes = await operator.readFile(path, { sudo: true });
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export const readSupervisorConfig = (operator: Operator, layout: HostLayout) =>
  readJson<SupervisorConfig>(operator, layout.supervisorConfig);
export const readSupervisorState = (operator: Operator, layout: HostLayout) =>
  readJson<SupervisorState>(operator, layout.supervisorState);
/** A daemon `services stop` took out of supervisor.json, with its place there (absent in files of older releases). */
export interface HeldDaemon extends SupervisedDaemon {
  position?: number;
}

export const readHeldDaemons = async (operator: Operator, layout: HostLayout) =>
  (await readJson<Record<string, HeldDaemon>>(operator, heldDaemonsPath(layout))) ?? {};

/** The pids among `pids` whose command line names `marker` (so a reused pid is not mistaken for ours). */
export async function livePids(operator: Operator, pids: { pid: number; marker: string }[]): Promise<Set<number>> {
  if (pids.length === 0) return new Set();
  const checks = pids.map(
    ({ pid, marker }) =>
      `grep -qsF ${q(marker)} /proc/${pid}/cmdline && ! grep -qs '^State:.*Z' /proc/${pid}/status && echo ${pid}`,
  );
  const result = await operator.run(checks.map((check) => `{ ${check}; }`).join('; ') + '; true', { sudo: true });
  return new Set(
    result.stdout
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0),
  );
}

/** Processes of the host's daemons: from the supervisor's state file checked against /proc, or from systemd. */
export async function readHostProcesses(
  operator: Operator,
  layout: HostLayout,
  daemons: readonly PlannedDaemon[],
): Promise<HostProcesses> {
  const probe = await probeHost(operator);
  if (probe.systemd) return { ...(await systemdProcesses(operator, layout, daemons)), startsAtBoot: true };
  return { ...(await supervisorProcesses(operator, layout, daemons)), startsAtBoot: probe.initScripts };
}

async function supervisorProcesses(
  operator: Operator,
  layout: HostLayout,
  daemons: readonly PlannedDaemon[],
): Promise<Omit<HostProcesses, 'startsAtBoot'>> {
  const [state, held, supervisorPidText] = await Promise.all([
    readSupervisorState(operator, layout),
    readHeldDaemons(operator, layout),
    operator.readFile(layout.supervisorPid, { sudo: true }),
  ]);
  const supervisorPid = Number(supervisorPidText?.toString('utf8').trim()) || undefined;
  const candidates = daemons.flatMap((daemon) => {
    const pid = state?.daemons[daemon.name]?.pid;
    return pid ? [{ pid, marker: layout.daemonConfig(daemon.name) }] : [];
  });
  if (supervisorPid) candidates.push({ pid: supervisorPid, marker: layout.supervisorConfig });
  const alive = await livePids(operator, candidates);
  const processes = new Map<string, DaemonProcess>();
  for (const daemon of daemons) {
    const entry = state?.daemons[daemon.name];
    const running = entry?.pid !== undefined && alive.has(entry.pid);
    processes.set(daemon.name, {
      state: running ? 'running' : daemon.name in held ? 'stopped' : 'down',
      ...(running && { pid: entry.pid, startedAt: entry.startedAt }),
      restarts: entry?.restarts ?? 0,
      ...(entry?.lastExit && { lastExit: entry.lastExit }),
    });
  }
  return {
    starter: 'supervisor',
    supervisorPid: supervisorPid && alive.has(supervisorPid) ? supervisorPid : undefined,
    daemons: processes,
  };
}

async function systemdProcesses(
  operator: Operator,
  layout: HostLayout,
  daemons: readonly PlannedDaemon[],
): Promise<Omit<HostProcesses, 'startsAtBoot'>> {
  const processes = new Map<string, DaemonProcess>();
  for (const daemon of daemons) {
    const unit = layout.unitName(daemon.name);
    const shown = await operator.run(
      `systemctl show -p ActiveState -p MainPID -p ActiveEnterTimestamp -p NRestarts -p Result -p UnitFileState ${q(unit)}`,
    );
    const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(shown.stdout)?.[1]?.trim();
    const active = field('ActiveState') === 'active';
    const pid = Number(field('MainPID')) || undefined;
    const entered = field('ActiveEnterTimestamp');
    const result = field('Result');
    processes.set(daemon.name, {
      state: active ? 'running' : field('UnitFileState') === 'disabled' ? 'stopped' : 'down',
      ...(active && { pid, ...(entered && Date.parse(entered) > 0 && { startedAt: new Date(entered).toISOString() }) }),
      restarts: Number(field('NRestarts')) || 0,
      ...(result && result !== 'success' && { lastExit: result }),
    });
  }
  return { starter: 'systemd', daemons: processes };
}
