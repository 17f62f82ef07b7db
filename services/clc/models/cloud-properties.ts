import type { Kysely } from 'kysely';
import { ServiceError } from '../../../src/aws/service-error.js';
import { didYouMean } from '../../../src/config/did-you-mean.js';
import type { Database } from '../../../src/db/schema.js';

/**
 * Cloud-wide settings held by the clc, as Eucalyptus's `euctl` shows them: a registry of every property the code
 * honours (its type, default, description and validation) and the values operators set, stored only when set. Code
 * that honours a property reads it at the moment it acts, so a change takes effect without a restart.
 */

type Db = Kysely<Database>;

export type PropertyType = 'integer' | 'interval' | 'path';

interface PropertyDefinition {
  type: PropertyType;
  default: string;
  description: string;
  /**
   * Integers: the allowed range; intervals: the shortest allowed, in seconds (`off` is always allowed); paths: unused
   * (an absolute path, or empty for the default the description names).
   */
  min: number;
  max: number;
}

/** Every property the cloud knows, by name. Adding one here is all it takes to make it settable. */
export const cloudPropertyRegistry = {
  'cloud.instances.terminated_visible_seconds': {
    type: 'integer',
    default: '3600',
    description: 'How long a terminated instance stays in DescribeInstances before the clc forgets it.',
    min: 0,
    max: 7 * 24 * 3600,
  },
  'iam.users.max_per_account': {
    type: 'integer',
    default: '5000',
    description: "Most IAM users an account may have (IAM's UsersPerAccount quota).",
    min: 1,
    max: 100_000,
  },
  'backup.schedule.interval': {
    type: 'interval',
    default: 'off',
    description: "How often the clc backs up its database and Walrus's metadata by itself (off, or 30m, 6h, 1d ...).",
    min: 5,
    max: 0,
  },
  'backup.schedule.keep': {
    type: 'integer',
    default: '7',
    description: 'How many scheduled backups are kept; older ones are removed after each new one.',
    min: 1,
    max: 1000,
  },
  'backup.schedule.dir': {
    type: 'path',
    default: '',
    description: "Folder on the clc's host for scheduled backups (empty: backups/ in the clc's data directory).",
    min: 0,
    max: 0,
  },
} as const satisfies Record<string, PropertyDefinition>;

export type CloudPropertyName = keyof typeof cloudPropertyRegistry;

/** A property as `cloudctl properties` shows it. */
export interface CloudProperty {
  name: string;
  value: string;
  type: PropertyType;
  defaultValue: string;
  isDefault: boolean;
  description: string;
  updatedAt?: Date;
  updatedBy?: string;
}

export const cloudPropertyErrors = {
  noSuchProperty: (name: string, suggestion?: string) =>
    new ServiceError(
      'NoSuchProperty',
      `There is no cloud property ${name}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`,
      404,
    ),
  invalidValue: (name: string, value: string, why: string) =>
    new ServiceError('InvalidPropertyValue', `Value "${value}" for ${name} is invalid: ${why}`),
};

const names = Object.keys(cloudPropertyRegistry) as CloudPropertyName[];

function definitionOf(name: string): PropertyDefinition & { name: CloudPropertyName } {
  if (!Object.hasOwn(cloudPropertyRegistry, name)) {
    throw cloudPropertyErrors.noSuchProperty(name, didYouMean(name, names));
  }
  return {
    name: name as CloudPropertyName,
    ...(cloudPropertyRegistry[name as CloudPropertyName] as PropertyDefinition),
  };
}

/** The value in its one written form (`0100` is `100`), or an `InvalidPropertyValue` saying what is allowed. */
export function normalisePropertyValue(name: string, value: string): string {
  const definition = definitionOf(name);
  const trimmed = value.trim();
  if (definition.type === 'integer') {
    if (!/^-?\d+$/.test(trimmed)) throw cloudPropertyErrors.invalidValue(name, value, 'expected a whole number');
    const number = Number(trimmed);
    if (number < definition.min || number > definition.max) {
      throw cloudPropertyErrors.invalidValue(name, value, `expected ${definition.min} to ${definition.max}`);
    }
    return String(number);
  }
  if (definition.type === 'path') {
    if (trimmed !== '' && (!trimmed.startsWith('/') || /[\0\n]/.test(trimmed))) {
      throw cloudPropertyErrors.invalidValue(name, value, 'expected an absolute path, or empty for the default');
    }
    return trimmed;
  }
  if (trimmed === 'off') return trimmed;
  const seconds = intervalSeconds(trimmed);
  if (seconds === undefined) {
    throw cloudPropertyErrors.invalidValue(name, value, 'expected "off" or an interval such as 30m, 6h or 1d');
  }
  if (seconds < definition.min) {
    throw cloudPropertyErrors.invalidValue(name, value, `the shortest interval allowed is ${definition.min}s`);
  }
  return trimmed;
}

const intervalUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `30m`, `6h`, `1d` in seconds; undefined when it is not an interval. */
export function intervalSeconds(value: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * intervalUnits[match[2]!]!;
}

export async function listCloudProperties(db: Db): Promise<CloudProperty[]> {
  const rows = await db.selectFrom('cloud_properties').selectAll().execute();
  const set = new Map(rows.map((row) => [row.name, row]));
  return [...names].sort().map((name) => describe(name, set.get(name)));
}

export async function getCloudProperty(db: Db, name: string): Promise<CloudProperty> {
  const definition = definitionOf(name);
  const row = await db.selectFrom('cloud_properties').selectAll().where('name', '=', name).executeTakeFirst();
  return describe(definition.name, row);
}

/** Validates, normalises and stores a value; setting the default value removes the row (the default then follows the code). */
export async function setCloudProperty(
  db: Db,
  input: { name: string; value: string; operator: string },
): Promise<{ property: CloudProperty; previousValue: string }> {
  const previous = await getCloudProperty(db, input.name);
  const value = normalisePropertyValue(input.name, input.value);
  if (value === previous.defaultValue) {
    await db.deleteFrom('cloud_properties').where('name', '=', input.name).execute();
  } else {
    const row = { name: input.name, value, updated_at: new Date().toISOString(), updated_by: input.operator };
    await db
      .insertInto('cloud_properties')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ value, updated_at: row.updated_at, updated_by: row.updated_by }),
      )
      .execute();
  }
  return { property: await getCloudProperty(db, input.name), previousValue: previous.value };
}

/** The value code acts on: the set one, else the default. One primary-key read, made when the code acts. */
export async function cloudPropertyValue(db: Db, name: CloudPropertyName): Promise<string> {
  const row = await db.selectFrom('cloud_properties').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value ?? cloudPropertyRegistry[name].default;
}

export async function integerCloudProperty(db: Db, name: CloudPropertyName): Promise<number> {
  return Number(await cloudPropertyValue(db, name));
}

function describe(
  name: CloudPropertyName,
  row?: { value: string; updated_at: string; updated_by: string },
): CloudProperty {
  const definition = cloudPropertyRegistry[name] as PropertyDefinition;
  return {
    name,
    value: row?.value ?? definition.default,
    type: definition.type,
    defaultValue: definition.default,
    isDefault: row === undefined,
    description: definition.description,
    ...(row && { updatedAt: new Date(row.updated_at), updatedBy: row.updated_by }),
  };
}
