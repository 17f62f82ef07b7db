import { join } from 'node:path';

/**
 * Where Mallee puts things on a host of the cloud `cloud`. Everything but data is per cloud and removable by
 * `faststart uninstall`; `prefix` moves all of it under one folder (tests install into a temp folder this way).
 */
export interface HostLayout {
  /** `/opt/mallee/CLOUD`: `releases/<bundle hash>/` and the `current` symlink to one of them. */
  installRoot: string;
  releases: string;
  current: string;
  /** `/etc/mallee/CLOUD`: one ServiceConfig per daemon, the supervisor's config, `tls/`, the journal. */
  configDir: string;
  tlsDir: string;
  journal: string;
  /** `/var/log/mallee/CLOUD`: one log per daemon, and the supervisor's. */
  logDir: string;
  /** `/run/mallee/CLOUD`: pid files and the supervisor's state. */
  runDir: string;
  /** `/etc/systemd/system`: units where systemd is PID 1. */
  unitDir: string;
  /** `/etc/init.d/mallee-CLOUD`: where systemd is not PID 1, the init script that starts the supervisor at boot. */
  initScript: string;
  /**
   * Its name for `update-rc.d` (or `chkconfig`), which links it into the runlevels; undefined for an install under a
   * prefix, which the host's init never reads.
   */
  initScriptName?: string;
  daemonConfig(daemon: string): string;
  daemonLog(daemon: string): string;
  unitName(daemon: string): string;
  supervisorConfig: string;
  supervisorState: string;
  supervisorPid: string;
  supervisorLog: string;
  /** The node binary and the project inside the current release. */
  node: string;
  daemonScript(component: string): string;
  supervisorScript: string;
  /** `releases/<hash>`: daemons run from their release by name, so each can move to another one on its own. */
  release(hash: string): string;
  releaseNode(hash: string): string;
  releaseDaemonScript(hash: string, component: string): string;
  releaseSupervisorScript(hash: string): string;
}

export function hostLayout(cloud: string, prefix = '/'): HostLayout {
  const at = (...parts: string[]) => join(prefix, ...parts);
  const installRoot = at('opt', 'mallee', cloud);
  const configDir = at('etc', 'mallee', cloud);
  const logDir = at('var', 'log', 'mallee', cloud);
  const runDir = at('run', 'mallee', cloud);
  const current = join(installRoot, 'current');
  return {
    installRoot,
    releases: join(installRoot, 'releases'),
    current,
    configDir,
    tlsDir: join(configDir, 'tls'),
    journal: join(configDir, '.journal.json'),
    logDir,
    runDir,
    unitDir: at('etc', 'systemd', 'system'),
    initScript: at('etc', 'init.d', `mallee-${cloud}`),
    ...(at() === '/' && { initScriptName: `mallee-${cloud}` }),
    daemonConfig: (daemon) => join(configDir, `${daemon}.json`),
    daemonLog: (daemon) => join(logDir, `${daemon}.log`),
    unitName: (daemon) => `mallee-${cloud}-${daemon}.service`,
    supervisorConfig: join(configDir, 'supervisor.json'),
    supervisorState: join(runDir, 'supervisor-state.json'),
    supervisorPid: join(runDir, 'supervisor.pid'),
    supervisorLog: join(logDir, 'supervisor.log'),
    node: join(current, 'node', 'bin', 'node'),
    daemonScript: (component) => join(current, 'dist', 'services', component, 'main.js'),
    supervisorScript: join(current, 'dist', 'src', 'supervisor', 'supervisor-main.js'),
    release: (hash) => join(installRoot, 'releases', hash),
    releaseNode: (hash) => join(installRoot, 'releases', hash, 'node', 'bin', 'node'),
    releaseDaemonScript: (hash, component) =>
      join(installRoot, 'releases', hash, 'dist', 'services', component, 'main.js'),
    releaseSupervisorScript: (hash) =>
      join(installRoot, 'releases', hash, 'dist', 'src', 'supervisor', 'supervisor-main.js'),
  };
}

/** Quotes a word for `sh -c`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
