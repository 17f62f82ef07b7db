import { createHash } from 'node:crypto';
import type { Operator } from '../operators/operator.js';

export const stepNames = ['precheck', 'packages', 'bundle', 'config', 'certificates', 'start', 'health'] as const;
export type StepName = (typeof stepNames)[number];

/** Something a step does on its host, as `--dry-run` prints it. */
export type PlannedAction =
  | { kind: 'run'; command: string }
  | { kind: 'file'; path: string; mode: number; from?: string; bytes?: number }
  | { kind: 'check'; what: string };

/** `changed`: the step did its work now; `unchanged`: the host already was as the step leaves it. */
export type StepOutcome = 'changed' | 'unchanged';

/**
 * One idempotent verb of the deploy on one host. Each says what it would do (`actions`), whether it has nothing to
 * do (the journal holds its `inputs` and `inPlace` agrees), and does it (`apply`), safe to repeat after any stop.
 */
export interface DeployStep {
  name: StepName;
  /** Hash of everything the step's result depends on; absent: the step runs every time (a check). */
  inputs?: string;
  actions: PlannedAction[];
  /** A cheap, read-only look at the host: is the result of the last run still there? */
  inPlace?(operator: Operator): Promise<boolean>;
  apply(operator: Operator, progress: (line: string) => void): Promise<StepOutcome | void>;
}

export function hashOf(...parts: unknown[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(typeof part === 'string' ? part : JSON.stringify(part)).update('\0');
  return hash.digest('hex').slice(0, 16);
}
