/** What `cloudctl upgrade` tells the operator: every sentence in one place. */
export const upgradeMessages = {
  notABundle: (path: string) => `${path} is neither a built Mallee project (package.json and dist/) nor a bundle.`,
  notABundleHint:
    'Pass the folder of a Mallee checkout after `npm run build`, or a bundle tarball (mallee-HASH.tar.zst, or .tar.gz from an earlier release).',
  noVersion: (path: string) => `${path} has no package.json with a version.`,
  noAdminKey: (cloud: string) => `The admin key of ${cloud} (admin-key.json) is not in its cloud folder.`,
  noAdminKeyHint: 'Run cloudctl upgrade on the machine faststart install ran on, with the same MALLEE_HOME.',
  unhealthyBefore: (daemons: string[]) => `Not upgrading: ${daemons.join(', ')} not healthy now.`,
  unhealthyBeforeHint: 'Bring the cloud to health first (cloudctl status says what is wrong), then upgrade.',
  confirm: (cloud: string, from: string, to: string, daemons: string[]) =>
    `Upgrade ${cloud} from ${from} to ${to}? A backup is taken first, then ${daemons.join(', ')} restart one at a ` +
    'time, each checked before the next.',
  notHealthy: (daemon: string, host: string, seconds: number, detail: string) =>
    `${daemon} on ${host} was not healthy on the new release within ${seconds} s: ${detail}`,
  wrongVersion: (daemon: string, runs: string | undefined, wanted: string) =>
    `${daemon} answers as version ${runs ?? '(none)'}, not ${wanted}`,
  rolledBack: (failure: string, daemons: string[]) =>
    `The upgrade was rolled back: ${failure}. ${daemons.join(', ')} run their previous release again, healthy.`,
  rolledBackHint: (log: string, backup: string) =>
    `See ${log} for why the new release did not come up. Nothing else changed; the backup taken first is ${backup}.`,
  rollbackFailed: (failure: string, rollback: string) =>
    `The upgrade failed (${failure}) and so did its rollback: ${rollback}`,
  rollbackFailedHint: (backup: string) =>
    `Check with cloudctl status; cloudctl services restart starts a daemon again, and ${backup} is the backup taken first.`,
  staging: (release: string, hosts: number) => `copying release ${release} to ${hosts} host(s), beside the running one`,
  moving: (daemon: string, host: string, version: string) => `${daemon} on ${host}: moving to ${version}`,
  moved: (daemon: string, host: string, version: string, seconds: number) =>
    `${daemon} on ${host}: healthy as ${version} (${seconds.toFixed(1)} s)`,
  movingBack: (daemon: string, host: string, version: string) => `${daemon} on ${host}: moving back to ${version}`,
  stopping: (signal: string) =>
    `${signal}: stopping once the daemon moving now is healthy; the daemons moved so far then go back to their previous release. Press Ctrl-C again to quit at once.`,
  interrupted: (signal: string, movedBack: string[]) =>
    movedBack.length === 0
      ? `Interrupted by ${signal} before any daemon moved: every daemon runs the release it ran before.`
      : `Interrupted by ${signal}: ${movedBack.join(', ')} went back to their previous release; every daemon runs the release it ran before, healthy.`,
  interruptedHint: (backup: string) =>
    `Run the same command again to upgrade. The new release may sit unused beside the running one on some hosts; the backup taken first is ${backup}.`,
};
