import { confirm } from '@inquirer/prompts';
import { CliError } from './cli-error.js';

/** Asks before a change; `--yes` skips the question, and without a terminal to ask on the change is refused. */
export async function confirmOrRefuse(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError(
      'usage',
      `${question} There is no terminal to ask on.`,
      'Pass --yes to go ahead without asking.',
    );
  }
  if (!(await confirm({ message: question, default: false }))) throw new CliError('failure', 'Cancelled.');
}
