import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** What goes on an instance's NoCloud config drive. */
export interface ConfigDriveInput {
  instanceId: string;
  hostname: string;
  publicKey?: string;
  /** Base64, as EC2 takes it. */
  userData?: string;
}

/**
 * The files of a NoCloud seed (cloud-init's `nocloud` data source): `meta-data` (YAML) and `user-data`, decoded from
 * base64. cloud-init needs `user-data` present even when empty.
 */
export function configDriveFiles(input: ConfigDriveInput): { 'meta-data': string; 'user-data': Buffer } {
  const lines = [`instance-id: ${yamlString(input.instanceId)}`, `local-hostname: ${yamlString(input.hostname)}`];
  if (input.publicKey) lines.push('public-keys:', `  - ${yamlString(input.publicKey.trim())}`);
  return {
    'meta-data': `${lines.join('\n')}\n`,
    'user-data': input.userData ? Buffer.from(input.userData, 'base64') : Buffer.alloc(0),
  };
}

/** ISO 9660 makers, in order of preference; `xorriso` takes mkisofs' arguments after `-as mkisofs`. */
const isoMakers: readonly { command: string; prefix: string[] }[] = [
  { command: 'genisoimage', prefix: [] },
  { command: 'mkisofs', prefix: [] },
  { command: 'xorriso', prefix: ['-as', 'mkisofs'] },
];

/** Writes the seed as an ISO labelled `cidata` at `isoPath`, as cloud-localds does. */
export async function writeConfigDrive(isoPath: string, input: ConfigDriveInput): Promise<void> {
  const staging = `${isoPath}.d`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const files = configDriveFiles(input);
    for (const [name, content] of Object.entries(files)) await writeFile(join(staging, name), content);
    const args = ['-output', isoPath, '-volid', 'cidata', '-joliet', '-rock', '-quiet', staging];
    for (const maker of isoMakers) {
      const made = await execa(maker.command, [...maker.prefix, ...args], { reject: false });
      if (made.exitCode === 0) return;
      if ((made as { code?: string }).code !== 'ENOENT') {
        throw new Error(`${maker.command} failed: ${(made.stderr || made.stdout).trim()}`);
      }
    }
    throw new Error('no ISO maker found: install genisoimage (or xorriso) for config drives');
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A double-quoted YAML scalar: safe for any key line or hostname. */
function yamlString(value: string): string {
  return JSON.stringify(value);
}
