import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { execa } from 'execa';
import {
  CommandFailedError,
  CommandTimeoutError,
  type CommandResult,
  type Operator,
  type PutOptions,
  type ReadOptions,
  type RunOptions,
} from './operator.js';
import { readFileThroughSudo } from './read-through-sudo.js';

/**
 * This machine as a host: commands through `sh -c` (execa), files through node:fs. `--all-in-one` deploys through
 * it with the same steps an SSH host gets. Root is assumed or reached with `sudo -n`, which never prompts.
 */
export class LocalOperator implements Operator {
  readonly address: string;
  private readonly asRoot = process.getuid?.() === 0;

  constructor(
    readonly hostName = 'local',
    address = '127.0.0.1',
  ) {
    this.address = address;
  }

  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const viaSudo = options.sudo === true && !this.asRoot;
    const [file, args] = viaSudo ? ['sudo', ['-n', 'sh', '-c', command]] : ['sh', ['-c', command]];
    const child = execa(file, args, {
      reject: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      timeout: options.timeoutMs,
      all: false,
      stripFinalNewline: false,
    });
    if (options.onOutput) {
      child.stdout?.on('data', (chunk: Buffer) => options.onOutput!(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => options.onOutput!(chunk.toString()));
    }
    const result = await child;
    if (result.timedOut) throw new CommandTimeoutError(this.hostName, command, options.timeoutMs ?? 0);
    return {
      command,
      exitCode: result.exitCode ?? (result.signal ? 128 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  }

  async check(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const result = await this.run(command, options);
    if (result.exitCode !== 0) throw new CommandFailedError(this.hostName, result);
    return result;
  }

  async putFile(localPath: string, remotePath: string, options: PutOptions = {}): Promise<void> {
    await this.atomically(remotePath, options, (temporary) => copyFile(localPath, temporary));
  }

  async writeFile(remotePath: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    await this.atomically(remotePath, options, (temporary) =>
      writeFile(temporary, content, { mode: options.mode ?? 0o644, flush: true }),
    );
  }

  async readFile(remotePath: string, options: ReadOptions = {}): Promise<Buffer | undefined> {
    if (options.sudo && !this.asRoot) return readFileThroughSudo(this, remotePath);
    try {
      return await readFile(remotePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {}

  /** Writes under a temporary name beside the target, sets the mode, then renames: readers see old or new, never half. */
  private async atomically(path: string, options: PutOptions, write: (temporary: string) => Promise<void>) {
    if (options.sudo && !this.asRoot) {
      throw new Error(`LocalOperator: writing ${path} as root needs the installer itself to run as root`);
    }
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await write(temporary);
      await chmod(temporary, options.mode ?? 0o644);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
