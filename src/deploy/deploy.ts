import { Listr, type ListrRendererValue, type ListrTask } from 'listr2';
import type { CloudConfig, HostConfig } from '../config/types.js';
import { CommandFailedError, type Operator } from '../operators/operator.js';
import { adminCertificateName } from '../cloud/admin-names.js';
import { PkiStore } from '../pki/pki-store.js';
import { bundleIdentity, packBundle, type Bundle } from './bundle.js';
import { cloudHome, ensureAdminCredentials, readAdminCredentials } from './cloud-home.js';
import { planDaemons, type AdminCredentials, type PlannedDaemon } from './daemon-plan.js';
import { hostDeploymentOf, probeHost, type HostDeployment } from './host-deployment.js';
import { hostLayout } from './host-layout.js';
import { Journal } from './journal.js';
import { stepNames, type DeployStep, type PlannedAction, type StepName } from './step.js';
import { bundleStep } from './steps/bundle.js';
import { certificatesStep } from './steps/certificates.js';
import { configStep } from './steps/config.js';
import { healthStep } from './steps/health.js';
import { packagesStep } from './steps/packages.js';
import { precheckStep } from './steps/precheck.js';
import { startStep } from './steps/start.js';

export type StepReportOutcome = 'changed' | 'unchanged' | 'planned' | 'failed' | 'interrupted' | 'not run';

export interface StepReport {
  name: StepName;
  outcome: StepReportOutcome;
  seconds: number;
  /** In a dry run: every command and file the step would run and write. */
  actions?: PlannedAction[];
}

/** Where and how a step failed: enough to act on without reading logs first. */
export interface StepFailure {
  host: string;
  step: StepName;
  message: string;
  command?: string;
  exitCode?: number;
  output?: string;
}

export interface HostReport {
  name: string;
  address: string;
  starter?: 'systemd' | 'supervisor';
  /** Whether the host's init starts the daemons after a reboot: systemd's units, or sysvinit's init script. */
  startsAtBoot?: boolean;
  steps: StepReport[];
  failure?: StepFailure;
  /** The step the host was at, or would have started next, when the install was interrupted. */
  interruptedAt?: StepName;
}

export interface DeployOptions {
  cloud: CloudConfig;
  openOperator: (host: HostConfig) => Promise<Operator>;
  dryRun: boolean;
  concurrency: number;
  /** Installs under this folder on each host instead of `/` (tests). */
  prefix: string;
  renderer: ListrRendererValue;
  healthTimeoutMs: number;
  /** The release to deploy, already packed; default: this installation's own build. */
  bundle?: Bundle & { sha256: string };
  /**
   * Aborted to interrupt the install (Ctrl-C): no step starts after it, the hosts' connections close (stopping what
   * runs there), and the result says where each host stopped. What finished stays recorded in each host's journal.
   */
  signal?: AbortSignal;
}

export interface DeployResult {
  hosts: HostReport[];
  daemons: PlannedDaemon[];
  admin: AdminCredentials;
  bundle: Bundle;
  failures: StepFailure[];
  /** The install was interrupted: `interruptedAt` on each host that had not finished says where. */
  interrupted: boolean;
  /** Seconds spent per phase, in order. */
  phases: { name: string; seconds: number }[];
}

interface PreparedHost {
  operator: Operator;
  steps: DeployStep[];
  journal: Journal;
  unchangedSoFar: boolean;
  /**
   * For each step the journal holds as done: its `inPlace` look, started for all steps at once when the host was
   * opened. Valid only while no earlier step changed the host; after that a step looks again.
   */
  inPlaceLooks: Map<StepName, Promise<boolean>>;
}

/**
 * Starts the read-only look of every step the journal holds as done, all at once over the host's one connection: a
 * re-run with nothing to do waits for one round trip per host instead of one per step.
 */
function lookAhead(operator: Operator, steps: DeployStep[], journal: Journal): Map<StepName, Promise<boolean>> {
  const looks = new Map<StepName, Promise<boolean>>();
  for (const step of steps) {
    if (step.inputs === undefined || !journal.isDone(step.name, step.inputs)) continue;
    const look = step.inPlace ? step.inPlace(operator) : Promise.resolve(true);
    // Awaited by the step's task, which reports a failure there; a host that stops earlier never awaits it.
    look.catch(() => undefined);
    looks.set(step.name, look);
  }
  return looks;
}

const dryRunAdmin: AdminCredentials = { accessKeyId: 'AKIA-DRY-RUN', secretAccessKey: '<kept in admin-key.json>' };

/** Installer-side material every host gets: the CA and host certificates, the admin key, the packed bundle. */
async function prepare(options: DeployOptions) {
  const { cloud, dryRun } = options;
  const home = cloudHome(cloud.name);
  if (dryRun) {
    return {
      admin: readAdminCredentials(cloud.name) ?? dryRunAdmin,
      bundle: options.bundle ?? bundleIdentity(),
      pki: undefined,
    };
  }
  const admin = ensureAdminCredentials(cloud.name);
  const pki = await PkiStore.init(home.pki, cloud.name);
  for (const host of cloud.hosts) await pki.ensureHost(host.name, [host.address]);
  await pki.ensureHost(adminCertificateName, []);
  const bundle = options.bundle ?? (await packBundle(undefined, options.signal));
  return { admin, bundle, pki };
}

function stepsFor(deployment: HostDeployment): DeployStep[] {
  return [
    precheckStep(deployment),
    packagesStep(deployment),
    bundleStep(deployment),
    configStep(deployment),
    certificatesStep(deployment),
    startStep(deployment),
    healthStep(deployment),
  ];
}

/** Thrown in a step's task once the install is interrupted: the host stops there, and nothing is failed. */
class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

function failureOf(host: string, step: StepName, error: unknown): StepFailure {
  if (error instanceof CommandFailedError) {
    const output = `${error.result.stdout}\n${error.result.stderr}`.trim().split('\n').slice(-10).join('\n');
    return {
      host,
      step,
      message: error.message,
      command: error.result.command,
      exitCode: error.result.exitCode,
      output,
    };
  }
  return { host, step, message: (error as Error).message };
}

/**
 * Deploys the cloud: per host, in parallel across hosts (at most `concurrency` at once), the steps precheck,
 * packages, bundle, config, certificates, start and health. Each host's journal lets a step whose inputs are unchanged
 * and whose result is still in place be skipped. A failing step stops its host; the other hosts finish.
 */
export async function deployCloud(options: DeployOptions): Promise<DeployResult> {
  const { cloud, dryRun, signal } = options;
  const phases: { name: string; seconds: number }[] = [];
  let phaseStart = Date.now();
  const endPhase = (name: string) => {
    phases.push({ name, seconds: (Date.now() - phaseStart) / 1000 });
    phaseStart = Date.now();
  };
  const { admin, bundle, pki } = await prepare(options);
  endPhase('prepare');
  const adminTls = pki?.hostCredentials(adminCertificateName);
  const daemons = planDaemons(cloud);
  const reports: HostReport[] = cloud.hosts.map((host) => ({ name: host.name, address: host.address, steps: [] }));
  const failures: StepFailure[] = [];

  const operators: Operator[] = [];
  // Closing a host's connection ends the commands and copies running there: the journal never records those steps.
  const closeAll = () => void Promise.all(operators.map((operator) => operator.close()));
  signal?.addEventListener('abort', closeAll, { once: true });
  const deployHost = async (host: HostConfig, report: HostReport): Promise<PreparedHost> => {
    const operator = await options.openOperator(host);
    operators.push(operator);
    try {
      if (signal?.aborted) throw new Interrupted();
      const layout = hostLayout(cloud.name, options.prefix);
      const [probe, journal] = await Promise.all([probeHost(operator), Journal.read(operator, layout.journal)]);
      report.starter = probe.systemd ? 'systemd' : 'supervisor';
      report.startsAtBoot = probe.systemd || probe.initScripts;
      const deployment = hostDeploymentOf({
        cloud,
        host,
        layout,
        probe,
        daemons,
        admin,
        bundle,
        pki,
        adminTls,
        healthTimeoutMs: options.healthTimeoutMs,
        signal,
      });
      const steps = stepsFor(deployment);
      return { operator, steps, journal, unchangedSoFar: true, inPlaceLooks: lookAhead(operator, steps, journal) };
    } catch (error) {
      await operator.close();
      throw error;
    }
  };

  const stepTask = (host: HostConfig, report: HostReport, prepared: PreparedHost, step: DeployStep): ListrTask => ({
    title: `${host.name}: ${step.name}`,
    task: async (_context, task) => {
      const started = Date.now();
      const record = (outcome: StepReportOutcome) =>
        report.steps.push({
          name: step.name,
          outcome,
          seconds: (Date.now() - started) / 1000,
          ...(dryRun && { actions: step.actions }),
        });
      try {
        if (signal?.aborted) throw new Interrupted();
        const { operator, journal } = prepared;
        const earlyLook = prepared.unchangedSoFar ? prepared.inPlaceLooks.get(step.name) : undefined;
        const done =
          step.inputs !== undefined &&
          journal.isDone(step.name, step.inputs) &&
          (earlyLook ? await earlyLook : step.inPlace ? await step.inPlace(operator) : true);
        if (dryRun || done) {
          const outcome = done ? 'unchanged' : 'planned';
          record(outcome);
          task.skip(`${host.name}: ${step.name} ${outcome}`);
          return;
        }
        const outcome = await step.apply(operator, (line) => (task.output = line));
        if (step.inputs !== undefined) await journal.record(step.name, step.inputs);
        // A check (no inputs) changed nothing when every step before it changed nothing.
        const final = outcome ?? (step.inputs === undefined && prepared.unchangedSoFar ? 'unchanged' : 'changed');
        if (final === 'changed') prepared.unchangedSoFar = false;
        record(final);
        task.title = `${host.name}: ${step.name} ${final} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
      } catch (error) {
        if (signal?.aborted) {
          record('interrupted');
          report.interruptedAt = step.name;
          throw new Interrupted();
        }
        record('failed');
        const failure = failureOf(host.name, step.name, error);
        report.failure = failure;
        failures.push(failure);
        throw new Error(failure.message);
      }
    },
  });
  const tasks = new Listr(
    cloud.hosts.map((host, index): ListrTask => ({
      title: `${host.name} (${host.address})`,
      task: async (_context, hostTask) => {
        const report = reports[index]!;
        let prepared: PreparedHost;
        try {
          prepared = await deployHost(host, report);
        } catch (error) {
          if (signal?.aborted) {
            report.interruptedAt = 'precheck';
            throw new Interrupted();
          }
          const failure = failureOf(host.name, 'precheck', error);
          report.failure = failure;
          failures.push(failure);
          throw new Error(failure.message);
        }
        return hostTask.newListr(
          prepared.steps.map((step) => stepTask(host, report, prepared, step)),
          { concurrent: false, exitOnError: true },
        );
      },
    })),
    {
      concurrent: Math.max(1, options.concurrency),
      exitOnError: false,
      renderer: options.renderer,
      fallbackRenderer: 'simple',
      // Ctrl-C is the caller's to handle (through `signal`): listr2's own handler would exit at once, saying nothing.
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false, collapseSkips: false, showSkipMessage: true },
    },
  );
  try {
    await tasks.run();
  } catch {
    // Failures are in `failures`, each with its host and step; the command reports them.
  } finally {
    signal?.removeEventListener('abort', closeAll);
    await Promise.all(operators.map((operator) => operator.close()));
  }
  for (const report of reports) {
    for (const name of stepNames) {
      if (!report.steps.some((step) => step.name === name)) report.steps.push({ name, outcome: 'not run', seconds: 0 });
    }
  }
  endPhase(dryRun ? 'plan' : 'deploy');
  return { hosts: reports, daemons, admin, bundle, failures, interrupted: signal?.aborted === true, phases };
}
