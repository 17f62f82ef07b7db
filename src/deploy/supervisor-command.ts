import { shellQuote as q, type HostLayout } from './host-layout.js';

/** The Node and the script a supervisor runs from. */
export interface SupervisorProgram {
  node: string;
  script: string;
}

/**
 * Shell that brings the cloud's supervisor on a host to `program` with its current config: a running one (its pid
 * file names a process started with this config) that runs `program` reloads (SIGHUP); one that runs another program
 * hands over (SIGUSR2: it saves its state and exits, its daemons keep running) and a new one from `program` adopts
 * the daemons; with none running, one is started.
 */
export function supervisorCommand(layout: HostLayout, program: SupervisorProgram): string {
  const runsConfig = (pid: string, text: string) =>
    `tr '\\0' ' ' < /proc/${pid}/cmdline 2>/dev/null | grep -qF ${q(text)}`;
  const start = `mkdir -p ${q(layout.logDir)} ${q(layout.runDir)} && setsid -f ${q(program.node)} ${q(program.script)} --config ${q(layout.supervisorConfig)} < /dev/null >> ${q(layout.supervisorLog)} 2>&1`;
  return [
    `pid=$(cat ${q(layout.supervisorPid)} 2>/dev/null)`,
    `if [ -n "$pid" ] && ${runsConfig('$pid', layout.supervisorConfig)}; then`,
    `  if ${runsConfig('$pid', program.script)}; then kill -HUP "$pid"; exit 0; fi`,
    // Waits on /proc/PID/cmdline, not kill -0: an exited process nobody reaps (no init here) stays a zombie.
    `  kill -USR2 "$pid"; end=$(($(date +%s) + 30))`,
    `  while ${runsConfig('$pid', layout.supervisorConfig)}; do`,
    `    [ $(date +%s) -lt $end ] || { echo "the supervisor $pid did not hand over within 30 s" >&2; exit 1; }; sleep 0.1; done`,
    `fi`,
    start,
  ].join('\n');
}
