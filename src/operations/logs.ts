import { CliError } from '../cli/cli-error.js';
import { shellQuote as q } from '../deploy/host-layout.js';
import type { HostConfig } from '../config/types.js';
import { onHost } from './host-access.js';
import type { InstalledCloud } from './installed-cloud.js';
import { operationMessages } from './operation-messages.js';
import { oneDaemon } from './services.js';

export interface LogSource {
  service: string;
  host: HostConfig;
  file: string;
}

export interface LogLines extends Omit<LogSource, 'host'> {
  host: string;
  lines: string[];
}

/** The log of a daemon, or of the supervisor of a host (`supervisor`, which needs --host when there are several). */
export function logSource(installed: InstalledCloud, service: string, hostName?: string): LogSource {
  if (service === 'supervisor') {
    const hosts = installed.config.hosts.filter((host) => hostName === undefined || host.name === hostName);
    if (hosts.length !== 1) {
      throw new CliError(
        hosts.length === 0 ? 'notFound' : 'usage',
        hosts.length === 0 ? operationMessages.noSuchHost(hostName!) : operationMessages.supervisorNeedsHost,
        operationMessages.knownHosts(installed.config.hosts.map((host) => host.name)),
      );
    }
    return { service, host: hosts[0]!, file: installed.layout.supervisorLog };
  }
  const daemon = oneDaemon(installed, service, hostName);
  return { service: daemon.name, host: daemon.host, file: installed.layout.daemonLog(daemon.name) };
}

/** The last `lines` lines of a service's log. */
export async function readLog(installed: InstalledCloud, source: LogSource, lines: number): Promise<LogLines> {
  const result = await onHost(installed.open, source.host, (operator) =>
    operator.check(`tail -n ${lines} -- ${q(source.file)}`, { sudo: true }),
  );
  const text = result.stdout.endsWith('\n') ? result.stdout.slice(0, -1) : result.stdout;
  return {
    service: source.service,
    host: source.host.name,
    file: source.file,
    lines: text === '' ? [] : text.split('\n'),
  };
}

/**
 * `--follow`: the last lines, then every new line as it is written (`tail -F`, which survives the log being
 * rotated), until `stop` resolves (Ctrl-C in the command).
 */
export async function followLog(
  installed: InstalledCloud,
  source: LogSource,
  lines: number,
  write: (chunk: string) => void,
  stop: Promise<void>,
): Promise<void> {
  const operator = await installed.open(source.host);
  try {
    // The shell prints its pid, then becomes tail: that pid is what to end on the host when asked to stop.
    let pid: number | undefined;
    let buffered = '';
    const tail = operator.run(`echo $$; exec tail -n ${lines} -F -- ${q(source.file)}`, {
      sudo: true,
      onOutput: (chunk) => {
        if (pid !== undefined) return write(chunk);
        buffered += chunk;
        const newline = buffered.indexOf('\n');
        if (newline < 0) return;
        pid = Number(buffered.slice(0, newline));
        if (buffered.length > newline + 1) write(buffered.slice(newline + 1));
      },
    });
    const stopped = await Promise.race([tail.then(() => false), stop.then(() => true)]);
    if (stopped && pid) {
      await operator.run(`kill ${pid}`, { sudo: true });
      await tail;
    }
  } finally {
    await operator.close().catch(() => undefined);
  }
}
