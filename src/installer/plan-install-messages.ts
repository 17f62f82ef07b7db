import type { PlacementProblem } from '../placement/placement-types.js';

/** Wording of `faststart install` when it plans the cloud itself (no --config, no --all-in-one). */
export const planInstallMessages = {
  needsHosts: 'Nothing to install: give --hosts LIST, --config cloud.yaml or --all-in-one.',
  needsHostsHint:
    'Without a terminal the installer cannot ask for servers: run `faststart install --hosts 10.0.0.5-7 --ssh-key KEY --yes`, or run it at a terminal to be asked.',
  discovering: (count: number) => `Discovering ${count} host${count === 1 ? '' : 's'} in parallel...`,
  discovered: (done: number, total: number, name: string, reachable: boolean) =>
    `  [${done}/${total}] ${name} ${reachable ? 'inspected' : 'unreachable'}`,
  aborted: 'Aborted: nothing was written and nothing was installed.',
  refused: (problems: PlacementProblem[]) =>
    [
      `The plan has ${problems.length} error${problems.length === 1 ? '' : 's'}; nothing was installed:`,
      ...problems.map((problem) => `  ${problem.host ?? 'cloud'}: ${problem.message}\n    fix: ${problem.fix}`),
    ].join('\n'),
  refusedHint: 'Fix each problem above (or leave the host out of --hosts) and run faststart install again.',
  planWritten: (path: string) => `Plan written to ${path}. Replay it with: faststart install --config ${path} --yes`,
  dryRunPlanWritten: (path: string) =>
    `Dry run: the plan was written to ${path} on this machine; nothing was written on the hosts.`,
};
