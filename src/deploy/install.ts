import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent } from 'node:https';
import { setTimeout as pause } from 'node:timers/promises';
import type { ListrRendererValue } from 'listr2';
import { CliError } from '../cli/cli-error.js';
import type { CloudFile } from '../cloud/cloud-file.js';
import type { CloudConfig, HostConfig } from '../config/types.js';
import type { Operator } from '../operators/operator.js';
import { cloudFileOf, writeCredentialFiles } from './cloud-home.js';
import { deployCloud, type HostReport } from './deploy.js';
import { installMessages } from './install-messages.js';
import { writeInstallRecord } from './uninstall.js';
import { runSmokeTest, type SmokeTestResult } from './smoke-test.js';

export interface InstallOptions {
  cloud: CloudConfig;
  openOperator: (host: HostConfig) => Promise<Operator>;
  dryRun: boolean;
  concurrency: number;
  prefix: string;
  renderer: ListrRendererValue;
  smokeTest: boolean;
  /** Every host is this machine, reached through the LocalOperator. */
  allInOne: boolean;
  healthTimeoutMs?: number;
  /** Recorded in install.json for the commands that reach the hosts later. */
  knownHosts?: string;
  /** Aborted to interrupt the install (Ctrl-C); its reason names the signal. The install then fails as `interrupted`. */
  signal?: AbortSignal;
}

/** What `faststart install --json` prints: stable field names, one entry per host and step. */
export interface InstallResult {
  cloud: string;
  dryRun: boolean;
  bundle: string;
  hosts: HostReport[];
  daemons: { name: string; component: string; host: string; url: string }[];
  endpoints?: CloudFile['endpoints'];
  files?: { cloudFile: string; awsConfig: string; eucarc: string };
  zones?: string[];
  smokeTest?: SmokeTestResult | 'skipped';
  phases: { name: string; seconds: number }[];
  seconds: number;
}

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

/**
 * Starts loading the EC2 SDK, which only the registration check needs. Not imported at the top (the SDK is large and
 * `--dry-run` never needs it), but loaded while the hosts deploy, so a re-run does not wait for it afterwards.
 */
function loadEc2Sdk(): Promise<Ec2Sdk> {
  // The SDK warns on every Node 20 run about its future plans; Mallee supports Node 20, so the note is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const loading = import('@aws-sdk/client-ec2');
  // Awaited by checkRegistration; a deploy that fails first never gets there.
  loading.catch(() => undefined);
  return loading;
}

/** The clc names every zone of cloud.yaml as available: zones and their ccs are registered. */
async function checkRegistration(
  sdk: Promise<Ec2Sdk>,
  cloudFile: CloudFile,
  cloud: CloudConfig,
  signal?: AbortSignal,
): Promise<string[]> {
  const { DescribeAvailabilityZonesCommand, EC2Client } = await sdk;
  const agent = new Agent({ ca: readFileSync(cloudFile.caBundle) });
  const ec2 = new EC2Client({
    endpoint: cloudFile.endpoints.ec2,
    region: cloudFile.region,
    credentials: cloudFile.credentials,
    requestHandler: { httpsAgent: agent },
  });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await ec2.send(new DescribeAvailabilityZonesCommand({}));
      const available = (answer.AvailabilityZones ?? [])
        .filter((zone) => zone.State === 'available')
        .map((zone) => zone.ZoneName!);
      const missing = cloud.zones.map((zone) => zone.name).filter((zone) => !available.includes(zone));
      if (missing.length === 0) return available;
      if (Date.now() > deadline) {
        throw new CliError('unhealthy', installMessages.zonesMissing(missing), installMessages.zonesMissingHint);
      }
      await pause(500, undefined, { signal });
    }
  } finally {
    ec2.destroy();
    agent.destroy();
  }
}

/**
 * `faststart install`: deploy every host, then (unless a dry run) check that the clc knows every zone, write the
 * admin's credentials under ~/.mallee/CLOUD, and boot a first instance as a smoke test.
 */
export async function installCloud(options: InstallOptions): Promise<InstallResult> {
  const started = Date.now();
  const { cloud } = options;
  // Recorded before anything changes on a host, so even an interrupted install can be uninstalled by name.
  if (!options.dryRun)
    writeInstallRecord({
      cloud,
      allInOne: options.allInOne,
      prefix: options.prefix,
      knownHosts: options.knownHosts && resolve(options.knownHosts),
    });
  const ec2Sdk = options.dryRun ? undefined : loadEc2Sdk();
  const deployed = await deployCloud({ ...options, healthTimeoutMs: options.healthTimeoutMs ?? 60_000 });
  const result: InstallResult = {
    cloud: cloud.name,
    dryRun: options.dryRun,
    bundle: deployed.bundle.hash,
    hosts: deployed.hosts,
    daemons: deployed.daemons.map((d) => ({
      name: d.name,
      component: d.component.component,
      host: d.host.name,
      url: d.url,
    })),
    phases: deployed.phases,
    seconds: 0,
  };
  const finish = () => ({ ...result, seconds: (Date.now() - started) / 1000 });
  const interrupted = () =>
    new CliError(
      'interrupted',
      installMessages.interrupted(String(options.signal?.reason ?? 'a signal'), deployed.hosts, deployed.failures),
      installMessages.interruptedHint,
      finish(),
    );
  if (deployed.interrupted) throw interrupted();
  if (deployed.failures.length > 0) {
    throw new CliError('failure', installMessages.failed(deployed.failures), installMessages.failedHint, finish());
  }
  if (options.dryRun) return finish();

  let phaseStart = Date.now();
  const cloudFile = cloudFileOf(cloud, deployed.daemons, deployed.admin);
  try {
    result.zones = await checkRegistration(ec2Sdk ?? loadEc2Sdk(), cloudFile, cloud, options.signal);
  } catch (error) {
    throw options.signal?.aborted ? interrupted() : error;
  }
  result.files = writeCredentialFiles(cloudFile);
  result.endpoints = cloudFile.endpoints;
  result.phases.push({ name: 'register and credentials', seconds: (Date.now() - phaseStart) / 1000 });

  phaseStart = Date.now();
  if (options.smokeTest) {
    const hypervisors = deployed.daemons.flatMap((d) => ('hypervisor' in d.component ? [d.component.hypervisor] : []));
    try {
      result.smokeTest = await runSmokeTest(cloudFile, {
        consoleMarker: !hypervisors.every((uri) => uri.startsWith('test:')),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw interrupted();
      throw new CliError(
        'unhealthy',
        installMessages.smokeFailed((error as Error).message),
        installMessages.smokeFailedHint,
        finish(),
      );
    }
    result.phases.push({ name: 'smoke test', seconds: (Date.now() - phaseStart) / 1000 });
  } else {
    result.smokeTest = 'skipped';
  }
  return finish();
}
