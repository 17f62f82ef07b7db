import type { Test } from 'tap';
import { NodeControllerClient } from '../../src/clients/nc-client.js';
import type { PeerTls } from '../../src/runtime/peer-client.js';
import { createTestPki, startDaemon } from './daemons.js';

export interface TestNc {
  readonly url: string;
  readonly pid: number;
  dir: string;
  dataDir: string;
  logPath: string;
  /** The cloud CA's PEM file. */
  caBundle: string;
  /** A cloud peer's TLS material (the `cc` certificate). */
  peerTls: PeerTls;
  client(): Promise<NodeControllerClient>;
  stop(): Promise<void>;
  /** SIGKILL, no goodbye: for durability tests. */
  kill(): void;
  /** Starts the daemon again on the same data dir and libvirt, on a new port. */
  restart(): Promise<void>;
}

export interface StartNcOptions {
  /** The libvirt URI (default `test:///default`). */
  hypervisor?: string;
  settings?: Record<string, unknown>;
}

/**
 * A real nc daemon, started from dist/ (npm test builds first) with its own cloud CA and a `cc` peer certificate,
 * data under a temp dir, a random loopback port. Stopped when the test ends.
 */
export async function startNc(t: Test, options: StartNcOptions = {}): Promise<TestNc> {
  const pki = await createTestPki();
  const daemon = await startDaemon(t, pki, {
    component: 'nc',
    name: 'nc-test',
    zone: 'mallee-test-1a',
    hypervisor: options.hypervisor ?? 'test:///default',
    settings: options.settings ?? {},
  });
  const peerTls = await pki.peer('cc');
  return {
    get url() {
      return daemon.url;
    },
    get pid() {
      return daemon.pid;
    },
    dir: pki.dir,
    dataDir: daemon.dataDir,
    logPath: daemon.logPath,
    caBundle: pki.caBundle,
    peerTls,
    client: () => NodeControllerClient.connect(daemon.url, peerTls, 'test-cc'),
    stop: () => daemon.stop(),
    kill: () => daemon.kill(),
    restart: () => daemon.restart(),
  };
}
