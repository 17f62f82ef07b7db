import { confirm } from '@inquirer/prompts';
import { hostKeyMessages } from './ssh-messages.js';
import type { UnknownHostKey } from './ssh-operator.js';

/**
 * Asks at the terminal whether to trust an unknown host key, one question at a time even when many hosts connect
 * in parallel. Undefined without a terminal: the operator then refuses unknown keys with a hint.
 * The question goes to stderr so `--json` output on stdout stays clean.
 */
export function terminalHostKeyConfirmer(): ((key: UnknownHostKey) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  let previous: Promise<unknown> = Promise.resolve();
  return (key) => {
    const answer = previous.then(() =>
      confirm(
        { message: hostKeyMessages.confirmQuestion(key, key.otherKeyTypes), default: false },
        { output: process.stderr },
      ).catch(() => false),
    );
    previous = answer;
    return answer;
  };
}
