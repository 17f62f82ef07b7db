import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand } from '@aws-sdk/client-ec2';
import { CliError } from '../cli/cli-error.js';
import type { Column } from '../cli/list-output.js';
import { writeSecretFile } from '../util/secret-file.js';
import { awsCall, ec2Client } from './aws-clients.js';
import type { CloudFile } from './cloud-file.js';

export interface KeyPair {
  keyName: string;
  keyPairId: string;
  fingerprint: string;
  keyType: string;
}

export async function listKeyPairs(cloud: CloudFile): Promise<KeyPair[]> {
  const answer = await awsCall('DescribeKeyPairs', () => ec2Client(cloud).send(new DescribeKeyPairsCommand({})));
  return (answer.KeyPairs ?? []).map((pair) => ({
    keyName: pair.KeyName ?? '',
    keyPairId: pair.KeyPairId ?? '',
    fingerprint: pair.KeyFingerprint ?? '',
    keyType: pair.KeyType ?? '',
  }));
}

/** EC2 hands the private key out once: it goes straight to a 0600 file, never to the terminal. */
export async function createKeyPair(
  cloud: CloudFile,
  input: { keyName: string; keyType: 'rsa' | 'ed25519'; privateKeyFile?: string },
): Promise<KeyPair & { privateKeyFile: string }> {
  const privateKeyFile = resolve(input.privateKeyFile ?? `${input.keyName}.pem`);
  if (existsSync(privateKeyFile)) {
    throw new CliError(
      'conflict',
      `${privateKeyFile} already exists.`,
      'Pass --private-key-file with another path, or move the old file away.',
    );
  }
  const created = await awsCall('CreateKeyPair', () =>
    ec2Client(cloud).send(new CreateKeyPairCommand({ KeyName: input.keyName, KeyType: input.keyType })),
  );
  writeSecretFile(privateKeyFile, created.KeyMaterial ?? '');
  return {
    keyName: created.KeyName ?? input.keyName,
    keyPairId: created.KeyPairId ?? '',
    fingerprint: created.KeyFingerprint ?? '',
    keyType: input.keyType,
    privateKeyFile,
  };
}

/** EC2 answers success for a name it does not have; cloudctl says so instead. */
export async function deleteKeyPair(cloud: CloudFile, keyName: string): Promise<KeyPair> {
  const pair = (await listKeyPairs(cloud)).find((candidate) => candidate.keyName === keyName);
  if (!pair) throw new CliError('notFound', `No key pair named ${keyName}.`, 'See them with `cloudctl keypairs list`.');
  await awsCall('DeleteKeyPair', () => ec2Client(cloud).send(new DeleteKeyPairCommand({ KeyName: keyName })));
  return pair;
}

export const keyPairColumns: Column<KeyPair>[] = [
  { header: 'NAME', cell: (k) => k.keyName },
  { header: 'ID', cell: (k) => k.keyPairId },
  { header: 'TYPE', cell: (k) => k.keyType },
  { header: 'FINGERPRINT', cell: (k) => k.fingerprint },
];
