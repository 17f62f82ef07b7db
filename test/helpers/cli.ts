import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and returns its exit code and output; never throws for a non-zero exit. */
export function runCommand(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs the built `faststart` or `cloudctl` (npm test builds dist/ first). */
export function runCli(
  bin: 'faststart' | 'cloudctl',
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [join(projectRoot, 'bin', `${bin}.js`), ...args], options);
}

/** What a watched command has written so far, and the keys to press: Ctrl-C (SIGINT), or SIGKILL. */
export interface WatchedOutput {
  stdout: string;
  stderr: string;
  interrupt: () => void;
  kill: () => void;
}

/**
 * Runs the built `faststart` or `cloudctl` like `runCli`, calling `onOutput` with its output so far as each chunk
 * arrives (while it still runs), so that a test can press Ctrl-C or kill it at a chosen point of its work.
 */
export function runCliWatching(
  bin: 'faststart' | 'cloudctl',
  args: string[],
  options: { env?: NodeJS.ProcessEnv },
  onOutput: (output: WatchedOutput) => void,
): Promise<CommandResult & { signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', `${bin}.js`), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const seen = () => {
    if (child.exitCode !== null) return;
    onOutput({ stdout, stderr, interrupt: () => child.kill('SIGINT'), kill: () => child.kill('SIGKILL') });
  };
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), seen()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), seen()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? 1, stdout, stderr, signal })),
  );
}

/** The folders `temporaryDir` made in this process (one test file): gone when it exits having passed. */
const madeFolders: string[] = [];
process.on('exit', (code) => {
  // A failed file keeps them, daemon logs and data included, for a look at what went wrong.
  if (code !== 0 || (process.exitCode ?? 0) !== 0) return;
  for (const dir of madeFolders) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

/**
 * A new folder under the system's temp folder, removed when the test file's process ends well (its daemons stopped by
 * then): test runs would otherwise leave gigabytes of daemon data behind, and a machine whose disk they fill offers
 * instances less room than the tests expect.
 */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mallee-${prefix}-`));
  madeFolders.push(dir);
  return dir;
}

/** TLS for `curl`: the CA to trust, and a client certificate to present when there is one (PEM files). */
export interface CurlTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** `curl -sS` against a Mallee endpoint, trusting only `tls.ca`; `args` go before the URL. */
export function curl(url: string, tls: CurlTls, args: string[] = []): Promise<CommandResult> {
  const identity = tls.cert && tls.key ? ['--cert', tls.cert, '--key', tls.key] : [];
  return runCommand('curl', ['-sS', '--cacert', tls.ca, ...identity, ...args, url]);
}

/** Only the HTTP status of a GET (or of what `args` make it). */
export async function httpStatus(url: string, tls: CurlTls, args: string[] = []): Promise<number> {
  const result = await curl(url, tls, ['-o', '/dev/null', '-w', '%{http_code}', ...args]);
  return Number(result.stdout);
}
