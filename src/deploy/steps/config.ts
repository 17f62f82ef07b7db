import { createHash } from 'node:crypto';
import type { Operator } from '../../operators/operator.js';
import type { HostDeployment } from '../host-deployment.js';
import { shellQuote } from '../host-layout.js';
import { hashOf, type DeployStep } from '../step.js';

export interface HostFile {
  path: string;
  content: string;
  mode: number;
}

const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

/** True when every file is on the host with these bytes: one `sha256sum` for all of them. */
export async function filesInPlace(operator: Operator, files: readonly HostFile[]): Promise<boolean> {
  if (files.length === 0) return true;
  const result = await operator.run(`sha256sum ${files.map((file) => shellQuote(file.path)).join(' ')}`, {
    sudo: true,
  });
  if (result.exitCode !== 0) return false;
  const onHost = new Map(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(66), line.slice(0, 64)] as const),
  );
  return files.every((file) => onHost.get(file.path) === sha256(file.content));
}

/** Writes the files whose bytes differ; returns how many it wrote. */
export async function writeChangedFiles(operator: Operator, files: readonly HostFile[]): Promise<number> {
  let written = 0;
  for (const file of files) {
    const current = await operator.readFile(file.path, { sudo: true });
    if (current && current.toString('utf8') === file.content) continue;
    await operator.writeFile(file.path, file.content, { mode: file.mode, sudo: true });
    written++;
  }
  return written;
}

/** Each daemon's ServiceConfig (0600: the clc's holds the first admin's key) and its data, log and run folders. */
export function configStep(deployment: HostDeployment): DeployStep {
  const { layout, daemons, configs } = deployment;
  const files: HostFile[] = daemons.map((daemon) => ({
    path: layout.daemonConfig(daemon.name),
    content: configs.get(daemon.name)!,
    mode: 0o600,
  }));
  const folders = [layout.configDir, layout.logDir, layout.runDir, ...daemons.map((d) => d.component.dataDir)];
  const makeFolders = `mkdir -p ${folders.map(shellQuote).join(' ')} && chmod 700 ${shellQuote(layout.configDir)}`;
  return {
    name: 'config',
    inputs: hashOf(files, folders),
    actions: [
      { kind: 'run', command: makeFolders },
      ...files.map((file) => ({ kind: 'file' as const, ...file, content: undefined, bytes: file.content.length })),
    ],
    inPlace: (operator) => filesInPlace(operator, files),
    async apply(operator) {
      await operator.check(makeFolders, { sudo: true });
      return (await writeChangedFiles(operator, files)) > 0 ? 'changed' : 'unchanged';
    },
  };
}
