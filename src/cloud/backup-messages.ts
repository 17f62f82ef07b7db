/** What `cloudctl backup create|restore|schedule` say to the operator. */
export const backupMessages = {
  confirmRestore: (file: string, about: { cloud: string; createdAt: string }, target: string, stops: string[]) =>
    `Restore ${file} (of ${about.cloud}, taken ${about.createdAt}) into ${target}? ` +
    `${stops.length > 0 ? `${stops.join(', ')} will be stopped and started again; ` : ''}` +
    'everything changed since the backup is lost.',
  engineMismatch: (fileName: string, engine: string, cloudEngine: string) =>
    `${fileName} is a ${engine} backup, but this cloud's database is ${cloudEngine}.`,
  engineMismatchHint: 'Restore a backup taken from a cloud with the same database engine.',
  noDaemonFor: (component: string, cloud: string) =>
    `The backup holds ${component} data, but the cloud ${cloud} has no ${component} in its plan.`,
  noDaemonForHint: 'Check --cloud and --config: is this the cloud the backup was taken from?',
  stopping: (daemon: string, host: string) => `stopping ${daemon} on ${host}`,
  puttingInPlace: (fileName: string, host: string) => `putting ${fileName} in place on ${host}`,
  starting: (daemon: string, host: string) => `starting ${daemon} on ${host}`,
  interruptedBeforeReplacing: (signal: string) =>
    `${signal}: stopping before any file is replaced; the daemons stopped start again on their own data. Press Ctrl-C again to quit at once (they stay stopped then).`,
  interruptedWhileReplacing: (signal: string) =>
    `${signal}: the backup's files are going in place, so the restore finishes first (half a restore would mix two points in time). Press Ctrl-C again to quit at once (the daemons stay stopped then: restore again).`,
  interrupted: (signal: string, startedAgain: boolean) =>
    startedAgain
      ? `Interrupted by ${signal} before any file was replaced: nothing was restored, and the daemons stopped run again on their own data.`
      : `Interrupted by ${signal} before anything stopped: nothing was restored.`,
  interruptedHint: (file: string) => `Run \`cloudctl backup restore ${file}\` again to restore it.`,
  pgRestoreFailed: (host: string, detail: string) => `Loading the PostgreSQL dump on ${host} failed: ${detail}`,
  pgRestoreHint:
    'pg_restore and psql (Debian package postgresql-client) must be on the clc host. Nothing was changed in the ' +
    'database (one transaction) and the clc and walrus were started again: fix the cause and restore again.',
};
