import { readFileSync } from 'node:fs';
import type { ListrRendererValue } from 'listr2';
import { CliError } from '../cli/cli-error.js';
import type { CloudConfig } from '../config/types.js';
import { deployCloud, type HostReport } from '../deploy/deploy.js';
import { installMessages } from '../deploy/install-messages.js';
import { installRecordPath, writeInstallRecord } from '../deploy/uninstall.js';
import { writeFileAtomically } from '../util/secret-file.js';
import type { InstalledCloud } from './installed-cloud.js';
import { nodeMessages } from './node-messages.js';
import { checkPlan } from './node-plan.js';

/**
 * The cloud.yaml beside cloud.json edited as `edit` says, checked by cloud.yaml's validation; undefined when the
 * cloud has no such file (it was installed from a cloud.yaml elsewhere, which install.json supersedes).
 */
export function editedPlanFile(
  installed: InstalledCloud,
  edit: (text: string) => string,
  emptiedZone?: string,
): { path: string; text: string } | undefined {
  if (!installed.planFile) return undefined;
  const text = edit(readFileSync(installed.planFile, 'utf8'));
  const problems = checkPlan(text, installed.planFile, emptiedZone);
  if (problems.length > 0) {
    throw new CliError(
      'invalidConfig',
      nodeMessages.planInvalid(problems.map((problem) => `${problem.file}:${problem.line}: ${problem.message}`)),
      nodeMessages.planInvalidHint,
      problems,
    );
  }
  return { path: installed.planFile, text };
}

/**
 * Records the new plan where later commands read it: install.json (what cloudctl, uninstall and upgrade use) and
 * the cloud.yaml beside it. Done before any host changes, so an interrupted run is finished by running it again.
 */
export function recordPlan(
  installed: InstalledCloud,
  cloud: CloudConfig,
  planFile: { path: string; text: string } | undefined,
): string[] {
  writeInstallRecord({ ...installed.record, cloud });
  if (planFile) writeFileAtomically(planFile.path, planFile.text);
  return [installRecordPath(cloud.name), ...(planFile ? [planFile.path] : [])];
}

/**
 * Deploys the whole plan with the installer's steps: hosts whose daemons did not change are no-ops, a cc whose node
 * list changed restarts with the new one, and a supervisor stops the daemons that left its host's config.
 */
export async function deployPlan(
  installed: InstalledCloud,
  cloud: CloudConfig,
  renderer: ListrRendererValue,
  failedHint: string,
): Promise<HostReport[]> {
  const deployed = await deployCloud({
    cloud,
    openOperator: installed.open,
    dryRun: false,
    concurrency: 8,
    prefix: installed.record.prefix,
    renderer,
    healthTimeoutMs: 60_000,
  });
  if (deployed.failures.length > 0) {
    throw new CliError('failure', installMessages.failed(deployed.failures), failedHint, deployed.hosts);
  }
  return deployed.hosts;
}
