import type { Kysely } from 'kysely';
import type { Tag, DescribeTagsOutputTag, TagSpecification } from '../../../src/aws/generated/ec2-types.js';
import type { Database } from '../../../src/db/schema.js';
import { withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { resourceTypeOfId, resourceTypes, type ResourceType } from './ec2-ids.js';

/**
 * The registry every EC2 resource is entered in when it is created (and removed from when it is gone), and the tags
 * on them. Every function takes the caller's account: a resource of another account is "not found", never visible.
 */

type Db = Kysely<Database>;

/** EC2's own limits on tags. */
export const tagLimits = { perResource: 50, keyLength: 128, valueLength: 256 } as const;

export async function registerResource(db: Db, accountId: string, type: ResourceType, id: string): Promise<void> {
  await db
    .insertInto('ec2_resources')
    .values({ resource_id: id, account_id: accountId, resource_type: type, created_at: new Date().toISOString() })
    .execute();
}

/** Forgets a resource and its tags. */
export async function unregisterResource(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ec2_tags').where('resource_id', '=', id).execute();
  await db.deleteFrom('ec2_resources').where('resource_id', '=', id).execute();
}

/**
 * Throws the right `.NotFound` (or `.Malformed`, or `InvalidID` for an id of no known type) for the first of `ids`
 * the account does not own; returns each id's type.
 */
export async function requireOwnedResources(
  db: Db,
  accountId: string,
  ids: readonly string[],
): Promise<Map<string, ResourceType>> {
  const types = new Map<string, ResourceType>();
  for (const id of ids) {
    const type = resourceTypeOfId(id);
    if (!type) throw ec2Errors.invalidId(id);
    types.set(id, type);
  }
  const unique = [...types.keys()];
  const owned = new Set<string>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('ec2_resources')
      .select('resource_id')
      .where('account_id', '=', accountId)
      .where('resource_id', 'in', unique.slice(i, i + 500))
      .execute();
    for (const row of rows) owned.add(row.resource_id);
  }
  for (const [id, type] of types) {
    if (!owned.has(id)) throw ec2Errors.notFound(resourceTypes[type].notFound, noun(type), id);
  }
  return types;
}

/** What EC2's `.NotFound` messages call each type: "The volume 'vol-...' does not exist". */
const nouns: Readonly<Record<ResourceType, string>> = {
  instance: 'instance ID',
  reservation: 'reservation ID',
  image: 'image id',
  kernel: 'image id',
  ramdisk: 'image id',
  'security-group': 'security group',
  'security-group-rule': 'security group rule',
  'key-pair': 'key pair',
  volume: 'volume',
  snapshot: 'snapshot',
  'elastic-ip': 'allocation ID',
  'elastic-ip-association': 'association ID',
};

function noun(type: ResourceType): string {
  return nouns[type];
}

/** The tags of each resource named, in key order; resources without tags map to an empty list. */
export async function tagsOf(db: Db, accountId: string, ids: readonly string[]): Promise<Map<string, Tag[]>> {
  const result = new Map<string, Tag[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const query = db
    .selectFrom('ec2_tags')
    .select(['resource_id', 'tag_key', 'tag_value'])
    .where('account_id', '=', accountId);
  // A large account's whole tag table is cheaper to read once than thousands of ids to bind.
  const rows =
    ids.length > 1000
      ? await query.orderBy('tag_key').execute()
      : await query
          .where('resource_id', 'in', [...ids])
          .orderBy('tag_key')
          .execute();
  for (const row of rows) result.get(row.resource_id)?.push({ Key: row.tag_key, Value: row.tag_value });
  return result;
}

function checkTag(tag: Tag): { Key: string; Value: string } {
  const key = tag.Key ?? '';
  const value = tag.Value ?? '';
  if (key.length === 0 || key.length > tagLimits.keyLength) {
    throw ec2Errors.invalidParameterValue(`Tag key must be between 1 and ${tagLimits.keyLength} characters: '${key}'`);
  }
  if (key.toLowerCase().startsWith('aws:')) throw ec2Errors.invalidTagKey(key);
  if (value.length > tagLimits.valueLength) {
    throw ec2Errors.invalidParameterValue(`Tag value must be at most ${tagLimits.valueLength} characters`);
  }
  return { Key: key, Value: value };
}

/** Adds or overwrites tags on resources the account owns, all or none. */
export async function createTags(
  db: Db,
  accountId: string,
  ids: readonly string[],
  tags: readonly Tag[],
): Promise<void> {
  const checked = tags.map(checkTag);
  await withTransaction(db, async (trx) => {
    await requireOwnedResources(trx, accountId, ids);
    for (const id of new Set(ids)) {
      for (const tag of checked) {
        await trx
          .insertInto('ec2_tags')
          .values({ resource_id: id, account_id: accountId, tag_key: tag.Key, tag_value: tag.Value })
          .onConflict((oc) => oc.columns(['resource_id', 'tag_key']).doUpdateSet({ tag_value: tag.Value }))
          .execute();
      }
      const count = await trx
        .selectFrom('ec2_tags')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('resource_id', '=', id)
        .executeTakeFirstOrThrow();
      if (Number(count.n) > tagLimits.perResource) throw ec2Errors.tagLimitExceeded();
    }
  });
}

/**
 * EC2's `DeleteTags`: a tag with a value deletes the key only when the value matches; a tag without one deletes the
 * key whatever its value (an empty `Value` matches only the empty value); no tags at all deletes every tag.
 */
export async function deleteTags(
  db: Db,
  accountId: string,
  ids: readonly string[],
  tags: readonly Tag[] | undefined,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    await requireOwnedResources(trx, accountId, ids);
    for (const id of new Set(ids)) {
      if (!tags || tags.length === 0) {
        await trx.deleteFrom('ec2_tags').where('resource_id', '=', id).execute();
        continue;
      }
      for (const tag of tags) {
        let query = trx
          .deleteFrom('ec2_tags')
          .where('resource_id', '=', id)
          .where('tag_key', '=', tag.Key ?? '');
        if (tag.Value !== undefined) query = query.where('tag_value', '=', tag.Value);
        await query.execute();
      }
    }
  });
}

/** Tags from a create action's `TagSpecification.N` for the resource type it creates; other types are refused. */
export async function applyTagSpecifications(
  db: Db,
  accountId: string,
  type: ResourceType,
  id: string,
  specifications: readonly TagSpecification[] | undefined,
): Promise<void> {
  const tags: Tag[] = [];
  for (const specification of specifications ?? []) {
    if (specification.ResourceType !== type) {
      throw ec2Errors.invalidParameterValue(
        `'${specification.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
    tags.push(...(specification.Tags ?? []));
  }
  if (tags.length > 0) await createTags(db, accountId, [id], tags);
}

/** Every tag of the account as `DescribeTags` lists them, in resource then key order. */
export async function listTagDescriptions(db: Db, accountId: string): Promise<DescribeTagsOutputTag[]> {
  const rows = await db
    .selectFrom('ec2_tags as t')
    .innerJoin('ec2_resources as r', 'r.resource_id', 't.resource_id')
    .select(['t.resource_id', 'r.resource_type', 't.tag_key', 't.tag_value'])
    .where('t.account_id', '=', accountId)
    .orderBy('t.resource_id')
    .orderBy('t.tag_key')
    .execute();
  return rows.map((row) => ({
    ResourceId: row.resource_id,
    ResourceType: row.resource_type,
    Key: row.tag_key,
    Value: row.tag_value,
  }));
}

/**
 * The rows a Describe named by id, when it named any: every id must be among them (the account's own), else the
 * type's `.NotFound` listing the missing ones, as EC2 answers `DescribeVolumes --volume-ids vol-a vol-b`.
 */
export function onlyNamed<Row>(
  rows: Row[],
  ids: readonly string[],
  idOf: (row: Row) => string,
  type: ResourceType,
): Row[] {
  if (ids.length === 0) return rows;
  const wanted = new Set(ids);
  const named = rows.filter((row) => wanted.has(idOf(row)));
  const found = new Set(named.map(idOf));
  const missing = [...wanted].filter((id) => !found.has(id));
  if (missing.length > 0) throw ec2Errors.notFound(resourceTypes[type].notFound, noun(type), missing.join(', '));
  return named;
}
