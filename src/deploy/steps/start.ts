import type { Operator } from '../../operators/operator.js';
import type { PlannedDaemon } from '../daemon-plan.js';
import type { SupervisorConfig, SupervisorState } from '../../supervisor/supervisor-config.js';
import { releaseOf, type HostDeployment } from '../host-deployment.js';
import { shellQuote as q } from '../host-layout.js';
import { hashOf, type DeployStep } from '../step.js';
import { needsLibvirtd, supervisorCommand } from '../supervisor-command.js';
import { renderTemplate } from '../templates.js';
import { filesInPlace, type HostFile } from './config.js';
import { initScript, initScriptRegistered, registerInitScript } from '../init-script.js';

/** A daemon restarts when its release, config or certificates change, and only then. */
function revisions(deployment: HostDeployment): Map<string, string> {
  const tls = hashOf(deployment.tls ?? {});
  return new Map(
    deployment.daemons.map((d) => [d.name, hashOf(releaseOf(deployment, d), deployment.configs.get(d.name), tls)]),
  );
}

/** The program a daemon runs: the Node and the service script of its own release (not `current`). */
function daemonProgram(deployment: HostDeployment, daemon: PlannedDaemon) {
  const release = releaseOf(deployment, daemon);
  return {
    node: deployment.layout.releaseNode(release),
    script: deployment.layout.releaseDaemonScript(release, daemon.component.component),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the host's daemons: systemd units where systemd is PID 1, else Mallee's supervisor. */
export function startStep(deployment: HostDeployment): DeployStep {
  return deployment.probe.systemd ? systemdStart(deployment) : supervisorStart(deployment);
}

function supervisorStart(deployment: HostDeployment): DeployStep {
  const { layout, cloud } = deployment;
  const revisionOf = revisions(deployment);
  const config: SupervisorConfig = {
    cloud: cloud.name,
    runDir: layout.runDir,
    daemons: deployment.daemons.map((daemon) => ({
      name: daemon.name,
      argv: [
        daemonProgram(deployment, daemon).node,
        daemonProgram(deployment, daemon).script,
        '--config',
        layout.daemonConfig(daemon.name),
      ],
      log: layout.daemonLog(daemon.name),
      revision: revisionOf.get(daemon.name)!,
    })),
  };
  // Real VMs need libvirtd, which nothing else starts where systemd is not PID 1.
  const libvirtd = needsLibvirtd(deployment.daemons);
  const files: HostFile[] = [
    { path: layout.supervisorConfig, content: JSON.stringify(config, null, 2) + '\n', mode: 0o644 },
    // What brings the supervisor back at boot where init runs scripts (sysvinit); no daemon's revision depends on it.
    { path: layout.initScript, content: initScript(layout, cloud.name, { libvirtd }), mode: 0o755 },
  ];
  const register = registerInitScript(layout);
  const supervisorRelease = deployment.supervisorRelease ?? deployment.bundle.hash;
  const program = {
    node: layout.releaseNode(supervisorRelease),
    script: layout.releaseSupervisorScript(supervisorRelease),
  };
  const command = supervisorCommand(layout, program, { libvirtd });

  /** Every daemon runs at its new revision, as the supervisor's state file says and /proc confirms. */
  const converged = async (operator: Operator): Promise<boolean> => {
    const bytes = await operator.readFile(layout.supervisorState, { sudo: true });
    if (!bytes) return false;
    let state: SupervisorState;
    try {
      state = JSON.parse(bytes.toString('utf8')) as SupervisorState;
    } catch {
      return false;
    }
    const pids: number[] = [state.pid];
    for (const daemon of config.daemons) {
      const entry = state.daemons[daemon.name];
      if (!entry?.pid || entry.revision !== daemon.revision) return false;
      pids.push(entry.pid);
    }
    // A live process has a command line; a zombie (exited, not reaped where no init reaps) has none. The supervisor
    // runs from its release.
    const allAlive = [
      `for p in ${pids.join(' ')}; do [ -n "$(tr -d '\\0' < /proc/$p/cmdline 2>/dev/null)" ] || exit 1; done`,
      `tr '\\0' ' ' < /proc/${state.pid}/cmdline | grep -qF ${q(program.script)}`,
    ].join('\n');
    return (await operator.run(allAlive)).exitCode === 0;
  };
  return {
    name: 'start',
    inputs: hashOf(config, files),
    actions: [
      ...files.map((file) => ({ kind: 'file' as const, path: file.path, mode: file.mode })),
      ...(register ? [{ kind: 'run' as const, command: register }] : []),
      { kind: 'run', command },
    ],
    async inPlace(operator) {
      return (
        (await filesInPlace(operator, files)) &&
        (await operator.run(initScriptRegistered(layout), { sudo: true })).exitCode === 0 &&
        converged(operator)
      );
    },
    async apply(operator, progress) {
      for (const file of files) await operator.writeFile(file.path, file.content, { mode: file.mode, sudo: true });
      if (register) await operator.check(register, { sudo: true });
      await operator.check(command, { sudo: true });
      progress('waiting for the supervisor to run every daemon');
      const deadline = Date.now() + deployment.healthTimeoutMs;
      while (!(await converged(operator))) {
        if (Date.now() > deadline) {
          throw new Error(
            `the supervisor did not start every daemon within ${deployment.healthTimeoutMs / 1000} s; see ${layout.supervisorLog}`,
          );
        }
        await pause(200);
      }
    },
  };
}

function systemdStart(deployment: HostDeployment): DeployStep {
  const { layout, cloud } = deployment;
  const revisionOf = revisions(deployment);
  const units = deployment.daemons.map((daemon) => ({
    unit: layout.unitName(daemon.name),
    file: {
      path: `${layout.unitDir}/${layout.unitName(daemon.name)}`,
      mode: 0o644,
      content: renderTemplate('systemd/mallee-daemon.service', {
        cloud: cloud.name,
        component: daemon.component.component,
        name: daemon.name,
        ...daemonProgram(deployment, daemon),
        config: layout.daemonConfig(daemon.name),
        log: layout.daemonLog(daemon.name),
        revision: revisionOf.get(daemon.name)!,
      }),
    } satisfies HostFile,
  }));
  const names = units.map((entry) => entry.unit).join(' ');
  return {
    name: 'start',
    inputs: hashOf(units),
    actions: [
      ...units.map(({ file }) => ({ kind: 'file' as const, path: file.path, mode: file.mode })),
      { kind: 'run', command: `systemctl daemon-reload && systemctl enable --quiet ${names}` },
      { kind: 'run', command: `systemctl restart <each unit whose file changed>; systemctl start ${names}` },
    ],
    async inPlace(operator) {
      const files = units.map((entry) => entry.file);
      return (
        (await filesInPlace(operator, files)) &&
        (await operator.run(`systemctl is-active --quiet ${names}`)).exitCode === 0
      );
    },
    async apply(operator) {
      const changed: string[] = [];
      for (const { unit, file } of units) {
        const current = await operator.readFile(file.path, { sudo: true });
        if (current?.toString('utf8') === file.content) continue;
        await operator.writeFile(file.path, file.content, { mode: file.mode, sudo: true });
        changed.push(unit);
      }
      await operator.check(
        `mkdir -p ${q(layout.logDir)} && systemctl daemon-reload && systemctl enable --quiet ${names}${needsLibvirtd(deployment.daemons) ? ' && systemctl enable --now --quiet libvirtd' : ''}`,
        {
          sudo: true,
        },
      );
      if (changed.length > 0) await operator.check(`systemctl restart ${changed.join(' ')}`, { sudo: true });
      await operator.check(`systemctl start ${names}`, { sudo: true });
    },
  };
}
