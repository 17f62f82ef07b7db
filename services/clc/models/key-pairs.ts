import type { Kysely, Selectable } from 'kysely';
import type {
  CreateKeyPairOutput,
  ImportKeyPairOutput,
  KeyPair,
  TagSpecification,
} from '../../../src/aws/generated/ec2-types.js';
import { commonErrors } from '../../../src/aws/service-error.js';
import type { Database, KeyPairsTable } from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { newResourceId } from './ec2-ids.js';
import { generateKeyPair, KeyFormatError, keyTypes, readPublicKey, type KeyType } from './key-material.js';
import { applyTagSpecifications, registerResource, tagsOf, unregisterResource } from './resources.js';

/**
 * EC2 key pairs of an account: created here (the private key is returned once and never stored) or imported from a
 * public key. What is kept is the public key in OpenSSH form, which `publicKeyOf` hands to whoever launches an
 * instance with the key. A key pair of another account is reported missing, exactly as one that does not exist.
 */

type Db = Kysely<Database>;

/** EC2's limit on key names. */
export const keyNameMaxLength = 255;

export interface CreateKeyPairRequest {
  KeyName: string;
  KeyType?: string;
  KeyFormat?: string;
  TagSpecifications?: TagSpecification[];
}

export interface ImportKeyPairRequest {
  KeyName: string;
  PublicKeyMaterial: Uint8Array;
  TagSpecifications?: TagSpecification[];
}

export interface ListKeyPairsRequest {
  KeyNames?: readonly string[];
  KeyPairIds?: readonly string[];
  IncludePublicKey?: boolean;
}

export async function createKeyPair(
  db: Db,
  accountId: string,
  input: CreateKeyPairRequest,
): Promise<CreateKeyPairOutput> {
  validateKeyName(input.KeyName);
  const keyType = checkKeyType(input.KeyType);
  if (input.KeyFormat !== undefined && input.KeyFormat !== 'pem') {
    throw commonErrors.invalidParameterValue(
      'KeyFormat',
      input.KeyFormat,
      input.KeyFormat === 'ppk'
        ? 'This cloud creates key pairs as pem only; convert the key with puttygen to use it with PuTTY.'
        : 'Valid values: pem, ppk.',
    );
  }
  // Generated before the transaction, which may run more than once.
  const key = generateKeyPair(keyType, input.KeyName);
  const stored = await insertKeyPair(db, accountId, input.KeyName, key, input.TagSpecifications);
  return {
    KeyPairId: stored.key_pair_id,
    KeyName: stored.key_name,
    KeyFingerprint: stored.fingerprint,
    KeyMaterial: key.privateKey,
    Tags: await tagsIfAny(db, accountId, stored.key_pair_id),
  };
}

export async function importKeyPair(
  db: Db,
  accountId: string,
  input: ImportKeyPairRequest,
): Promise<ImportKeyPairOutput> {
  validateKeyName(input.KeyName);
  let key;
  try {
    key = readPublicKey(input.PublicKeyMaterial);
  } catch (error) {
    if (error instanceof KeyFormatError) throw ec2Errors.invalidKeyFormat(error.message);
    throw error;
  }
  const stored = await insertKeyPair(db, accountId, input.KeyName, key, input.TagSpecifications);
  return {
    KeyPairId: stored.key_pair_id,
    KeyName: stored.key_name,
    KeyFingerprint: stored.fingerprint,
    Tags: await tagsIfAny(db, accountId, stored.key_pair_id),
  };
}

/**
 * The account's key pairs in name order, or exactly those named (by name or id; both lists narrow together); a name
 * or id that matches none is `InvalidKeyPair.NotFound`.
 */
export async function listKeyPairs(db: Db, accountId: string, input: ListKeyPairsRequest = {}): Promise<KeyPair[]> {
  let query = db.selectFrom('key_pairs').selectAll().where('account_id', '=', accountId);
  const names = input.KeyNames ?? [];
  const ids = input.KeyPairIds ?? [];
  if (names.length > 0) query = query.where('key_name', 'in', [...names]);
  if (ids.length > 0) query = query.where('key_pair_id', 'in', [...ids]);
  const rows = await query.orderBy('key_name').execute();
  const missing =
    names.find((name) => !rows.some((row) => row.key_name === name)) ??
    ids.find((id) => !rows.some((row) => row.key_pair_id === id));
  if (missing !== undefined) throw keyPairNotFound(missing);
  const tags = await tagsOf(
    db,
    accountId,
    rows.map((row) => row.key_pair_id),
  );
  return rows.map((row) => ({
    KeyPairId: row.key_pair_id,
    KeyFingerprint: row.fingerprint,
    KeyName: row.key_name,
    KeyType: row.key_type,
    Tags: tags.get(row.key_pair_id) ?? [],
    ...(input.IncludePublicKey === true && { PublicKey: row.public_key }),
    CreateTime: new Date(row.created_at),
  }));
}

/** Deletes a key pair by name or id; one that does not exist is no error, as on AWS. */
export async function deleteKeyPair(
  db: Db,
  accountId: string,
  input: { KeyName?: string; KeyPairId?: string },
): Promise<{ KeyPairId?: string }> {
  if (input.KeyName === undefined && input.KeyPairId === undefined) throw commonErrors.missingParameter('KeyName');
  return withTransaction(db, async (trx) => {
    let query = trx.selectFrom('key_pairs').select('key_pair_id').where('account_id', '=', accountId);
    if (input.KeyPairId !== undefined) query = query.where('key_pair_id', '=', input.KeyPairId);
    if (input.KeyName !== undefined) query = query.where('key_name', '=', input.KeyName);
    const row = await query.executeTakeFirst();
    if (!row) return {};
    await trx.deleteFrom('key_pairs').where('key_pair_id', '=', row.key_pair_id).execute();
    await unregisterResource(trx, row.key_pair_id);
    return { KeyPairId: row.key_pair_id };
  });
}

/** The `authorized_keys` line of the account's key pair `keyName`, for an instance launched with it. */
export async function publicKeyOf(db: Db, accountId: string, keyName: string): Promise<string> {
  const row = await db
    .selectFrom('key_pairs')
    .select('public_key')
    .where('account_id', '=', accountId)
    .where('key_name', '=', keyName)
    .executeTakeFirst();
  if (!row) throw keyPairNotFound(keyName);
  return row.public_key;
}

function keyPairNotFound(nameOrId: string) {
  return ec2Errors.notFound('InvalidKeyPair.NotFound', 'key pair', nameOrId);
}

async function insertKeyPair(
  db: Db,
  accountId: string,
  keyName: string,
  key: { keyType: KeyType; publicKey: string; fingerprint: string },
  tagSpecifications: readonly TagSpecification[] | undefined,
): Promise<Selectable<KeyPairsTable>> {
  try {
    return await withTransaction(db, async (trx) => {
      const existing = await trx
        .selectFrom('key_pairs')
        .select('key_pair_id')
        .where('account_id', '=', accountId)
        .where('key_name', '=', keyName)
        .executeTakeFirst();
      if (existing) throw ec2Errors.keyPairDuplicate(keyName);
      const row = {
        key_pair_id: newResourceId('key-pair'),
        account_id: accountId,
        key_name: keyName,
        key_type: key.keyType,
        fingerprint: key.fingerprint,
        public_key: key.publicKey,
        created_at: new Date().toISOString(),
      };
      await registerResource(trx, accountId, 'key-pair', row.key_pair_id);
      await trx.insertInto('key_pairs').values(row).execute();
      await applyTagSpecifications(trx, accountId, 'key-pair', row.key_pair_id, tagSpecifications);
      return row;
    });
  } catch (error) {
    // A concurrent create of the same name won the unique constraint.
    if (isUniqueViolation(error)) throw ec2Errors.keyPairDuplicate(keyName);
    throw error;
  }
}

async function tagsIfAny(db: Db, accountId: string, id: string) {
  const tags = (await tagsOf(db, accountId, [id])).get(id) ?? [];
  return tags.length > 0 ? tags : undefined;
}

function validateKeyName(name: string): void {
  if (name.length === 0) throw commonErrors.missingParameter('KeyName');
  if (name.length > keyNameMaxLength) {
    throw commonErrors.invalidParameterValue(
      'KeyName',
      name,
      `Length exceeds maximum of ${keyNameMaxLength} characters.`,
    );
  }
  // Printable ASCII: EC2 refuses other character sets.
  if (!/^[\x20-\x7e]+$/.test(name)) {
    throw commonErrors.invalidParameterValue('KeyName', name, 'Character sets beyond ASCII are not supported.');
  }
}

function checkKeyType(value: string | undefined): KeyType {
  if (value === undefined) return 'rsa';
  const type = keyTypes.find((candidate) => candidate === value);
  if (!type) throw commonErrors.invalidParameterValue('KeyType', value, `Valid values: ${keyTypes.join(', ')}.`);
  return type;
}
