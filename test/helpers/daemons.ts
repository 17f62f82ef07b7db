import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { PkiStore } from '../../src/pki/pki-store.js';
import type { PeerTls } from '../../src/runtime/peer-client.js';
import type { ComponentName, ServiceConfig } from '../../src/runtime/service-config.js';
import { launchDaemon, stopDaemon } from '../../src/supervisor/daemon-process.js';
import { SoapServiceClient } from '../../src/soap/soap-client.js';
import { projectRoot, temporaryDir } from './cli.js';

/** A test cloud's PKI in a temp dir: its CA, the loopback host certificate every daemon serves with, and peers. */
export interface TestPki {
  dir: string;
  caBundle: string;
  /** The files a daemon's config names. */
  tls: ServiceConfig['tls'];
  /** TLS material of a named peer certificate (created on first use): `cc`, `clc`, `admin` ... */
  peer(name: string): Promise<PeerTls>;
}

let counter = 0;

export async function createTestPki(): Promise<TestPki> {
  const dir = temporaryDir('cloud');
  // qemu runs as libvirt-qemu: it must reach instance disks under the data dirs.
  chmodSync(dir, 0o755);
  const pki = await PkiStore.init(join(dir, 'pki'), `test-${process.pid}-${++counter}`);
  await pki.ensureHost('local', ['127.0.0.1', '::1', 'localhost']);
  const host = pki.hostCredentials('local');
  const tls = {
    ca: join(dir, 'pki', 'ca.pem'),
    cert: join(dir, 'host.pem'),
    key: join(dir, 'host-key.pem'),
    crl: join(dir, 'pki', 'crl.pem'),
  };
  writeFileSync(tls.cert, host.cert);
  writeFileSync(tls.key, host.key, { mode: 0o600 });
  return {
    dir,
    caBundle: tls.ca,
    tls,
    async peer(name) {
      await pki.ensureHost(name, []);
      return pki.hostCredentials(name);
    },
  };
}

export interface TestDaemon {
  readonly url: string;
  readonly pid: number;
  name: string;
  dataDir: string;
  configPath: string;
  logPath: string;
  stop(): Promise<void>;
  /** SIGKILL, no goodbye. */
  kill(): void;
  /** Starts it again on the same config and data, on a new port (stopping it first if it still runs). */
  restart(): Promise<void>;
}

/**
 * A real daemon from dist/ (npm test builds first) on a random loopback port with the test PKI's certificate, data
 * under the PKI's folder; stopped when the test ends.
 */
export async function startDaemon(
  t: Test,
  pki: TestPki,
  config: { component: ComponentName; name: string } & Partial<Omit<ServiceConfig, 'component' | 'name'>>,
): Promise<TestDaemon> {
  const dataDir = join(pki.dir, 'data', config.name);
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const full: ServiceConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    tls: pki.tls,
    dataDir,
    region: 'mallee-test-1',
    shutdownGraceSeconds: 5,
    ...config,
  };
  const configPath = join(pki.dir, `${config.name}.json`);
  writeFileSync(configPath, JSON.stringify(full, null, 2), { mode: 0o600 });
  const logPath = join(pki.dir, `${config.name}.log`);
  let daemon = await launchDaemon(config.component, configPath, logPath);
  t.teardown(() => stopDaemon(daemon.pid, configPath));
  return {
    get url() {
      return daemon.url;
    },
    get pid() {
      return daemon.pid;
    },
    name: config.name,
    dataDir,
    configPath,
    logPath,
    stop: () => stopDaemon(daemon.pid, configPath).then(() => undefined),
    kill: () => process.kill(daemon.pid, 'SIGKILL'),
    // A daemon still running is stopped first: two on one data folder, the old one on its old port, would answer
    // clients made before the restart and outlive the test.
    async restart() {
      await stopDaemon(daemon.pid, configPath);
      daemon = await launchDaemon(config.component, configPath, logPath);
    },
  };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface TestAccount extends Credentials {
  accountId: string;
  accountName: string;
}

/** A new account through the clc's admin SOAP interface (cloudctl's way), with its root key. */
export async function createAccountAt(clcUrl: string, adminTls: PeerTls, accountName: string): Promise<TestAccount> {
  const client = await SoapServiceClient.connect(
    join(projectRoot, 'wsdl', 'admin.wsdl'),
    `${clcUrl}/services/admin`,
    adminTls,
    'test-operator',
  );
  const created = await client.call<{
    account: { accountId: string; accountName: string };
    rootAccessKey: Credentials;
  }>('CreateAccount', { accountName });
  return { ...created.account, ...created.rootAccessKey };
}

/** Environment for the `aws` CLIs with this key, trusting only the test cloud's CA, no config files, no retries. */
export function awsCliEnv(credentials: Credentials, region: string, caBundle: string): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_CA_BUNDLE: caBundle,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * The aws CLI's environment for a cloud the installer wrote to `cloudDir` (~/.mallee/CLOUD): its own aws-config
 * (credentials, region, endpoints) and the cloud CA, with nothing from the caller's environment mixed in.
 */
export function installedCloudAwsEnv(cloudDir: string, caBundle: string): NodeJS.ProcessEnv {
  return {
    AWS_CONFIG_FILE: join(cloudDir, 'aws-config'),
    AWS_CA_BUNDLE: caBundle,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
  };
}

/** `count` distinct loopback ports nothing listens on now (held together while chosen, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * The process exists and has not exited. A zombie has exited: without an init that reaps (as in these containers),
 * an orphaned daemon's entry stays in /proc for a while after it ended.
 */
export function processRunning(pid: number): boolean {
  try {
    return /^State:\s+(\w)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] !== 'Z';
  } catch {
    return false;
  }
}
