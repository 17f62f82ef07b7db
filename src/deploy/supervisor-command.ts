import type { PlannedDaemon } from './daemon-plan.js';
import { relative } from 'node:path';
import { shellQuote as q, type HostLayout } from './host-layout.js';

/**
 * The Node and the script a supervisor runs from, or `current`: those of the release the `current` symlink names when
 * the command runs (the one the last deploy or upgrade put in place), as `cloudctl services` and a boot do.
 */
export type SupervisorProgram = { node: string; script: string } | 'current';

/**
 * Shell that brings the cloud's supervisor on a host to `program` with its current config: a running one (its pid
 * file names a process started with this config) that runs `program` reloads (SIGHUP); one that runs another program
 * hands over (SIGUSR2: it saves its state and exits, its daemons keep running) and a new one from `program` adopts
 * the daemons; with none running, one is started. With `libvirtd` (the host runs an nc on qemu), libvirtd is made to
 * answer first: where systemd is not PID 1 nothing else starts it, not even at boot.
 */
export function supervisorCommand(
  layout: HostLayout,
  program: SupervisorProgram,
  options: { libvirtd?: boolean } = {},
): string {
  const start = `mkdir -p ${q(layout.logDir)} ${q(layout.runDir)} && setsid -f "$node" "$script" --config ${q(layout.supervisorConfig)} < /dev/null >> ${q(layout.supervisorLog)} 2>&1`;
  return [
    ...(options.libvirtd ? [libvirtdCommand()] : []),
    ...(program === 'current' ? currentProgram(layout) : [`node=${q(program.node)} script=${q(program.script)}`]),
    `if ${supervisorRunning(layout)}; then`,
    `  if ${commandLineHas('$pid', '"$script"')}; then kill -HUP "$pid"; exit 0; fi`,
    // Waits on /proc/PID/cmdline, not kill -0: an exited process nobody reaps (no init here) stays a zombie.
    `  kill -USR2 "$pid"; end=$(($(date +%s) + 30))`,
    `  while ${commandLineHas('$pid', q(layout.supervisorConfig))}; do`,
    `    [ $(date +%s) -lt $end ] || { echo "the supervisor $pid did not hand over within 30 s" >&2; exit 1; }; sleep 0.1; done`,
    `fi`,
    start,
  ].join('\n');
}

/** Shell: whether the cloud's supervisor runs (its pid file names a process started with its config); sets `pid`. */
export function supervisorRunning(layout: HostLayout): string {
  return `pid=$(cat ${q(layout.supervisorPid)} 2>/dev/null) && [ -n "$pid" ] && ${commandLineHas('$pid', q(layout.supervisorConfig))}`;
}

/** Shell: whether process `pid`'s command line holds `word` (a shell word, quoted already). */
function commandLineHas(pid: string, word: string): string {
  return `tr '\\0' ' ' < /proc/${pid}/cmdline 2>/dev/null | grep -qF ${word}`;
}

/** Shell setting `node` and `script` to those of the release `current` names, as the layout places them. */
function currentProgram(layout: HostLayout): string[] {
  const inRelease = (path: string) => relative(layout.release('HASH'), path);
  return [
    `target=$(readlink ${q(layout.current)}) || { echo "no release in place at ${layout.current}: run faststart install" >&2; exit 1; }`,
    `release=${q(layout.releases)}/$(basename "$target")`,
    `node="$release"/${q(inRelease(layout.releaseNode('HASH')))} script="$release"/${q(inRelease(layout.releaseSupervisorScript('HASH')))}`,
  ];
}

/**
 * Shell that stops the cloud's supervisor on a host, which stops its daemons first (SIGTERM, then up to 40 s for it
 * to exit). Does nothing when none runs.
 */
export function supervisorStopCommand(layout: HostLayout): string {
  return [
    `if ${supervisorRunning(layout)}; then`,
    // Waits on /proc/PID/cmdline, not kill -0: an exited process nobody reaps (no init here) stays a zombie.
    `  kill -TERM "$pid"; end=$(($(date +%s) + 40))`,
    `  while ${commandLineHas('$pid', q(layout.supervisorConfig))} && [ $(date +%s) -lt $end ]; do sleep 0.2; done`,
    `fi`,
  ].join('\n');
}

/** Whether any of a host's daemons runs instances on qemu, which needs libvirtd running on that host. */
export function needsLibvirtd(daemons: readonly PlannedDaemon[]): boolean {
  return daemons.some((daemon) => 'hypervisor' in daemon.component && daemon.component.hypervisor.startsWith('qemu'));
}

/**
 * Shell that makes libvirtd answer at qemu:///system where nothing else starts it (systemd is not PID 1, so after a
 * reboot nothing has): virtlogd first (domains need it), then libvirtd, waiting up to 60 s for it to answer. Safe to
 * repeat: it does nothing when libvirtd already answers.
 */
function libvirtdCommand(): string {
  return [
    // udev's rule for /dev/kvm where udev does not run (see src/local/libvirtd.ts).
    `if [ -c /dev/kvm ] && getent group kvm >/dev/null; then chgrp kvm /dev/kvm && chmod g+rw /dev/kvm; fi`,
    `if ! virsh -c qemu:///system version >/dev/null 2>&1; then`,
    `  pgrep -x virtlogd >/dev/null || virtlogd -d; pgrep -x libvirtd >/dev/null || libvirtd -d`,
    `  end=$(($(date +%s) + 60)); until virsh -c qemu:///system version >/dev/null 2>&1; do`,
    `    [ $(date +%s) -lt $end ] || { echo "libvirtd does not answer at qemu:///system" >&2; exit 1; }; sleep 0.2; done`,
    `fi`,
  ].join('\n');
}
