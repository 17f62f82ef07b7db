import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import type { HostConfig } from '../config/types.js';
import { discoverHost } from '../discovery/discover-host.js';
import { shellQuote as q } from '../deploy/host-layout.js';
import { readAdminCredentials } from '../deploy/cloud-home.js';
import { cloudStatus } from './cloud-status.js';
import { heldDaemonsPath } from './host-daemons.js';
import type { InstalledCloud } from './installed-cloud.js';
import { redactJson, redactLog, redactText } from './redact.js';

/** Lines kept from the end of each log: enough for a support case, small enough to mail. */
export const logLinesKept = 20_000;

export interface DebugBundle {
  path: string;
  bytes: number;
  files: string[];
  /** Hosts that could not be reached or read, with why: the bundle still holds everything else. */
  problems: string[];
}

/** A file as gathered, before secrets are removed: JSON is redacted by field, text by pattern and known secrets. */
interface Gathered {
  path: string;
  json?: unknown;
  text?: string;
  log?: boolean;
}

async function gatherHost(installed: InstalledCloud, host: HostConfig, problems: string[]): Promise<Gathered[]> {
  const { layout } = installed;
  const files: Gathered[] = [];
  const at = (name: string) => join(host.name, name);
  let operator;
  try {
    operator = await installed.open(host);
  } catch (error) {
    problems.push(`${host.name}: ${(error as Error).message}`);
    return [{ path: at('unreachable.txt'), text: `${(error as Error).message}\n` }];
  }
  try {
    files.push({ path: at('facts.json'), json: await discoverHost(operator, { dataDir: host.dataDir }) });
    const daemons = installed.daemons.filter((daemon) => daemon.host.name === host.name);
    const jsonFiles = [
      ...daemons.map((daemon) => layout.daemonConfig(daemon.name)),
      layout.supervisorConfig,
      heldDaemonsPath(layout),
      layout.supervisorState,
    ];
    for (const file of jsonFiles) {
      const bytes = await operator.readFile(file, { sudo: true });
      if (!bytes) continue;
      const folder = file === layout.supervisorState ? 'run' : 'config';
      try {
        files.push({ path: at(join(folder, basename(file))), json: JSON.parse(bytes.toString('utf8')) });
      } catch {
        files.push({ path: at(join(folder, basename(file))), text: bytes.toString('utf8') });
      }
    }
    const logs = [...daemons.map((daemon) => layout.daemonLog(daemon.name)), layout.supervisorLog];
    for (const log of logs) {
      const tail = await operator.run(`tail -n ${logLinesKept} -- ${q(log)}`, { sudo: true });
      files.push({
        path: at(join('logs', basename(log))),
        text: tail.exitCode === 0 ? tail.stdout : `could not read ${log}: ${tail.stderr}`,
        log: true,
      });
    }
  } catch (error) {
    problems.push(`${host.name}: ${(error as Error).message}`);
    files.push({ path: at('error.txt'), text: `${(error as Error).message}\n` });
  } finally {
    await operator.close().catch(() => undefined);
  }
  return files;
}

function listFiles(root: string, relative = ''): string[] {
  return readdirSync(join(root, relative), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(root, join(relative, entry.name)) : [join(relative, entry.name)],
  );
}

/**
 * `cloudctl debug bundle`: status, and from every host its discovery facts, configs, supervisor state and the end of
 * every log, in one .tgz. Secrets never enter it: JSON fields that name secrets are replaced, and every secret seen
 * there (and the admin's key) is also cut out of the logs and any other text, as are private keys and URL passwords.
 */
export async function createDebugBundle(installed: InstalledCloud, output?: string): Promise<DebugBundle> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const name = `${installed.name}-debug-${stamp}`;
  const path = resolve(output ?? `${name}.tgz`);
  const problems: string[] = [];
  const [status, ...perHost] = await Promise.all([
    cloudStatus(installed),
    ...installed.config.hosts.map((host) => gatherHost(installed, host, problems)),
  ]);
  const gathered: Gathered[] = [
    { path: 'status.json', json: status },
    { path: 'cloud/plan.json', json: installed.config },
    { path: 'cloud/cloud.json', json: installed.cloudFile },
    ...perHost.flat(),
  ];
  const secrets = new Set<string>();
  for (const admin of [installed.cloudFile.credentials, readAdminCredentials(installed.name)]) {
    if (admin) secrets.add(admin.secretAccessKey);
  }
  const cleanJson = gathered.map((file) => (file.json === undefined ? undefined : redactJson(file.json, secrets)));

  const staging = mkdtempSync(join(tmpdir(), 'mallee-debug-'));
  try {
    const root = join(staging, name);
    gathered.forEach((file, index) => {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      if (file.json !== undefined)
        writeFileSync(target, redactText(JSON.stringify(cleanJson[index], null, 2) + '\n', secrets));
      else writeFileSync(target, file.log ? redactLog(file.text!, secrets) : redactText(file.text!, secrets));
    });
    const files = listFiles(root).sort();
    writeFileSync(
      join(root, 'manifest.json'),
      JSON.stringify({ cloud: installed.name, createdAt: new Date().toISOString(), files, problems }, null, 2) + '\n',
    );
    mkdirSync(dirname(path), { recursive: true });
    await execa('tar', ['-czf', path, '-C', staging, name]);
    chmodSync(path, 0o600);
    return { path, bytes: statSync(path).size, files: ['manifest.json', ...files], problems };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
