import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ListrRendererValue } from 'listr2';
import { CliError } from '../cli/cli-error.js';
import type { CloudConfig } from '../config/types.js';
import { deployCloud, type HostReport } from '../deploy/deploy.js';
import { installMessages } from '../deploy/install-messages.js';
import { installRecordPath, writeInstallRecord } from '../deploy/uninstall.js';
import { writeFileAtomically } from '../util/secret-file.js';
import type { InstalledCloud } from './installed-cloud.js';
import { nodeMessages, planComments } from './node-messages.js';
import { checkPlan, cloudConfigYaml } from './node-plan.js';

/** The cloud.yaml `recordPlan` writes beside cloud.json. */
export interface PlanFile {
  path: string;
  text: string;
  /** There was none: it is written from the plan, so `faststart install --config` has a file that knows the change. */
  created: boolean;
}

/**
 * The cloud.yaml beside cloud.json edited as `edit` says (its comments kept), checked by cloud.yaml's validation; when
 * there is none (the cloud was installed from a cloud.yaml elsewhere), the new plan written out in full.
 */
export function planFileFor(
  installed: InstalledCloud,
  cloud: CloudConfig,
  edit: (text: string) => string,
  emptiedZone?: string,
): PlanFile {
  if (!installed.planFile) {
    const path = join(dirname(installed.cloudPath), 'cloud.yaml');
    return { path, text: planComments.written(cloud.name, path) + cloudConfigYaml(cloud), created: true };
  }
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
  return { path: installed.planFile, text, created: false };
}

/**
 * Records the new plan where later commands read it: install.json (what cloudctl, uninstall and upgrade use) and
 * the cloud.yaml beside it, which a `faststart install --config` re-run takes. Done before any host changes, so an interrupted run is finished by running it again.
 */
export function recordPlan(installed: InstalledCloud, cloud: CloudConfig, planFile: PlanFile): string[] {
  writeInstallRecord({ ...installed.record, cloud });
  writeFileAtomically(planFile.path, planFile.text);
  return [installRecordPath(cloud.name), planFile.path];
}

/**
 * The release `cloudctl upgrade` last moved the cloud to, when it is not this installation's own build: a change of
 * nodes deploys it, so the new node runs what the others run and no other host changes release.
 */
function runningRelease(installed: InstalledCloud) {
  const { release } = installed.record;
  if (!release || existsSync(release.tarball)) return release;
  throw new CliError(
    'notFound',
    nodeMessages.releaseMissing(release.version, release.hash, release.tarball),
    nodeMessages.releaseMissingHint,
  );
}

/**
 * Deploys the whole plan with the installer's steps: hosts whose daemons did not change are no-ops, a cc whose node
 * list changed restarts with the new one, and a supervisor stops the daemons that left its host's config.
 */
export async function deployPlan(
  installed: InstalledCloud,
  cloud: CloudConfig,
  renderer: ListrRendererValue,
  hints: { failed: string; interrupted: string },
  signal?: AbortSignal,
): Promise<HostReport[]> {
  const deployed = await deployCloud({
    cloud,
    bundle: runningRelease(installed),
    openOperator: installed.open,
    dryRun: false,
    concurrency: 8,
    prefix: installed.record.prefix,
    renderer,
    healthTimeoutMs: 60_000,
    signal,
  });
  if (deployed.interrupted) {
    throw new CliError(
      'interrupted',
      installMessages.interrupted(String(signal?.reason), deployed.hosts, deployed.failures),
      hints.interrupted,
      deployed.hosts,
    );
  }
  if (deployed.failures.length > 0) {
    throw new CliError('failure', installMessages.failed(deployed.failures), hints.failed, deployed.hosts);
  }
  return deployed.hosts;
}
