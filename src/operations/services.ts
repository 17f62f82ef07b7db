import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { componentStatuses, type ComponentStatus } from './cloud-status.js';
import { onHost } from './host-access.js';
import { selectDaemons, type InstalledCloud } from './installed-cloud.js';
import { operationMessages } from './operation-messages.js';
import { redactJson } from './redact.js';
import { controlServices, type ServiceAction } from './service-control.js';

export interface ServiceDescription extends ComponentStatus {
  configFile: string;
  logFile: string;
  /** Its ServiceConfig as the host has it, secrets removed. */
  config?: unknown;
}

export interface ServiceChange {
  action: ServiceAction;
  name: string;
  host: string;
  pidBefore?: number;
  pidAfter?: number;
  status: ComponentStatus;
}

export function listServices(installed: InstalledCloud, service?: string, host?: string): Promise<ComponentStatus[]> {
  const only = service
    ? selectDaemons(installed, service, host)
    : installed.daemons.filter((d) => !host || d.host.name === host);
  return componentStatuses(installed, only);
}

/** Exactly one daemon, or a usage error naming the candidates. */
export function oneDaemon(installed: InstalledCloud, service: string, host?: string): PlannedDaemon {
  const matches = selectDaemons(installed, service, host);
  if (matches.length > 1) {
    throw new CliError(
      'usage',
      operationMessages.oneServiceOnly(
        service,
        matches.map((d) => `${d.name} (${d.host.name})`),
      ),
      operationMessages.oneServiceOnlyHint,
    );
  }
  return matches[0]!;
}

export async function describeService(
  installed: InstalledCloud,
  service: string,
  host?: string,
): Promise<ServiceDescription> {
  const daemon = oneDaemon(installed, service, host);
  const [status] = await componentStatuses(installed, [daemon]);
  const configFile = installed.layout.daemonConfig(daemon.name);
  const text = await onHost(installed.open, daemon.host, (operator) => operator.readFile(configFile, { sudo: true }));
  return {
    ...status!,
    configFile,
    logFile: installed.layout.daemonLog(daemon.name),
    ...(text && { config: redactJson(JSON.parse(text.toString('utf8'))) }),
  };
}

/** How long a started daemon gets to answer /healthz with 200. */
const healthyWithinMs = 60_000;

export async function waitHealthy(installed: InstalledCloud, daemon: PlannedDaemon): Promise<ComponentStatus> {
  const deadline = Date.now() + healthyWithinMs;
  for (;;) {
    const [status] = await componentStatuses(installed, [daemon]);
    if (status!.state === 'healthy') return status!;
    if (Date.now() > deadline) {
      throw new CliError(
        'unhealthy',
        operationMessages.unhealthyAfter(daemon.name, status!.lastError ?? status!.state),
        operationMessages.unhealthyAfterHint(daemon.name),
        status,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * `cloudctl services stop|start|restart`. Every host's daemons are changed first, the hosts at once; then (start,
 * restart) each daemon is waited for until it answers /healthz. So daemons that need one another come up together
 * whatever order the hosts are in (walrus is healthy only once the clc answers), and a host that cannot be reached,
 * or a daemon that does not come up, holds up nobody else: after everything else is done, the command fails naming
 * each, with what it did in `details.changes`. Stop and restart ask first unless `yes`.
 */
export async function changeServices(
  installed: InstalledCloud,
  action: ServiceAction,
  service: string,
  options: { host?: string; yes: boolean },
): Promise<ServiceChange[]> {
  const daemons = selectDaemons(installed, service, options.host);
  const names = daemons.map((d) => `${d.name} (${d.host.name})`);
  if (action === 'stop') await confirmOrRefuse(operationMessages.confirmStop(names), options.yes);
  if (action === 'restart') await confirmOrRefuse(operationMessages.confirmRestart(names), options.yes);
  const before = await componentStatuses(installed, daemons);
  /** What did not succeed: each message names its host or daemon. */
  const failures: { message: string; error: CliError }[] = [];
  const hosts = installed.config.hosts.filter((host) => daemons.some((d) => d.host.name === host.name));
  const changed = await Promise.all(
    hosts.map(async (host) => {
      const onThisHost = daemons.filter((d) => d.host.name === host.name);
      try {
        await onHost(installed.open, host, (operator) => controlServices(operator, installed, onThisHost, action));
        return onThisHost;
      } catch (error) {
        const cliError = asCliError(error);
        failures.push({ message: `${host.name}: ${cliError.message}`, error: cliError });
        return [];
      }
    }),
  );
  const changes = await Promise.all(
    changed.flat().map(async (daemon): Promise<ServiceChange | undefined> => {
      try {
        const status =
          action === 'stop' ? (await componentStatuses(installed, [daemon]))[0]! : await waitHealthy(installed, daemon);
        const pidBefore = before.find((s) => s.name === daemon.name)?.process?.pid;
        return { action, name: daemon.name, host: daemon.host.name, pidBefore, pidAfter: status.process?.pid, status };
      } catch (error) {
        const cliError = asCliError(error);
        failures.push({ message: `${daemon.host.name}: ${cliError.message}`, error: cliError });
        return undefined;
      }
    }),
  );
  const done = changes.filter((change) => change !== undefined);
  if (failures.length > 0) {
    // One failure keeps its own message, hint and exit code; several are listed, and unhealthy only if all are.
    if (failures.length === 1) {
      const { message, error } = failures[0]!;
      throw new CliError(error.kind, message, error.hint, { changes: done, failed: error.details });
    }
    throw new CliError(
      failures.every(({ error }) => error.kind === 'unhealthy') ? 'unhealthy' : 'failure',
      operationMessages.servicesFailed(
        action,
        failures.map(({ message }) => message),
      ),
      operationMessages.servicesFailedHint,
      { changes: done },
    );
  }
  return done;
}

function asCliError(error: unknown): CliError {
  return error instanceof CliError ? error : new CliError('failure', (error as Error).message);
}
