import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, runCli } from './cli.js';
import { freePorts, processRunning } from './daemons.js';

/**
 * The environment faststart and cloudctl run with in the e2e tests: credentials under a private MALLEE_HOME, and
 * the packed bundles every run on this machine shares (packing is the slow part, and bundles are named by content).
 */
export function installerEnv(home: string) {
  return {
    MALLEE_HOME: home,
    MALLEE_CACHE: join(tmpdir(), 'mallee-bundle-cache'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The ports of an all-in-one test cloud; an sc only when asked for. */
export interface AllInOnePorts {
  clc: number;
  walrus: number;
  cc: number;
  nc: number;
  sc?: number;
}

export async function allInOnePorts(options: { sc?: boolean } = {}): Promise<AllInOnePorts> {
  const [clc, walrus, cc, nc, sc] = (await freePorts(options.sc ? 5 : 4)) as number[];
  return { clc: clc!, walrus: walrus!, cc: cc!, nc: nc!, ...(options.sc && { sc: sc! }) };
}

/**
 * cloud.yaml of an all-in-one test cloud: every daemon on 127.0.0.1 on free ports, one zone, and libvirt's test
 * driver for the nc (no guests to boot) unless `hypervisor` names another. `databaseYaml` and `objectStoreYaml` are
 * spliced in before `hosts:` (a PostgreSQL `database:`, an S3 engine's `objectStore:`).
 */
export function allInOneCloudYaml(options: {
  name: string;
  dataDir: string;
  ports: AllInOnePorts;
  databaseYaml?: string;
  objectStoreYaml?: string;
  hypervisor?: string;
}): string {
  const { name, dataDir, ports } = options;
  return `name: ${name}
dataDir: ${dataDir}
${options.databaseYaml ?? ''}${options.objectStoreYaml ?? ''}hosts:
  - name: local
    address: 127.0.0.1
zones:
  - name: zone-a
components:
  - { component: clc, host: local, port: ${ports.clc} }
  - { component: walrus, host: local, port: ${ports.walrus} }
  - { component: cc, host: local, zone: zone-a, port: ${ports.cc} }
${ports.sc === undefined ? '' : `  - { component: sc, host: local, zone: zone-a, port: ${ports.sc} }\n`}  - { component: nc, host: local, zone: zone-a, port: ${ports.nc}, hypervisor: '${options.hypervisor ?? 'test:///default'}' }
`;
}

/**
 * Ends a test cloud: `faststart uninstall --purge`, then whatever supervisor uninstall left running (its pid file
 * under `runDir`) is stopped too, so no test leaves daemons behind.
 */
export async function uninstallTestCloud(name: string, runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge'], { env });
  const pidFile = join(runDir, 'supervisor.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (pid > 0 && processRunning(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (processRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * A rebuilt Mallee under `dir`: this project's build copied with another version in package.json, its packages
 * linked. `breaks` names a component whose daemon exits at once in it: what `cloudctl upgrade --bundle` takes.
 */
export function rebuiltProject(dir: string, version: string, breaks?: string): string {
  const root = join(dir, `release-${version}`);
  mkdirSync(root, { recursive: true });
  for (const entry of ['dist', 'bin', 'templates', 'wsdl', 'package-lock.json']) {
    cpSync(join(projectRoot, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(root, 'package.json'), JSON.stringify({ ...packageJson, version }, null, 2));
  if (breaks) {
    // Hosts run the bundled program in dist/host/ (a release has it where dist/ is); the compiled one is broken too.
    for (const programs of [join(root, 'dist', 'host'), join(root, 'dist')]) {
      writeFileSync(
        join(programs, 'services', breaks, 'main.js'),
        `process.stderr.write('this release of ${breaks} cannot start\\n');\nprocess.exit(70);\n`,
      );
    }
  }
  return root;
}
