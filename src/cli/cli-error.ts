import { ExitCode, type ExitCodeName } from './exit-codes.js';

/** An error meant for the person at the terminal: what went wrong, and one line on what to do next. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(
    readonly kind: ExitCodeName,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = ExitCode[kind];
  }

  toJSON(): { code: ExitCodeName; message: string; hint?: string; details?: unknown } {
    return { code: this.kind, message: this.message, hint: this.hint, details: this.details };
  }
}
