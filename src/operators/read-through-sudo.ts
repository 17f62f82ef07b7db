import type { Operator } from './operator.js';
import { shellQuote } from './shell-quote.js';

/** The exit status that means "no such file" (neither `base64` nor `sh` exits with it). */
const absentExitCode = 44;

/**
 * Reads a root-only file as a user who is not root: `sudo -n` prints it base64-encoded, so its bytes arrive intact
 * through a text channel. Undefined when the file does not exist.
 */
export async function readFileThroughSudo(operator: Operator, remotePath: string): Promise<Buffer | undefined> {
  const path = shellQuote(remotePath);
  const result = await operator.run(`if [ -e ${path} ]; then base64 < ${path}; else exit ${absentExitCode}; fi`, {
    sudo: true,
  });
  if (result.exitCode === absentExitCode) return undefined;
  if (result.exitCode !== 0) {
    throw new Error(`on ${operator.hostName}: reading ${remotePath} failed: ${result.stderr.trim()}`);
  }
  return Buffer.from(result.stdout, 'base64');
}
