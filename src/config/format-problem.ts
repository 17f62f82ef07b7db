import type { Problem } from './types.js';

/** `FILE:LINE:COLUMN: error: MESSAGE` and the hint on the next line, as compilers print them (editors link the position). */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: error: ${p.message}\n  hint: ${p.hint}`;
}
