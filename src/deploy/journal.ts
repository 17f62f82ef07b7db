import type { Operator } from '../operators/operator.js';
import type { StepName } from './step.js';

interface JournalFile {
  version: 1;
  steps: Partial<Record<StepName, { inputs: string; finishedAt: string }>>;
}

/**
 * The record on each host of which steps finished and with what inputs. Written after every step (atomically, so a
 * kill leaves the last good record): a re-run skips what is done and redoes what changed.
 */
export class Journal {
  private constructor(
    private readonly operator: Operator,
    private readonly path: string,
    private readonly file: JournalFile,
  ) {}

  static async read(operator: Operator, path: string): Promise<Journal> {
    const bytes = await operator.readFile(path, { sudo: true });
    let file: JournalFile = { version: 1, steps: {} };
    if (bytes) {
      try {
        const parsed = JSON.parse(bytes.toString('utf8')) as JournalFile;
        if (parsed.version === 1 && typeof parsed.steps === 'object') file = parsed;
      } catch {
        // A journal that cannot be read means nothing is known to be done: every step runs again.
      }
    }
    return new Journal(operator, path, file);
  }

  isDone(step: StepName, inputs: string): boolean {
    return this.file.steps[step]?.inputs === inputs;
  }

  async record(step: StepName, inputs: string): Promise<void> {
    this.file.steps[step] = { inputs, finishedAt: new Date().toISOString() };
    await this.operator.writeFile(this.path, JSON.stringify(this.file, null, 2) + '\n', { mode: 0o600, sudo: true });
  }
}
