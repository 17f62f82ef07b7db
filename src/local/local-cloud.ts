import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { CliError } from '../cli/cli-error.js';
import { renderAwsConfig } from '../cloud/aws-config.js';
import { adminCertificateName, adminServicePath } from '../cloud/admin-client.js';
import { readCloudFile, writeCloudFile, type CloudFile } from '../cloud/cloud-file.js';
import { generateAccessKey } from '../cloud/credentials.js';
import { PkiStore } from '../pki/pki-store.js';
import { callPeer, type PeerTls } from '../runtime/peer-client.js';
import type { ComponentName, ServiceConfig } from '../runtime/service-config.js';
import { DaemonStartError, isDaemonRunning, launchDaemon, stopDaemon } from '../supervisor/daemon-process.js';
import { writeFileAtomically, writeSecretFile } from '../util/secret-file.js';
import { ensureLibvirtd } from './libvirtd.js';

export type LocalHypervisor = 'test' | 'qemu';

export const hypervisorUris: Record<LocalHypervisor, string> = { test: 'test:///default', qemu: 'qemu:///system' };

/** One daemon of a local cloud, as recorded in DIR/run/daemons.json. */
export interface LocalDaemon {
  name: string;
  component: ComponentName;
  pid: number;
  url: string;
  config: string;
  log: string;
}

export interface DaemonStatus extends LocalDaemon {
  state: 'healthy' | 'unhealthy' | 'stopped';
  detail?: string;
  health?: Record<string, unknown>;
}

export interface LocalUpResult {
  dir: string;
  cloudFile: string;
  awsConfig: string;
  cloud: CloudFile;
  daemons: LocalDaemon[];
  libvirtd?: 'running' | 'started';
  seconds: number;
}

const localHost = 'local';
const localAddresses = ['127.0.0.1', '::1', 'localhost'];
const region = 'mallee-1';
const zone = 'mallee-1a';

/** Where everything of a local cloud lives under its folder. */
export function localLayout(dir: string) {
  const root = resolve(dir);
  return {
    root,
    cloudFile: join(root, 'cloud.json'),
    awsConfig: join(root, 'aws-config'),
    pki: join(root, 'pki'),
    daemonsFile: join(root, 'run', 'daemons.json'),
    config: (name: string) => join(root, 'etc', `${name}.json`),
    data: (name: string) => join(root, 'data', name),
    log: (name: string) => join(root, 'logs', `${name}.log`),
  };
}

/**
 * The daemons of an all-in-one cloud, started in waves: every daemon of a wave at once, each wave after the peers it
 * needs at start are listening. Only the cc needs a peer then (it asks its nodes for their resources as it mounts);
 * the clc retries its zones every scheduling round and walrus asks the clc only when a request comes.
 */
function localDaemonPlan(hypervisor: LocalHypervisor) {
  return [
    { wave: 0, name: 'nc-local', component: 'nc', zone, hypervisor: hypervisorUris[hypervisor], peers: {} },
    { wave: 0, name: `sc-${zone}`, component: 'sc', zone, peers: {} },
    { wave: 0, name: 'clc', component: 'clc', peers: { cc: `cc-${zone}`, sc: `sc-${zone}` } },
    { wave: 0, name: 'walrus', component: 'walrus', peers: { clc: 'clc' } },
    { wave: 1, name: `cc-${zone}`, component: 'cc', zone, peers: { nc: 'nc-local' } },
  ] as const;
}

/**
 * Component settings of an all-in-one cloud: the clc's first admin and the object store its images are in, the cc's
 * one node by name, and a simulated node's size.
 */
function settingsOf(
  component: ComponentName,
  credentials: { accessKeyId: string; secretAccessKey: string },
  urls: ReadonlyMap<string, string>,
  hypervisor: LocalHypervisor,
  objectStoreUrl: string,
): Record<string, unknown> | undefined {
  if (component === 'clc') {
    return {
      adminCredentials: credentials,
      objectStoreUrl,
      // Elastic IPs from a documentation range (RFC 5737): bookkeeping only on a one-box cloud.
      publicAddresses: ['198.51.100.0/28'],
    };
  }
  if (component === 'cc') return { nodes: [{ nodeName: 'nc-local', url: urls.get('nc-local') }] };
  // The simulated hypervisor runs nothing: let it take as many instances as a large node would.
  if (component === 'nc' && hypervisor === 'test') return { maxCores: 128, maxMemoryMiB: 256 * 1024, maxDiskGiB: 2048 };
  return undefined;
}

/** A loopback port nothing listens on now (the kernel's pick, released at once). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Where qemu keeps instances when the cloud's own folder is closed to it (a home directory such as /root). */
export const sharedNodeRoot = '/var/lib/mallee/nodes';

/**
 * The node controller's data folder. qemu runs guests as its own user (libvirt-qemu on Debian), which must reach the
 * instance disks and kernels there; a cloud in a private home folder keeps its node data in /var/lib/mallee instead
 * (one folder per cloud folder), as Eucalyptus kept instances in /var/lib/eucalyptus.
 */
function nodeDataDir(layout: ReturnType<typeof localLayout>, hypervisor: LocalHypervisor): string {
  const own = layout.data('nc-local');
  if (hypervisor !== 'qemu' || traversableByAll(dirname(own))) return own;
  const shared = join(sharedNodeRoot, createHash('sha256').update(layout.root).digest('hex').slice(0, 16));
  mkdirSync(shared, { recursive: true, mode: 0o755 });
  for (let folder = shared; folder !== dirname(folder); folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) chmodSync(folder, statSync(folder).mode | 0o005);
  }
  return shared;
}

/** Every folder from `path` up to `/` lets others pass through (o+x). */
function traversableByAll(path: string): boolean {
  mkdirSync(path, { recursive: true });
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) return false;
    if (folder === dirname(folder)) return true;
  }
}

function readDaemons(dir: string): LocalDaemon[] | undefined {
  const file = localLayout(dir).daemonsFile;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LocalDaemon[];
}

/**
 * Starts an all-in-one cloud under DIR: a CA and host certificate, the first admin's access key (kept across
 * restarts), and every daemon on a free loopback port; waits until all are healthy, then writes cloud.json and
 * aws-config. If any daemon fails, the ones already started are stopped again.
 */
export async function localUp(dir: string, hypervisor: LocalHypervisor): Promise<LocalUpResult> {
  const started = Date.now();
  const layout = localLayout(dir);
  const running = (readDaemons(dir) ?? []).filter((daemon) => isDaemonRunning(daemon.pid, daemon.config));
  if (running.length > 0) {
    throw new CliError(
      'conflict',
      `A local cloud is already running in ${layout.root} (${running.map((d) => d.name).join(', ')}).`,
      `See it with \`cloudctl local status --dir ${dir}\`, or stop it with \`cloudctl local down --dir ${dir}\`.`,
    );
  }
  const libvirtd = hypervisor === 'qemu' ? await ensureLibvirtd() : undefined;

  mkdirSync(layout.root, { recursive: true });
  const pki = await PkiStore.init(layout.pki, 'local');
  await pki.ensureHost(localHost, localAddresses);
  // cloudctl's identity on the admin interface.
  await pki.ensureHost(adminCertificateName, []);
  const tlsFiles = writeHostTlsFiles(pki, layout.root);
  const previous = existsSync(layout.cloudFile) ? readCloudFile(layout.cloudFile) : undefined;
  const credentials = previous?.credentials ?? generateAccessKey();

  const plan = localDaemonPlan(hypervisor);
  // Every port is chosen before anything starts, so each daemon's config can name its peers and a wave starts at once.
  const urls = new Map<string, string>();
  for (const planned of plan) {
    let url: string;
    do url = `https://127.0.0.1:${await freeLoopbackPort()}`;
    while ([...urls.values()].includes(url));
    urls.set(planned.name, url);
  }
  const daemons: LocalDaemon[] = [];
  const launchOne = async (planned: (typeof plan)[number]) => {
    const config: ServiceConfig = {
      component: planned.component,
      name: planned.name,
      listen: { host: '127.0.0.1', port: Number(new URL(urls.get(planned.name)!).port) },
      tls: tlsFiles,
      dataDir: planned.component === 'nc' ? nodeDataDir(layout, hypervisor) : layout.data(planned.name),
      region,
      zone: 'zone' in planned ? planned.zone : undefined,
      hypervisor: 'hypervisor' in planned ? planned.hypervisor : undefined,
      peers: Object.fromEntries(Object.entries(planned.peers).map(([role, name]) => [role, urls.get(name)!])),
      settings: settingsOf(planned.component, credentials, urls, hypervisor, urls.get('walrus')!),
    };
    mkdirSync(config.dataDir, { recursive: true });
    const configPath = layout.config(planned.name);
    writeSecretFile(configPath, JSON.stringify(config, null, 2) + '\n');
    const launched = await launchDaemon(planned.component, configPath, layout.log(planned.name));
    daemons.push({
      name: planned.name,
      component: planned.component,
      pid: launched.pid,
      url: launched.url,
      config: configPath,
      log: layout.log(planned.name),
    });
    writeFileAtomically(layout.daemonsFile, JSON.stringify(daemons, null, 2) + '\n');
  };
  try {
    for (const wave of [0, 1]) {
      const launches = await Promise.allSettled(plan.filter((p) => p.wave === wave).map(launchOne));
      const failed = launches.find((launch) => launch.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await waitUntilHealthy(daemons, pki.hostCredentials(localHost));
  } catch (error) {
    await Promise.all(daemons.map((daemon) => stopDaemon(daemon.pid, daemon.config)));
    rmSync(layout.daemonsFile, { force: true });
    if (error instanceof DaemonStartError) {
      throw new CliError('unhealthy', error.message, `Its log is ${error.logPath}.`);
    }
    throw error;
  }

  const clc = urls.get('clc')!;
  const cloud: CloudFile = {
    name: 'local',
    region,
    zone,
    endpoints: { ec2: clc, s3: urls.get('walrus')!, iam: clc, sts: clc, admin: `${clc}${adminServicePath}` },
    credentials,
    caBundle: join(layout.pki, 'ca.pem'),
    pkiDir: layout.pki,
  };
  writeCloudFile(layout.cloudFile, cloud);
  writeSecretFile(layout.awsConfig, renderAwsConfig(cloud));
  return {
    dir: layout.root,
    cloudFile: layout.cloudFile,
    awsConfig: layout.awsConfig,
    cloud,
    daemons,
    libvirtd,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The daemons read their TLS material from files; the host's certificate and key are the store's own, and so are the
 * CA and its revocation list.
 */
function writeHostTlsFiles(pki: PkiStore, root: string): ServiceConfig['tls'] {
  const credentials = pki.hostCredentials(localHost);
  const tls = {
    ca: join(root, 'pki', 'ca.pem'),
    cert: join(root, 'run', 'tls', 'host.pem'),
    key: join(root, 'run', 'tls', 'host-key.pem'),
    ...(credentials.crl !== undefined && { crl: pki.crlPath }),
  };
  writeFileAtomically(tls.cert, credentials.cert);
  writeSecretFile(tls.key, credentials.key);
  return tls;
}

async function probeHealth(daemon: LocalDaemon, tls: PeerTls): Promise<DaemonStatus> {
  if (!isDaemonRunning(daemon.pid, daemon.config))
    return { ...daemon, state: 'stopped', detail: 'process not running' };
  try {
    const answer = await callPeer(new URL('/healthz', daemon.url).toString(), tls, { timeoutMs: 5000 });
    const health = JSON.parse(answer.body) as Record<string, unknown>;
    return answer.status === 200
      ? { ...daemon, state: 'healthy', health }
      : { ...daemon, state: 'unhealthy', detail: String(health.error ?? `healthz answered ${answer.status}`), health };
  } catch (error) {
    return { ...daemon, state: 'unhealthy', detail: (error as Error).message };
  }
}

async function waitUntilHealthy(daemons: LocalDaemon[], tls: PeerTls, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(daemons.map((daemon) => probeHealth(daemon, tls)));
    const sick = statuses.filter((status) => status.state !== 'healthy');
    if (sick.length === 0) return;
    if (Date.now() > deadline || sick.some((status) => status.state === 'stopped')) {
      const first = sick[0]!;
      throw new CliError(
        'unhealthy',
        `${first.name} is ${first.state}: ${first.detail}`,
        `Its log is ${first.log}; after fixing the cause run \`cloudctl local up\` again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function requireDaemons(dir: string): LocalDaemon[] {
  const daemons = readDaemons(dir);
  if (!daemons) {
    throw new CliError(
      'notFound',
      `No local cloud in ${resolve(dir)}.`,
      `Start one with \`cloudctl local up --dir ${dir}\`.`,
    );
  }
  return daemons;
}

/** Each daemon of the local cloud in DIR with its process and health. */
export async function localStatus(dir: string): Promise<DaemonStatus[]> {
  const daemons = requireDaemons(dir);
  const tls = PkiStore.open(localLayout(dir).pki).hostCredentials(localHost);
  return Promise.all(daemons.map((daemon) => probeHealth(daemon, tls)));
}

/** Stops every daemon of the local cloud in DIR, last started first; data, keys and certificates stay. */
export async function localDown(dir: string): Promise<{ name: string; pid: number; result: string }[]> {
  const layout = localLayout(dir);
  const daemons = requireDaemons(dir);
  const results = [];
  for (const daemon of [...daemons].reverse()) {
    results.push({ name: daemon.name, pid: daemon.pid, result: await stopDaemon(daemon.pid, daemon.config) });
  }
  rmSync(layout.daemonsFile, { force: true });
  return results;
}
