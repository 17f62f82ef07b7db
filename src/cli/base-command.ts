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
      // A command line oclif could not parse (exit 2): with --json, the same {"error": ...} as every other error,
      // not oclif's own serialisation of the error (its whole parse context and config, hundreds of kilobytes).
      if (error.oclif?.exit === ExitCode.usage && this.jsonEnabled()) {
        const lines = error.message.split('\n').map((line) => line.replace(/\s+/g, ' ').trim());
        const hint = lines.at(-1)?.startsWith('See more help') ? lines.pop() : undefined;
        error = new CliError('usage', lines.filter((line) => line !== '').join(' '), hint);
      } else if (error.oclif?.exit !== undefined) {
        return super.catch(error);
      } else {
        error = new CliError('failure', error.message);
      }
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
