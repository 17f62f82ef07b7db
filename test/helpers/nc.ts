import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { NodeControllerClient } from '../../src/clients/nc-client.js';
import { PkiStore } from '../../src/pki/pki-store.js';
import type { PeerTls } from '../../src/runtime/peer-client.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
import { launchDaemon, stopDaemon } from '../../src/supervisor/daemon-process.js';
import { temporaryDir } from './cli.js';

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
  const dir = temporaryDir('nc');
  // qemu runs as libvirt-qemu: it must reach the instance disks under the data dir.
  chmodSync(dir, 0o755);
  const pki = await PkiStore.init(join(dir, 'pki'), `nc-test-${process.pid}-${Date.now()}`);
  await pki.ensureHost('local', ['127.0.0.1', '::1', 'localhost']);
  await pki.ensureHost('cc', []);
  const host = pki.hostCredentials('local');
  const caBundle = join(dir, 'pki', 'ca.pem');
  const tls = { ca: caBundle, cert: join(dir, 'host.pem'), key: join(dir, 'host-key.pem') };
  writeFileSync(tls.cert, host.cert);
  writeFileSync(tls.key, host.key, { mode: 0o600 });
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  const config: ServiceConfig = {
    component: 'nc',
    name: 'nc-test',
    listen: { host: '127.0.0.1', port: 0 },
    tls,
    dataDir,
    region: 'mallee-test-1',
    zone: 'mallee-test-1a',
    hypervisor: options.hypervisor ?? 'test:///default',
    shutdownGraceSeconds: 5,
    settings: options.settings ?? {},
  };
  const configPath = join(dir, 'nc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  const logPath = join(dir, 'nc.log');
  let daemon = await launchDaemon('nc', configPath, logPath);
  t.teardown(() => stopDaemon(daemon.pid, configPath));
  const peerTls = pki.hostCredentials('cc');
  return {
    get url() {
      return daemon.url;
    },
    get pid() {
      return daemon.pid;
    },
    dir,
    dataDir,
    logPath,
    caBundle,
    peerTls,
    client: () => NodeControllerClient.connect(daemon.url, peerTls, 'test-cc'),
    async stop() {
      await stopDaemon(daemon.pid, configPath);
    },
    kill() {
      process.kill(daemon.pid, 'SIGKILL');
    },
    async restart() {
      daemon = await launchDaemon('nc', configPath, logPath);
    },
  };
}
