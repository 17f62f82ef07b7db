import { Command } from '@oclif/core';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';

/**
 * Every Mallee command: `--json` on, and errors rendered once: a message and a hint on stderr
 * (or `{"error": ...}` on stdout with --json), with the exit code from the shared table.
 */
export abstract class MalleeCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (!(error instanceof CliError)) {
      if (error.oclif?.exit !== undefined) return super.catch(error);
      error = new CliError('failure', error.message);
    }
    const cliError = error as CliError;
    if (this.jsonEnabled()) {
      this.logJson({ error: cliError.toJSON() });
    } else {
      process.stderr.write(`Error: ${cliError.message}\n`);
      if (cliError.hint) process.stderr.write(`Hint: ${cliError.hint}\n`);
    }
    process.exitCode = cliError.exitCode;
    return undefined;
  }

  /** Ends the command with a non-zero exit code after its output was written, without an error message. */
  protected finishWith(code: keyof typeof ExitCode): void {
    process.exitCode = ExitCode[code];
  }
}
