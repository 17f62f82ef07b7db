/**
 * How the installer and cloudctl act on a host: run a command, put a file, read a file. One interface with an SSH
 * implementation (ssh2, host keys verified) and a local one (execa), so `--all-in-one` uses the same steps as a
 * multi-host install.
 */
export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Run as root: through `sudo -n` when the operator's user is not root (never prompts; see SudoError). */
  sudo?: boolean;
  /** Bytes for the command's stdin. */
  input?: string | Buffer;
  /** Give up after this long (the command is killed): CommandTimeoutError. */
  timeoutMs?: number;
  /** Lines of output as they arrive (for live progress). */
  onOutput?: (chunk: string) => void;
}

export interface PutOptions {
  /** File mode on the host, e.g. 0o600 for secrets. */
  mode?: number;
  /** Write as root (through sudo when needed). */
  sudo?: boolean;
}

export interface ReadOptions {
  /** Read as root (through sudo when needed). */
  sudo?: boolean;
}

export interface Operator {
  /** The host's name in cloud.yaml (`local` for the local operator). */
  readonly hostName: string;
  /** The address commands reach (127.0.0.1 for the local operator). */
  readonly address: string;
  /** Runs a shell command (`sh -c`); resolves with its exit code, never rejects on a non-zero one. */
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  /** Like run, but a non-zero exit rejects with CommandFailedError (host, command, code, last lines). */
  check(command: string, options?: RunOptions): Promise<CommandResult>;
  /** Copies a local file to the host, atomically (temp name, then rename). */
  putFile(localPath: string, remotePath: string, options?: PutOptions): Promise<void>;
  /** Writes bytes to a file on the host, atomically. */
  writeFile(remotePath: string, content: string | Buffer, options?: PutOptions): Promise<void>;
  /** The file's bytes, or undefined when it does not exist; `sudo` reads as root (Mallee's folders are root's). */
  readFile(remotePath: string, options?: ReadOptions): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** A command that exited non-zero: everything a user needs to see what failed where. */
export class CommandFailedError extends Error {
  constructor(
    readonly hostName: string,
    readonly result: CommandResult,
  ) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-10).join('\n');
    super(`on ${hostName}: \`${result.command}\` exited ${result.exitCode}${tail ? `:\n${tail}` : ''}`);
    this.name = 'CommandFailedError';
  }
}

/** A command that ran past RunOptions.timeoutMs; it was killed. */
export class CommandTimeoutError extends Error {
  constructor(
    readonly hostName: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`on ${hostName}: \`${command}\` did not finish within ${timeoutMs / 1000} s and was stopped`);
    this.name = 'CommandTimeoutError';
  }
}
