import { CliError } from '../cli/cli-error.js';
import { sudoMessages } from './ssh-messages.js';

/** Why `sudo -n true` failed, read from its exit code and what it printed. */
export type SudoProblem = 'needsPassword' | 'needsTerminal' | 'missing' | 'notAllowed';

/** The probe every operator runs once before its first sudo: `-n` makes sudo fail instead of waiting for a password. */
export const sudoProbeCommand = 'sudo -n true';

export function classifySudoFailure(exitCode: number, output: string): SudoProblem {
  const text = output.toLowerCase();
  if (exitCode === 127 || /sudo: (command )?not found|no such file/.test(text)) return 'missing';
  if (
    /must have a tty|terminal is required|requiretty|no tty present/.test(text) &&
    !/password is required/.test(text)
  ) {
    return 'needsTerminal';
  }
  if (/password is required|password for/.test(text)) return 'needsPassword';
  return 'notAllowed';
}

/** The user is not root and sudo will not run commands for them unattended: what to change on the host. */
export class SudoError extends CliError {
  constructor(
    readonly hostName: string,
    readonly user: string,
    readonly problem: SudoProblem,
    output: string,
  ) {
    const { message, hint } =
      problem === 'notAllowed'
        ? sudoMessages.notAllowed(hostName, user, output.trim())
        : sudoMessages[problem](hostName, user);
    super('failure', message, hint, { host: hostName, user, problem });
    this.name = 'SudoError';
  }
}
