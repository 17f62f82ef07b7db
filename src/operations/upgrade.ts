import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { execa } from 'execa';
import { CliError } from '../cli/cli-error.js';
import { renderTable } from '../cli/table.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import { createBackup } from '../cloud/backup.js';
import { packBundle, type Bundle } from '../deploy/bundle.js';
import { sha256OfFile } from '../util/file-hash.js';
import { readAdminCredentials } from '../deploy/cloud-home.js';
import { writeInstallRecord } from '../deploy/uninstall.js';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { hostDeploymentOf, probeHost, type HostProbe } from '../deploy/host-deployment.js';
import { shellQuote } from '../deploy/host-layout.js';
import { activateRelease, stageRelease } from '../deploy/steps/bundle.js';
import { probeDaemon } from '../deploy/steps/health.js';
import { startStep } from '../deploy/steps/start.js';
import type { HostConfig } from '../config/types.js';
import type { Operator } from '../operators/operator.js';
import { PkiStore } from '../pki/pki-store.js';
import { malleeVersion } from '../runtime/package-root.js';
import type { InstalledCloud } from './installed-cloud.js';
import { upgradeMessages } from './upgrade-messages.js';

/** A release to move to: its bundle and the version its package.json names. */
export interface Release {
  bundle: Bundle & { sha256: string };
  version: string;
}

function versionIn(packageJson: string, where: string): string {
  const version = (JSON.parse(packageJson) as { version?: string }).version;
  if (!version) throw new CliError('usage', upgradeMessages.noVersion(where), upgradeMessages.notABundleHint);
  return version;
}

/**
 * The release `--bundle` names: a built Mallee project (packed like the installer packs its own), or a bundle tarball
 * as the installer caches them. Without `--bundle`: this installation's own build.
 */
export async function releaseFrom(path?: string): Promise<Release> {
  if (path === undefined) {
    return { bundle: await packBundle(), version: malleeVersion() };
  }
  const full = resolve(path);
  if (existsSync(join(full, 'package.json')) && existsSync(join(full, 'dist'))) {
    const bundle = await packBundle(full);
    return { bundle, version: versionIn(readFileSync(join(full, 'package.json'), 'utf8'), full) };
  }
  if (existsSync(full) && statSync(full).isFile()) {
    const listed = await execa('tar', ['-xOf', full, 'package.json'], { reject: false });
    if (listed.exitCode === 0) {
      const sha256 = await sha256OfFile(full);
      return { bundle: { hash: sha256.slice(0, 16), tarball: full, sha256 }, version: versionIn(listed.stdout, full) };
    }
  }
  throw new CliError('usage', upgradeMessages.notABundle(path), upgradeMessages.notABundleHint);
}

/** The order daemons restart in: the cloud's controller first, nodes last (and one at a time, as every daemon). */
const restartOrder = ['clc', 'walrus', 'cc', 'sc', 'nc'];

export function upgradeOrder(daemons: readonly PlannedDaemon[]): PlannedDaemon[] {
  return restartOrder.flatMap((component) => daemons.filter((daemon) => daemon.component.component === component));
}

export interface DaemonUpgrade {
  name: string;
  host: string;
  fromRelease: string;
  fromVersion: string;
  toRelease: string;
  toVersion: string;
  /** False when the daemon already ran the release. */
  changed: boolean;
  seconds: number;
}

export interface UpgradeResult {
  cloud: string;
  release: string;
  version: string;
  backup: string;
  daemons: DaemonUpgrade[];
  seconds: number;
}

/** A host during the upgrade: one connection, and the release each of its daemons runs right now. */
interface HostInUpgrade {
  host: HostConfig;
  operator: Operator;
  probe: HostProbe;
  current: string;
  releases: Map<string, string>;
}

interface UpgradeOptions {
  yes: boolean;
  healthTimeoutSeconds: number;
  /** Where each step's line goes as it happens (staging, each daemon moving, healthy). */
  progress?: (line: string) => void;
  /**
   * Ctrl-C: the copies stop (the hosts' connections close); once the daemon moving now is healthy, no other moves,
   * and the ones moved so far go back to their previous release, so that the cloud is left as it was.
   */
  signal?: AbortSignal;
}

/** The daemon answers /healthz with 200 as `version`, within the deadline; else why not. */
async function awaitVersion(
  installed: InstalledCloud,
  daemon: PlannedDaemon,
  version: string,
  timeoutSeconds: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const probe = await probeDaemon(daemon.url, installed.adminTls);
    if (probe.ok && probe.version === version) return undefined;
    if (Date.now() > deadline) {
      const detail = probe.ok ? upgradeMessages.wrongVersion(daemon.name, probe.version, version) : probe.detail;
      return upgradeMessages.notHealthy(daemon.name, daemon.host.name, timeoutSeconds, detail);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * `cloudctl upgrade`: checks that every daemon is healthy, takes a backup, puts the new release on every host beside
 * the running one, then moves the daemons to it one at a time in a safe order (clc, walrus, each cc, each sc, each
 * node), each awaited until it answers healthy as the new version. When one does not, every daemon moved so far goes
 * back to its previous release (still on the host) and the upgrade fails; instances keep running throughout, since a
 * node controller's restart leaves libvirt's domains alone and it adopts them again.
 */
export async function upgradeCloud(
  installed: InstalledCloud,
  release: Release,
  options: UpgradeOptions,
): Promise<UpgradeResult> {
  const started = Date.now();
  const admin = readAdminCredentials(installed.name);
  if (!admin) {
    throw new CliError('notFound', upgradeMessages.noAdminKey(installed.name), upgradeMessages.noAdminKeyHint);
  }
  const ordered = upgradeOrder(installed.daemons);
  const before = await Promise.all(ordered.map((daemon) => probeDaemon(daemon.url, installed.adminTls)));
  const sick = ordered.filter((_daemon, index) => !before[index]!.ok);
  if (sick.length > 0) {
    throw new CliError(
      'unhealthy',
      upgradeMessages.unhealthyBefore(sick.map((daemon) => `${daemon.name} on ${daemon.host.name}`)),
      upgradeMessages.unhealthyBeforeHint,
    );
  }
  const fromVersions = new Map(ordered.map((daemon, index) => [daemon.name, before[index]!.version ?? 'unknown']));
  const oldVersions = [...new Set(fromVersions.values())].join(', ');
  await confirmOrRefuse(
    upgradeMessages.confirm(
      installed.name,
      oldVersions,
      `${release.version} (${release.bundle.hash})`,
      ordered.map((d) => d.name),
    ),
    options.yes,
  );
  const backup = await createBackup(installed.cloudFile, installed.cloudPath);
  const progress = options.progress ?? (() => undefined);
  const signal = options.signal;
  const interrupted = (movedBack: string[]) =>
    new CliError(
      'interrupted',
      upgradeMessages.interrupted(String(signal?.reason), movedBack),
      upgradeMessages.interruptedHint(backup.path),
      { movedBack, backup: backup.path },
    );

  const pki = PkiStore.open(installed.cloudFile.pkiDir);
  const hosts = new Map<string, HostInUpgrade>();
  // Ctrl-C while the release is being copied: closing the connections ends the copies at once.
  const closeConnections = () =>
    [...hosts.values()].forEach((host) => void host.operator.close().catch(() => undefined));
  signal?.addEventListener('abort', closeConnections, { once: true });
  try {
    const involved = installed.config.hosts.filter((host) => ordered.some((daemon) => daemon.host.name === host.name));
    progress(upgradeMessages.staging(release.bundle.hash, involved.length));
    await Promise.all(
      involved.map(async (host) => {
        signal?.throwIfAborted();
        const operator = await installed.open(host);
        const entry: HostInUpgrade = {
          host,
          operator,
          probe: await probeHost(operator),
          current: '',
          releases: new Map(),
        };
        hosts.set(host.name, entry);
        const current = await operator.run(`readlink ${shellQuote(installed.layout.current)}`, { sudo: true });
        entry.current = basename(current.stdout.trim());
        for (const daemon of ordered)
          if (daemon.host.name === host.name) entry.releases.set(daemon.name, entry.current);
        await stageRelease(operator, installed.layout, release.bundle);
      }),
    ).catch((error: unknown) => {
      throw signal?.aborted ? interrupted([]) : error;
    });
    signal?.removeEventListener('abort', closeConnections);
    if (signal?.aborted) throw interrupted([]);

    /** The start step of a host with its daemons on their releases right now, its supervisor on `supervisor`. */
    const startOn = (host: HostInUpgrade, supervisor: string) =>
      startStep(
        hostDeploymentOf({
          cloud: installed.config,
          host: host.host,
          layout: installed.layout,
          probe: host.probe,
          daemons: installed.daemons,
          admin,
          bundle: release.bundle,
          pki,
          adminTls: installed.adminTls,
          healthTimeoutMs: options.healthTimeoutSeconds * 1000,
          releases: host.releases,
          supervisorRelease: supervisor,
        }),
      );

    /**
     * Restarts the daemon from `to` (rewriting its host's supervisor config or unit; the supervisor stays on the
     * release it runs), and waits for it to answer as `version`.
     */
    const move = async (daemon: PlannedDaemon, to: string, version: string): Promise<string | undefined> => {
      const host = hosts.get(daemon.host.name)!;
      host.releases.set(daemon.name, to);
      try {
        await startOn(host, host.current).apply(host.operator, () => undefined);
      } catch (error) {
        return `${daemon.name} on ${daemon.host.name}: ${(error as Error).message}`;
      }
      return awaitVersion(installed, daemon, version, options.healthTimeoutSeconds);
    };

    const moveBack = (entry: DaemonUpgrade) => {
      const back = ordered.find((d) => d.name === entry.name)!;
      progress(upgradeMessages.movingBack(entry.name, entry.host, entry.fromVersion));
      return move(back, entry.fromRelease, entry.fromVersion);
    };
    const done: DaemonUpgrade[] = [];
    for (const daemon of ordered) {
      if (signal?.aborted) {
        const moved = done.filter((entry) => entry.changed);
        await moveAllBack(moved, `interrupted by ${String(signal.reason)}`, backup.path, moveBack);
        throw interrupted(moved.map((entry) => entry.name));
      }
      const host = hosts.get(daemon.host.name)!;
      const fromRelease = host.releases.get(daemon.name)!;
      const moved = Date.now();
      const changed = fromRelease !== release.bundle.hash;
      if (changed) progress(upgradeMessages.moving(daemon.name, daemon.host.name, release.version));
      const failure = changed ? await move(daemon, release.bundle.hash, release.version) : undefined;
      const upgrade: DaemonUpgrade = {
        name: daemon.name,
        host: daemon.host.name,
        fromRelease,
        fromVersion: fromVersions.get(daemon.name)!,
        toRelease: release.bundle.hash,
        toVersion: release.version,
        changed,
        seconds: (Date.now() - moved) / 1000,
      };
      if (failure) {
        const log = `${installed.layout.daemonLog(daemon.name)} on ${daemon.host.name}`;
        await rollBack([...done.filter((entry) => entry.changed), upgrade], failure, log, backup.path, moveBack);
      }
      if (changed) progress(upgradeMessages.moved(daemon.name, daemon.host.name, release.version, upgrade.seconds));
      done.push(upgrade);
    }
    // Last, each host's supervisor hands its daemons over to one of the new release.
    await Promise.all(
      [...hosts.values()].map(async (host) => {
        await activateRelease(host.operator, installed.layout, release.bundle);
        await startOn(host, release.bundle.hash).apply(host.operator, () => undefined);
      }),
    );
    // Later changes of nodes deploy this release, not whatever build the cloudctl that makes them runs from.
    writeInstallRecord({ ...installed.record, release: { ...release.bundle, version: release.version } });
    return {
      cloud: installed.name,
      release: release.bundle.hash,
      version: release.version,
      backup: backup.path,
      daemons: done,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    signal?.removeEventListener('abort', closeConnections);
    await Promise.all([...hosts.values()].map((host) => host.operator.close().catch(() => undefined)));
  }
}

/** Moves the daemons back, last moved first; a daemon that does not come back fails the upgrade saying so. */
async function moveAllBack(
  moved: DaemonUpgrade[],
  failure: string,
  backup: string,
  moveBack: (entry: DaemonUpgrade) => Promise<string | undefined>,
): Promise<void> {
  for (const entry of [...moved].reverse()) {
    const rollbackFailure = await moveBack(entry);
    if (rollbackFailure) {
      throw new CliError(
        'failure',
        upgradeMessages.rollbackFailed(failure, rollbackFailure),
        upgradeMessages.rollbackFailedHint(backup),
        { failure, rollbackFailure, backup },
      );
    }
  }
}

/** Moves the daemons back, last moved first, and fails the upgrade saying what happened. */
async function rollBack(
  moved: DaemonUpgrade[],
  failure: string,
  log: string,
  backup: string,
  moveBack: (entry: DaemonUpgrade) => Promise<string | undefined>,
): Promise<never> {
  await moveAllBack(moved, failure, backup, moveBack);
  const names = moved.map((entry) => entry.name);
  throw new CliError(
    'unhealthy',
    upgradeMessages.rolledBack(failure, names),
    upgradeMessages.rolledBackHint(log, backup),
    { failure, rolledBack: names, backup },
  );
}

/** The table `cloudctl upgrade` prints: each daemon, from which version to which, and how long it took. */
export function formatUpgrade(result: UpgradeResult): string {
  const rows = result.daemons.map((daemon) => [
    daemon.name,
    daemon.host,
    `${daemon.fromVersion} (${daemon.fromRelease})`,
    daemon.changed ? `${daemon.toVersion} (${daemon.toRelease})` : 'unchanged',
    `${daemon.seconds.toFixed(1)} s`,
  ]);
  return [
    `${result.cloud} runs ${result.version} (${result.release}) on every daemon; backup taken first: ${result.backup}`,
    '',
    renderTable(['DAEMON', 'HOST', 'FROM', 'TO', 'TOOK'], rows),
  ].join('\n');
}
