import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../util/secret-file.js';
import type { SupervisedDaemon, SupervisorConfig, SupervisorState } from './supervisor-config.js';

interface Running {
  spec: SupervisedDaemon;
  pid?: number;
  /** Our child; absent for a daemon adopted from an earlier supervisor (watched through /proc instead). */
  child?: ChildProcess;
  startedAt?: Date;
  restarts: number;
  lastExit?: string;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
}

const maxBackoffMs = 30_000;
/** A daemon that stayed up this long starts its next crash with a short backoff again. */
const stableAfterMs = 60_000;

function commandLineOf(pid: number): string[] | undefined {
  try {
    const state = /^State:\s+(\w)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (state === 'Z') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** The process is alive and runs this daemon's command (not a stranger that reused the pid). */
function runsDaemon(pid: number, spec: SupervisedDaemon): boolean {
  const commandLine = commandLineOf(pid);
  return commandLine !== undefined && spec.argv.every((arg, index) => commandLine[index] === arg);
}

/**
 * The process is alive and runs this daemon, perhaps from another release or revision: its command line ends with
 * the daemon's own `--config FILE`.
 */
function runsSameDaemonAs(pid: number, spec: SupervisedDaemon): string[] | undefined {
  const commandLine = commandLineOf(pid);
  const config = spec.argv.slice(-2);
  return commandLine !== undefined && commandLine.slice(-2).join('\0') === config.join('\0') ? commandLine : undefined;
}

/**
 * Mallee's own supervisor, for hosts where systemd is not PID 1: starts each daemon of its config, keeps a pid
 * file per daemon, restarts a daemon that exits (backoff 1 s doubling to 30 s), restarts on SIGHUP the daemons whose
 * revision changed, and on SIGTERM stops them all. A supervisor started after a crash of the previous one (or after
 * it handed over on SIGUSR2, to move to another release) adopts the daemons that still run instead of starting them
 * twice.
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private config: SupervisorConfig;
  private shuttingDown = false;
  /** The reload running now, or the last one: the next waits for it. */
  private reloads: Promise<void> = Promise.resolve();
  private adoptedWatch?: NodeJS.Timeout;

  constructor(private readonly configPath: string) {
    this.config = this.readConfig();
  }

  private readConfig(): SupervisorConfig {
    return JSON.parse(readFileSync(this.configPath, 'utf8')) as SupervisorConfig;
  }

  private pidFile(name: string): string {
    return join(this.config.runDir, `${name}.pid`);
  }

  start(): void {
    // First: the state file names the first daemon's pid as soon as it is launched, and whoever reads it may signal
    // at once (a signal nobody handles yet would end the supervisor). Handlers run once start() has returned.
    process.on('SIGHUP', () => this.reload());
    process.on('SIGTERM', () => void this.shutdown());
    process.on('SIGINT', () => void this.shutdown());
    process.on('SIGUSR2', () => this.handOver());
    mkdirSync(this.config.runDir, { recursive: true });
    writeFileAtomically(join(this.config.runDir, 'supervisor.pid'), `${process.pid}\n`);
    const previous = this.readState();
    let outdated = false;
    for (const spec of this.config.daemons) {
      const entry: Running = { spec, restarts: 0, stopping: false };
      this.running.set(spec.name, entry);
      const pid = Number(this.readPidFile(spec.name));
      const previousRevision = previous?.daemons[spec.name]?.revision;
      const running = pid > 0 ? runsSameDaemonAs(pid, spec) : undefined;
      if (running && runsDaemon(pid, spec) && previousRevision === spec.revision) {
        entry.pid = pid;
        entry.startedAt = new Date();
      } else if (running) {
        // Still running as it was (another release or revision, as after a hand-over that moves to a new release):
        // adopted as it runs, then replaced the way a reload replaces it, once it has stopped and freed its port.
        entry.spec = { ...spec, argv: running, revision: previousRevision ?? 'unknown' };
        entry.pid = pid;
        entry.startedAt = new Date();
        outdated = true;
      } else {
        this.launch(entry);
      }
    }
    this.adoptedWatch = setInterval(() => this.watchAdopted(), 1000);
    this.saveState();
    if (outdated) this.reload();
  }

  /**
   * SIGUSR2: leave, and leave the daemons running, for a supervisor of another release that adopts them (their pid
   * files and the state saved here say which run at which revision). Daemons waiting out a backoff start there.
   */
  private handOver(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.adoptedWatch);
    for (const entry of this.running.values()) clearTimeout(entry.restartTimer);
    this.saveState();
    process.stdout.write(`${new Date().toISOString()} supervisor ${process.pid} hands its daemons over\n`);
    process.exit(0);
  }

  private readPidFile(name: string): string | undefined {
    try {
      return readFileSync(this.pidFile(name), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  private readState(): SupervisorState | undefined {
    try {
      return JSON.parse(readFileSync(join(this.config.runDir, 'supervisor-state.json'), 'utf8')) as SupervisorState;
    } catch {
      return undefined;
    }
  }

  private launch(entry: Running): void {
    const { spec } = entry;
    mkdirSync(dirname(spec.log), { recursive: true });
    const log = openSync(spec.log, 'a');
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), { stdio: ['ignore', log, log] });
    closeSync(log);
    entry.child = child;
    entry.pid = child.pid;
    entry.startedAt = new Date();
    entry.stopping = false;
    if (child.pid) writeFileAtomically(this.pidFile(spec.name), `${child.pid}\n`);
    child.once('error', (error) => this.exited(entry, child, `error: ${error.message}`));
    child.once('exit', (code, signal) => this.exited(entry, child, signal ?? `code ${code}`));
    this.saveState();
  }

  private exited(entry: Running, child: ChildProcess | undefined, how: string): void {
    if (child && entry.child !== child) return;
    entry.child = undefined;
    entry.pid = undefined;
    entry.lastExit = how;
    // A daemon replaced on reload must not take its successor's pid file with it.
    if (this.running.get(entry.spec.name) !== entry) return;
    rmSync(this.pidFile(entry.spec.name), { force: true });
    if (!entry.stopping && !this.shuttingDown) {
      const uptime = Date.now() - (entry.startedAt?.getTime() ?? 0);
      if (uptime > stableAfterMs) entry.restarts = 0;
      const backoff = Math.min(maxBackoffMs, 1000 * 2 ** Math.min(entry.restarts, 5));
      entry.restarts++;
      entry.restartTimer = setTimeout(() => this.launch(entry), backoff);
    }
    this.saveState();
  }

  /** Adopted daemons are not our children: /proc tells when one is gone, and then it is restarted like a child. */
  private watchAdopted(): void {
    for (const entry of this.running.values()) {
      if (!entry.child && entry.pid !== undefined && !runsDaemon(entry.pid, entry.spec)) {
        this.exited(entry, undefined, 'exited (adopted)');
      }
    }
  }

  private async stop(entry: Running, graceMs = 15_000): Promise<void> {
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    const pid = entry.pid;
    if (pid === undefined || !runsDaemon(pid, entry.spec)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (runsDaemon(pid, entry.spec) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (runsDaemon(pid, entry.spec)) process.kill(pid, 'SIGKILL');
    while (runsDaemon(pid, entry.spec)) await new Promise((r) => setTimeout(r, 20));
    if (!entry.child) this.exited(entry, undefined, 'stopped');
  }

  /**
   * SIGHUP: re-read the config; stop daemons that left it, restart those whose revision changed, start new ones. One
   * reload at a time, each reading the config when its turn comes: a SIGHUP that arrives while the last one still waits
   * for a daemon to stop (`services restart` signals again as soon as the daemon is gone) must not find that daemon
   * still listed as running, skip starting it, and be undone when the earlier reload drops it.
   */
  private reload(): void {
    this.reloads = this.reloads
      .then(() => this.reloadNow())
      .catch((error: unknown) => {
        const reason = (error as Error).message;
        process.stderr.write(
          `${new Date().toISOString()} supervisor: reload failed, daemons left as they were: ${reason}\n`,
        );
      });
  }

  private async reloadNow(): Promise<void> {
    const next = this.readConfig();
    this.config = next;
    const wanted = new Map(next.daemons.map((spec) => [spec.name, spec]));
    for (const [name, entry] of this.running) {
      const spec = wanted.get(name);
      if (!spec || spec.revision !== entry.spec.revision || spec.argv.join('\0') !== entry.spec.argv.join('\0')) {
        await this.stop(entry);
        this.running.delete(name);
      }
    }
    for (const spec of next.daemons) {
      if (this.running.has(spec.name)) continue;
      const entry: Running = { spec, restarts: 0, stopping: false };
      this.running.set(spec.name, entry);
      this.launch(entry);
    }
    this.saveState();
  }

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.adoptedWatch);
    await Promise.all([...this.running.values()].map((entry) => this.stop(entry)));
    rmSync(join(this.config.runDir, 'supervisor.pid'), { force: true });
    rmSync(join(this.config.runDir, 'supervisor-state.json'), { force: true });
    process.exit(0);
  }

  private saveState(): void {
    const state: SupervisorState = {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      daemons: Object.fromEntries(
        [...this.running.values()].map((entry) => [
          entry.spec.name,
          {
            pid: entry.pid,
            revision: entry.spec.revision,
            startedAt: entry.startedAt?.toISOString(),
            restarts: entry.restarts,
            lastExit: entry.lastExit,
          },
        ]),
      ),
    };
    writeFileAtomically(join(this.config.runDir, 'supervisor-state.json'), JSON.stringify(state, null, 2) + '\n');
  }
}
