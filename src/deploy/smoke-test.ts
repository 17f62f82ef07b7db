import type { CloudFile } from '../cloud/cloud-file.js';

export interface SmokeTestResult {
  instanceId: string;
  state: string;
  consoleMarker?: boolean;
  seconds: number;
}

/** Placeholder until the tiny guest moves into src/: boots nothing yet. */
export async function runSmokeTest(_cloud: CloudFile, _options: { consoleMarker: boolean }): Promise<SmokeTestResult> {
  throw new Error('the smoke test is not available yet: run with --no-smoke-test');
}
