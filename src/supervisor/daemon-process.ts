import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReadyMessage } from '../runtime/daemon.js';
import { malleePackage } from '../runtime/package-root.js';
import type { ComponentName } from '../runtime/service-config.js';

export interface LaunchedDaemon {
  pid: number;
  url: string;
  port: number;
}

export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly logPath: string,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

export function daemonScript(component: ComponentName): string {
  return join(malleePackage().root, 'dist', 'services', component, 'main.js');
}

/**
 * Starts a daemon detached from this process (it outlives the command that started it), output to its log file,
 * and waits for the ready message it sends once it listens: no polling, and the port it picked comes back with it.
 */
export function launchDaemon(component: ComponentName, configPath: string, logPath: string): Promise<LaunchedDaemon> {
  const script = daemonScript(component);
  if (!existsSync(script)) {
    return Promise.reject(new DaemonStartError(`${script} does not exist: run \`npm run build\` first`, logPath));
  }
  mkdirSync(dirname(logPath), { recursive: true });
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [script, '--config', configPath], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new DaemonStartError(`${component} exited during start (${signal ?? `code ${code}`})`, logPath));
    child.once('exit', onExit);
    child.once('error', (error) => reject(new DaemonStartError(error.message, logPath)));
    child.once('message', (message: ReadyMessage) => {
      if (!message.ready)
        return reject(new DaemonStartError(`${component} failed to start: ${message.error}`, logPath));
      child.off('exit', onExit);
      child.unref();
      if (child.connected) child.disconnect();
      resolve({ pid: message.pid, url: message.url, port: message.port });
    });
  });
}

/** True when `pid` is alive and is the daemon started with this config file (not a stranger that reused the pid). */
export function isDaemonRunning(pid: number, configPath: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!commandLine.includes(configPath)) return false;
    const state = /^State:\s+(\w)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops a daemon: SIGTERM, which lets it finish in-flight requests, then SIGKILL if it is still there after the
 * grace period. Resolves to how it ended.
 */
export async function stopDaemon(
  pid: number,
  configPath: string,
  graceMs = 15_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isDaemonRunning(pid, configPath)) return 'not running';
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, configPath, graceMs)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, configPath, 5_000);
  return 'killed';
}

/**
 * A detached daemon is not our child, so there is no exit event to await; /proc is watched instead, every 20 ms,
 * until it is gone or the deadline passes.
 */
async function waitForExit(pid: number, configPath: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isDaemonRunning(pid, configPath)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isDaemonRunning(pid, configPath);
}
