import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { posix } from 'node:path';
import ssh2, { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { CliError } from '../cli/cli-error.js';
import type { HostConfig } from '../config/types.js';
import {
  appendKnownHost,
  checkHostKey,
  keyTypeOfBlob,
  knownKeyTypes,
  readKnownHosts,
  sha256Fingerprint,
  type PresentedKey,
} from './known-hosts.js';
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
import { shellQuote } from './shell-quote.js';
import { connectMessages, hostKeyMessages } from './ssh-messages.js';
import { classifySudoFailure, SudoError, sudoProbeCommand } from './sudo.js';

/** A host key known_hosts does not hold yet: what the user is asked to confirm. */
export interface UnknownHostKey extends PresentedKey {
  knownHostsFile: string;
  /** Key types known_hosts already holds for this host (the host offered a type it has no entry for). */
  otherKeyTypes: string[];
}

export interface OpenOperatorOptions {
  knownHostsFile: string;
  /** Trust and record keys known_hosts does not hold (never a changed one). */
  acceptNewHostKeys: boolean;
  /** Asked for an unknown key when acceptNewHostKeys is off; without it an unknown key is refused. */
  confirmHostKey?: (info: UnknownHostKey) => Promise<boolean>;
  password?: string;
  /** TCP connect plus SSH handshake and login (time spent waiting for confirmHostKey not counted). */
  connectTimeoutMs?: number;
}

/** Connecting failed: refused, unreachable, timed out, host key refused, login refused. */
export class SshConnectError extends CliError {
  constructor(
    readonly hostName: string,
    readonly reason: string,
    text: { message: string; hint: string },
  ) {
    super('failure', text.message, text.hint, { host: hostName, reason });
    this.name = 'SshConnectError';
  }
}

const defaultConnectTimeoutMs = 15_000;
/** Below OpenSSH's default MaxSessions (10), leaving room for the SFTP channel. */
const maxOpenChannels = 8;
const defaultHostKeyAlgorithms = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Host key algorithms with the types known_hosts holds for the host first, so `ssh` and we see the same key. */
function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap((type) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', type] : [type],
  );
  const first = preferred.filter((algorithm) => defaultHostKeyAlgorithms.includes(algorithm));
  return [...new Set([...first, ...defaultHostKeyAlgorithms])];
}

type AuthMethod =
  | { type: 'publickey'; username: string; key: Buffer }
  | { type: 'agent'; username: string; agent: string }
  | { type: 'password'; username: string; password: string };

function authMethods(host: HostConfig, password: string | undefined): AuthMethod[] {
  const username = host.ssh.user;
  const methods: AuthMethod[] = [];
  // cloud.yaml writes keys as `~/.ssh/id_ed25519`, the way people type them.
  const given = host.ssh.key?.replace(/^~(?=\/)/, homedir());
  const keyFiles = given
    ? [given]
    : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => posix.join(homedir(), '.ssh', name)).filter(existsSync);
  for (const file of keyFiles) {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch (error) {
      throw new SshConnectError(host.name, 'key', connectMessages.keyUnreadable(file, (error as Error).message));
    }
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) {
      if (host.ssh.key)
        throw new SshConnectError(host.name, 'key', connectMessages.keyUnreadable(file, parsed.message));
      continue;
    }
    methods.push({ type: 'publickey', username, key });
  }
  if (process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username, agent: process.env.SSH_AUTH_SOCK });
  if (password !== undefined) methods.push({ type: 'password', username, password });
  return methods;
}

function connectError(
  host: HostConfig,
  error: Error & { code?: string; level?: string },
  methods: AuthMethod[],
  timeoutMs: number,
) {
  const { address, ssh } = host;
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED')
    return new SshConnectError(host.name, 'refused', connectMessages.refused(address, ssh.port));
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'].includes(code)) {
    return new SshConnectError(host.name, 'unreachable', connectMessages.unreachable(address, ssh.port, code));
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new SshConnectError(host.name, 'unresolved', connectMessages.unresolved(address));
  }
  if (code === 'ETIMEDOUT' || error.level === 'client-timeout') {
    return new SshConnectError(host.name, 'timeout', connectMessages.timedOut(address, ssh.port, timeoutMs / 1000));
  }
  if (error.level === 'client-authentication') {
    const tried = [...new Set(methods.map((method) => method.type))].join(', ') || 'no method: no key given';
    return new SshConnectError(host.name, 'auth', connectMessages.authFailed(address, ssh.port, ssh.user, tried));
  }
  return new SshConnectError(host.name, 'other', connectMessages.other(address, ssh.port, error.message));
}

/**
 * Connects to a host over SSH, verifying its host key against known_hosts first, and returns an Operator that
 * reuses the one connection for every command and file.
 */
export async function openOperator(host: HostConfig, options: OpenOperatorOptions): Promise<SshOperator> {
  const methods = authMethods(host, options.password);
  const timeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const { address, ssh } = host;
  const client = new Client();
  let refusal: SshConnectError | undefined;

  return new Promise<SshOperator>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: CliError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      reject(error);
    };
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          fail(
            new SshConnectError(host.name, 'timeout', connectMessages.timedOut(address, ssh.port, timeoutMs / 1000)),
          ),
        timeoutMs,
      );
    };

    const verifyHostKey = async (keyBlob: Buffer): Promise<boolean> => {
      const entries = readKnownHosts(options.knownHostsFile);
      const presented: PresentedKey = {
        host: address,
        port: ssh.port,
        keyType: keyTypeOfBlob(keyBlob),
        fingerprint: sha256Fingerprint(keyBlob),
      };
      const verdict = checkHostKey(entries, address, ssh.port, keyBlob);
      const file = options.knownHostsFile;
      switch (verdict.status) {
        case 'known':
          return true;
        case 'changed':
          refusal = new SshConnectError(
            host.name,
            'hostKeyChanged',
            hostKeyMessages.changed(presented, file, verdict.line, verdict.knownKeyType, verdict.knownFingerprint),
          );
          return false;
        case 'revoked':
          refusal = new SshConnectError(
            host.name,
            'hostKeyRevoked',
            hostKeyMessages.revoked(presented, file, verdict.line),
          );
          return false;
        case 'unknown': {
          let accepted = options.acceptNewHostKeys;
          if (!accepted && options.confirmHostKey) {
            // The user may take a while to compare fingerprints: that is not the host being slow.
            clearTimeout(timer);
            accepted = await options.confirmHostKey({
              ...presented,
              knownHostsFile: file,
              otherKeyTypes: verdict.otherKeyTypes,
            });
            armTimer();
          }
          if (!accepted) {
            const why = options.confirmHostKey ? 'declined' : 'noTerminal';
            refusal = new SshConnectError(
              host.name,
              'hostKeyUnknown',
              hostKeyMessages.unknownRefused(presented, file, why),
            );
            return false;
          }
          appendKnownHost(file, address, ssh.port, keyBlob);
          return true;
        }
      }
    };

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new SshOperator(host, client));
    });
    client.on('error', (error: Error & { code?: string; level?: string }) => {
      fail(refusal ?? connectError(host, error, methods, timeoutMs));
    });
    client.on('close', () => {
      fail(refusal ?? new SshConnectError(host.name, 'other', connectMessages.other(address, ssh.port, 'closed')));
    });

    armTimer();
    client.connect({
      host: address,
      port: ssh.port,
      username: ssh.user,
      readyTimeout: 0,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: {
        serverHostKey: hostKeyAlgorithms(knownKeyTypes(readKnownHosts(options.knownHostsFile), address, ssh.port)),
      } as never,
      authHandler: methods as never,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyHostKey(key).then(verify, (error: Error) => {
          refusal = new SshConnectError(host.name, 'other', connectMessages.other(address, ssh.port, error.message));
          verify(false);
        });
      },
    });
  });
}

/** A tiny counting semaphore: sshd refuses channels past MaxSessions. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function signalExitCode(signal: string | undefined): number {
  const number = signal ? (osConstants.signals as Record<string, number>)[`SIG${signal}`] : undefined;
  return 128 + (number ?? 0);
}

function isNoSuchFile(error: unknown): boolean {
  return (error as { code?: unknown }).code === 2;
}

/** Where a non-root user's copies wait for `sudo install` to move them into place: private files in /tmp. */
const stagingPrefix = '/tmp/.mallee-upload-';

/**
 * A copy cut off (the connection lost, the installer interrupted) leaves its staging file behind; the first root
 * write of a later connection removes this user's that nothing has written to for 10 minutes (a live copy writes
 * every few milliseconds), so the other copies of a concurrent run are left alone.
 */
const sweepStaleStagingCommand = `find /tmp -maxdepth 1 -name '${posix.basename(stagingPrefix)}*' -user "$(id -u)" -mmin +10 -delete 2>/dev/null; true`;

/** The Operator over one reused SSH connection. Get one from openOperator. */
export class SshOperator implements Operator {
  readonly hostName: string;
  readonly address: string;
  readonly user: string;
  private readonly slots = new Slots(maxOpenChannels);
  private sftpSession?: Promise<SFTPWrapper>;
  private rootCheck?: Promise<boolean>;
  private sudoCheck?: Promise<void>;
  private stagingSweep?: Promise<unknown>;
  private lost?: Error;
  /** Rejects with `lost` once the connection is gone. */
  private readonly whenLost: Promise<never>;

  constructor(
    host: HostConfig,
    private readonly client: Client,
  ) {
    this.hostName = host.name;
    this.address = host.address;
    this.user = host.ssh.user;
    let rejectLost: (error: Error) => void = () => undefined;
    this.whenLost = new Promise<never>((_resolve, reject) => (rejectLost = reject));
    this.whenLost.catch(() => undefined);
    const markLost = (reason: string) => {
      this.lost ??= new SshConnectError(host.name, 'lost', connectMessages.lost(host.name, reason));
      rejectLost(this.lost);
    };
    client.on('error', (error: Error) => markLost(error.message));
    client.on('close', () => markLost('the connection closed'));
  }

  /** Whether commands already run as root (then `sudo` is not needed). */
  isRoot(): Promise<boolean> {
    this.rootCheck ??=
      this.user === 'root'
        ? Promise.resolve(true)
        : this.exec('id -u', 'id -u', {}).then((result) => result.stdout.trim() === '0');
    return this.rootCheck;
  }

  /** Resolves when commands can run as root; rejects with SudoError (password or terminal wanted) otherwise. */
  ensureRoot(): Promise<void> {
    this.sudoCheck ??= this.isRoot().then(async (root) => {
      if (root) return;
      const probe = await this.exec(sudoProbeCommand, sudoProbeCommand, { timeoutMs: 30_000 });
      if (probe.exitCode !== 0) {
        const output = `${probe.stderr}\n${probe.stdout}`;
        throw new SudoError(this.hostName, this.user, classifySudoFailure(probe.exitCode, output), output);
      }
    });
    return this.sudoCheck;
  }

  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    let line = `sh -c ${shellQuote(command)}`;
    // coreutils timeout signals the command's whole process group; closing an SSH channel kills nothing.
    if (options.timeoutMs !== undefined) line = `timeout -s TERM -k 5 ${options.timeoutMs / 1000} ${line}`;
    if (options.sudo && !(await this.isRoot())) {
      await this.ensureRoot();
      line = `sudo -n ${line}`;
    }
    return this.exec(command, line, options);
  }

  async check(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const result = await this.run(command, options);
    if (result.exitCode !== 0) throw new CommandFailedError(this.hostName, result);
    return result;
  }

  async putFile(localPath: string, remotePath: string, options: PutOptions = {}): Promise<void> {
    await this.upload({ localPath }, remotePath, options);
  }

  async writeFile(remotePath: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    await this.upload({ content: Buffer.from(content) }, remotePath, options);
  }

  async readFile(remotePath: string, options: ReadOptions = {}): Promise<Buffer | undefined> {
    // SFTP reads as the login user; Mallee's folders are root's.
    if (options.sudo && !(await this.isRoot())) return readFileThroughSudo(this, remotePath);
    const sftp = await this.sftp();
    return this.untilLost(
      new Promise((resolve, reject) => {
        sftp.readFile(remotePath, (error: Error | null | undefined, data: Buffer) => {
          if (!error) resolve(data);
          else if (isNoSuchFile(error)) resolve(undefined);
          else reject(new Error(`on ${this.hostName}: reading ${remotePath} failed: ${error.message}`));
        });
      }),
    );
  }

  async close(): Promise<void> {
    if (this.lost) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2_000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  /** Runs an exact command line (no wrapping); `command` is what messages show. */
  private async exec(command: string, line: string, options: RunOptions): Promise<CommandResult> {
    if (this.lost) throw this.lost;
    await this.slots.acquire();
    try {
      return await new Promise<CommandResult>((resolve, reject) => {
        this.client.exec(line, (error: Error | undefined, channel: ClientChannel) => {
          if (error) {
            reject(this.lost ?? new Error(`on ${this.hostName}: could not start \`${command}\`: ${error.message}`));
            return;
          }
          this.collect(command, channel, options).then(resolve, reject);
        });
      });
    } finally {
      this.slots.release();
    }
  }

  private collect(command: string, channel: ClientChannel, options: RunOptions): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const started = Date.now();
      let exitCode: number | undefined;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(backstop);
        outcome();
      };
      const timedOut = () => new CommandTimeoutError(this.hostName, command, options.timeoutMs ?? 0);
      // The remote `timeout` ends the command; this only fires when the host stops answering altogether.
      const backstop =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              settle(() => reject(timedOut()));
              channel.close();
            }, options.timeoutMs + 10_000);
      channel.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        options.onOutput?.(chunk.toString());
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        options.onOutput?.(chunk.toString());
      });
      channel.on('exit', (code: number | null, signal?: string) => {
        exitCode = code ?? signalExitCode(signal);
      });
      channel.on('close', () => {
        settle(() => {
          const ranOut = options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs;
          if (ranOut && (exitCode === 124 || exitCode === 137)) reject(timedOut());
          else if (exitCode === undefined) {
            reject(this.lost ?? new Error(`on ${this.hostName}: \`${command}\` ended without an exit status`));
          } else {
            resolve({
              command,
              exitCode,
              stdout: Buffer.concat(stdout).toString(),
              stderr: Buffer.concat(stderr).toString(),
            });
          }
        });
      });
      channel.end(options.input);
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    if (this.lost) return Promise.reject(this.lost);
    this.sftpSession ??= this.untilLost(
      new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((error: Error | undefined, sftp: SFTPWrapper) => {
          if (error) {
            this.sftpSession = undefined;
            reject(new Error(`on ${this.hostName}: SFTP is not available: ${error.message}`));
          } else resolve(sftp);
        });
      }),
    );
    return this.sftpSession;
  }

  /**
   * `operation` (an SFTP request), or the connection's loss if that comes first: ssh2 never calls back the SFTP
   * requests in flight when the connection goes, which would leave their callers waiting forever.
   */
  private untilLost<T>(operation: Promise<T>): Promise<T> {
    return Promise.race([operation, this.whenLost]);
  }

  /**
   * A file lands atomically: written under a temporary name beside the target, given its mode, then renamed over
   * it. As a non-root user writing as root, it goes to a private temp file first and `sudo install` moves it.
   */
  private async upload(
    source: { localPath: string } | { content: Buffer },
    remotePath: string,
    options: PutOptions,
  ): Promise<void> {
    const mode = options.mode ?? 0o644;
    if (options.sudo && !(await this.isRoot())) {
      await this.ensureRoot();
      this.stagingSweep ??= this.run(sweepStaleStagingCommand);
      await this.stagingSweep;
      const staging = `${stagingPrefix}${randomBytes(6).toString('hex')}`;
      await this.sftpWrite(source, staging, 0o600);
      const temporary = `${remotePath}.mallee-${randomBytes(4).toString('hex')}.tmp`;
      const octal = mode.toString(8).padStart(4, '0');
      const move =
        `mkdir -p ${shellQuote(posix.dirname(remotePath))} && install -m ${octal} ${shellQuote(staging)} ` +
        `${shellQuote(temporary)} && mv -f ${shellQuote(temporary)} ${shellQuote(remotePath)}; ` +
        `status=$?; rm -f ${shellQuote(staging)}; exit $status`;
      await this.check(move, { sudo: true });
      return;
    }
    const temporary = posix.join(
      posix.dirname(remotePath),
      `.${posix.basename(remotePath)}.mallee-${randomBytes(4).toString('hex')}.tmp`,
    );
    try {
      await this.sftpWrite(source, temporary, mode);
    } catch (error) {
      if (!isNoSuchFile(error)) throw this.fileError(remotePath, error);
      await this.check(`mkdir -p ${shellQuote(posix.dirname(remotePath))}`);
      await this.sftpWrite(source, temporary, mode).catch((retryError: unknown) => {
        throw this.fileError(remotePath, retryError);
      });
    }
    const sftp = await this.sftp();
    await this.untilLost(
      new Promise<void>((resolve, reject) => {
        sftp.ext_openssh_rename(temporary, remotePath, (error: Error | null | undefined) => {
          if (!error) return resolve();
          sftp.unlink(temporary, () => reject(this.fileError(remotePath, error)));
        });
      }),
    );
  }

  private fileError(remotePath: string, error: unknown): Error {
    return new Error(`on ${this.hostName}: writing ${remotePath} failed: ${(error as Error).message}`);
  }

  private async sftpWrite(source: { localPath: string } | { content: Buffer }, path: string, mode: number) {
    const sftp = await this.sftp();
    await this.untilLost(
      new Promise<void>((resolve, reject) => {
        const done = (error: Error | null | undefined) => (error ? reject(error) : resolve());
        if ('localPath' in source) sftp.fastPut(source.localPath, path, { mode }, done);
        else sftp.writeFile(path, source.content, { mode }, done);
      }),
    );
    // The SFTP server's umask applies when it creates the file: set the mode explicitly.
    await this.untilLost(
      new Promise<void>((resolve, reject) =>
        sftp.chmod(path, mode, (error: Error | null | undefined) => (error ? reject(error) : resolve())),
      ),
    );
  }
}
