/** What `supervisor-main.js --config FILE` reads: the daemons of one cloud on this host. */
export interface SupervisorConfig {
  cloud: string;
  /** Pid files (`NAME.pid`, `supervisor.pid`) and `supervisor-state.json`. */
  runDir: string;
  daemons: SupervisedDaemon[];
}

export interface SupervisedDaemon {
  name: string;
  /** The program and its arguments; the config file path among them identifies the process in /proc. */
  argv: string[];
  log: string;
  /** Changes with the release, config or certificates: a daemon whose revision changed is restarted on SIGHUP. */
  revision: string;
}

/** What the supervisor reports in `supervisor-state.json` after every change. */
export interface SupervisorState {
  pid: number;
  updatedAt: string;
  daemons: Record<string, { pid?: number; revision: string; startedAt?: string; restarts: number; lastExit?: string }>;
}
