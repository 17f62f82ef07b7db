import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

export function temporaryDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mallee-${prefix}-`));
}
