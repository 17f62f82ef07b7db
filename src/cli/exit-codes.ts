/** The one table of exit codes shared by `faststart` and `cloudctl`. Scripts may rely on these numbers. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidConfig: 3,
  notFound: 4,
  unhealthy: 5,
  conflict: 6,
  /** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
  interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export const exitCodeMeaning: Record<ExitCodeName, string> = {
  ok: 'success',
  failure: 'an unexpected failure',
  usage: 'the command line was not understood',
  invalidConfig: 'a configuration file has problems',
  notFound: 'a file, cloud or daemon named on the command line does not exist',
  unhealthy: 'a daemon failed to start or is not healthy',
  conflict: 'the thing to create already exists or is already running',
  interrupted: 'stopped by Ctrl-C (SIGINT) or SIGTERM before it finished; running it again finishes the work',
};
