import type { ComponentName, Problem } from './types.js';

/**
 * Every word cloud.yaml validation says to a person: the problem table (code -> message and hint),
 * the labels naming where a problem is, and the summary lines. Logic lives in validate-cloud-yaml.ts.
 */

export type ValueKind = 'string' | 'integer' | 'boolean' | 'list' | 'mapping';

interface Text {
  message: string;
  hint: string;
}

/** Names the mapping a key lives in, e.g. `host "h1"`; undefined is the top level of the file. */
export type Owner = string | undefined;

export const owners = {
  database: 'database',
  objectStore: 'objectStore',
  network: 'network',
  host: (index: number, name?: string) => (name === undefined ? `host #${index + 1}` : `host "${name}"`),
  ssh: (host: string) => `the ssh settings of ${host}`,
  zone: (index: number, name?: string) => (name === undefined ? `zone #${index + 1}` : `zone "${name}"`),
  component: (index: number, component?: ComponentName, host?: string) =>
    `component ${component ?? `#${index + 1}`}${host === undefined ? '' : ` on host "${host}"`}`,
};

/** How values are named when their key alone would not say enough. */
export const subjects = {
  wholeFile: 'the file',
  cloudName: 'cloud name',
  entryOf: (key: string) => `${key} entry`,
};

const inOwner = (owner: Owner) => (owner === undefined ? 'at the top level' : `in ${owner}`);
/** `"port" in component nc on host "h2"`, `"hosts" at the top level`. */
export const fieldLabel = (key: string, owner: Owner) => `"${key}" ${inOwner(owner)}`;
/** `entry 2 of "hosts"`, `entry 1 of "dnsServers" in network`. */
export const entryLabel = (key: string, entry: number, owner: Owner) =>
  `entry ${entry} of "${key}"${owner === undefined ? '' : ` in ${owner}`}`;

const shown = (value: string | number) => (typeof value === 'number' ? String(value) : `"${value}"`);
/** `port 70000 in component nc on host "h2"`, or `dataDir "srv"` at the top level. */
const subject = (key: string, value: string | number, owner: Owner) =>
  `${key} ${shown(value)}${owner === undefined ? '' : ` in ${owner}`}`;
const didYouMeanOr = (suggestion: string | undefined, otherwise: string) =>
  suggestion === undefined ? otherwise : `did you mean "${suggestion}"?`;
/** Component names are read letter by letter: "a cc", "an sc", "an nc". */
const withArticle = (component: ComponentName) =>
  `${component === 'sc' || component === 'nc' ? 'an' : 'a'} ${component}`;
const listOf = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));

const kindNames: Record<ValueKind, string> = {
  string: 'a string',
  integer: 'a whole number',
  boolean: 'true or false',
  list: 'a list',
  mapping: 'a mapping of keys to values',
};

const kindHints: Record<ValueKind, string> = {
  string: 'quote the value if YAML reads it as something else, e.g. name: "123"',
  integer: 'write the number without quotes, e.g. port: 8773',
  boolean: 'write true or false without quotes (YAML 1.2 reads yes/no as strings)',
  list: 'write one entry per line starting with "- ", or [a, b] on one line',
  mapping: 'write "key: value" lines, indented under it',
};

/** What a required field is for, shown when it is missing. Keyed `owner-kind.key`. */
const requiredFieldHints: Record<string, string> = {
  'top.name': 'name the cloud, e.g. "name: demo" (lowercase letters, digits and hyphens)',
  'top.hosts': 'list the servers of the cloud under "hosts:", each with a name and an address',
  'top.zones': 'list at least one availability zone under "zones:", e.g. "- name: zone-a"',
  'top.components': 'list where each daemon runs under "components:", e.g. "- component: clc" with "host: h1"',
  'host.name': 'give the host a unique name, e.g. "name: h1"; components refer to hosts by it',
  'host.address': 'give the IPv4 or IPv6 address or DNS name the installer reaches the host at over SSH',
  'zone.name': 'give the zone a unique name, e.g. "name: zone-a"; it becomes the EC2 availability zone',
  'component.component': 'say which daemon this is: clc, walrus, cc, sc or nc',
  'component.host': 'say which host runs it, by a name from "hosts"',
};

/** Extra advice for the yaml library's own error codes. */
const yamlHints: Record<string, string> = {
  BAD_INDENT: 'indent every entry of one mapping or list by the same number of spaces',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  MISSING_CHAR: 'a quote, bracket or "- " is missing; check this line and the one before it',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line and be followed by ": "; check the indentation of the line below',
  BLOCK_AS_IMPLICIT_KEY: 'put nested keys on their own lines, indented under their parent key',
  MULTIPLE_DOCS: 'cloud.yaml holds one document; remove the second "---"',
  BAD_DQ_ESCAPE: 'inside double quotes, write a backslash as \\\\, or use single quotes',
  UNRESOLVED_ALIAS: 'define the anchor (&name) before the alias (*name) that uses it',
};

const requiredListEntries: Record<string, string> = { hosts: 'host', zones: 'zone', components: 'component' };

/** The problem table. Each code is a stable id scripts may rely on; the text is for people. */
export const problemMessages = {
  'yaml-syntax': (p: { detail: string; yamlCode: string }): Text => ({
    message: `invalid YAML: ${p.detail}`,
    hint: yamlHints[p.yamlCode] ?? 'check the indentation, quotes and brackets at this point',
  }),
  'empty-file': (): Text => ({
    message: 'the file is empty',
    hint: 'start from templates/cloud.example.yaml and describe your hosts, zones and components',
  }),
  'duplicate-key': (p: { key: string; owner: Owner; firstLine: number }): Text => ({
    message: `key "${p.key}" appears twice ${inOwner(p.owner)} (first at line ${p.firstLine})`,
    hint: 'keep only one of them; YAML would silently use the last',
  }),
  'unknown-key': (p: { key: string; owner: Owner; allowed: readonly string[]; suggestion?: string }): Text => ({
    message: `unknown key "${p.key}" ${inOwner(p.owner)}`,
    hint: didYouMeanOr(p.suggestion, `the keys allowed here are ${listOf(p.allowed)}`),
  }),
  'wrong-type': (p: { field: string; expected: ValueKind; actual: string }): Text => ({
    message: `${p.field} must be ${kindNames[p.expected]}, not ${p.actual}`,
    hint: kindHints[p.expected],
  }),
  'missing-field': (p: { key: string; owner: Owner; ownerKind: string; empty: boolean }): Text => ({
    message: p.empty ? `"${p.key}" ${inOwner(p.owner)} has no value` : `missing "${p.key}" ${inOwner(p.owner)}`,
    hint: requiredFieldHints[`${p.ownerKind}.${p.key}`] ?? `add "${p.key}: ..."`,
  }),
  'empty-list': (p: { key: string }): Text => ({
    message: `"${p.key}" is empty`,
    hint: `a cloud needs at least one ${requiredListEntries[p.key] ?? 'entry'}`,
  }),
  'invalid-enum': (p: {
    key: string;
    value: string;
    owner: Owner;
    allowed: readonly string[];
    suggestion?: string;
  }): Text => ({
    message: `unknown ${p.key} "${p.value}" ${inOwner(p.owner)}`,
    hint: didYouMeanOr(p.suggestion, `use one of ${listOf(p.allowed)}`),
  }),
  'invalid-name': (p: { key: string; value: string; owner: Owner; loose: boolean }): Text => ({
    message: `${subject(p.key, p.value, p.owner)} is not valid`,
    hint: p.loose
      ? 'use letters, digits, ".", "_" and "-", starting with a letter or digit'
      : 'use lowercase letters, digits and hyphens, starting and ending with a letter or digit',
  }),
  'invalid-value': (p: {
    key: string;
    value: string;
    owner: Owner;
    rule: 'not-empty' | 'interface-name' | 's3-bucket';
  }): Text =>
    p.rule === 'not-empty'
      ? { message: `"${p.key}" ${inOwner(p.owner)} is an empty string`, hint: `give "${p.key}" a value or remove it` }
      : p.rule === 's3-bucket'
        ? {
            message: `${subject(p.key, p.value, p.owner)} is not an S3 bucket name`,
            hint: 'use 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit',
          }
        : {
            message: `${subject(p.key, p.value, p.owner)} is not a network interface name`,
            hint: 'Linux interface names have at most 15 letters, digits, ".", "_" or "-", e.g. virbr0',
          },
  'invalid-path': (p: { key: string; value: string; owner: Owner }): Text => ({
    message: `${subject(p.key, p.value, p.owner)} is not an absolute path`,
    hint: 'start the path with "/", e.g. /var/lib/mallee',
  }),
  'invalid-port': (p: { key: string; value: number; owner: Owner }): Text => ({
    message: `${subject(p.key, p.value, p.owner)} is out of range`,
    hint: 'a port is a number from 1 to 65535',
  }),
  'invalid-ip': (p: { key: string; value: string; owner: Owner }): Text => ({
    message: `${subject(p.key, p.value, p.owner)} is not an IPv4 address`,
    hint: 'write four numbers from 0 to 255 separated by dots, e.g. 10.250.0.1',
  }),
  'invalid-cidr': (p: { key: string; value: string; owner: Owner; network?: string }): Text =>
    p.network === undefined
      ? {
          message: `${subject(p.key, p.value, p.owner)} is not an IPv4 CIDR`,
          hint: 'write the network address, a slash and the prefix length, e.g. 10.250.0.0/24',
        }
      : {
          message: `${subject(p.key, p.value, p.owner)} has host bits set`,
          hint: `did you mean "${p.network}"?`,
        },
  'invalid-ip-range': (p: { key: string; value: string; owner: Owner; backwards: boolean }): Text =>
    p.backwards
      ? {
          message: `${subject(p.key, p.value, p.owner)} ends before it starts`,
          hint: 'put the lower address first, e.g. 10.250.0.100-10.250.0.150',
        }
      : {
          message: `${subject(p.key, p.value, p.owner)} is not an IPv4 range or CIDR`,
          hint: 'write FIRST-LAST, e.g. 10.250.0.100-10.250.0.150, or a CIDR, e.g. 10.250.1.0/26',
        },
  'invalid-address': (p: { key: string; value: string; owner: Owner }): Text => ({
    message: `${subject(p.key, p.value, p.owner)} is not an IP address or hostname`,
    hint: 'use an IPv4 or IPv6 address, or a DNS name the installer can resolve',
  }),
  'invalid-uri': (p: { key: string; value: string; owner: Owner; scheme: 'libvirt' | 'postgresql' | 's3' }): Text =>
    p.scheme === 'libvirt'
      ? {
          message: `${subject(p.key, p.value, p.owner)} is not a libvirt URI Mallee supports`,
          hint: "use qemu:///system, or test:///default for libvirt's simulated hypervisor",
        }
      : p.scheme === 's3'
        ? {
            message: `${subject(p.key, p.value, p.owner)} is not an S3 endpoint`,
            hint: 'write the scheme, host and port only, e.g. https://rgw.example.internal:7480',
          }
        : {
            // The URL may hold a password: name the field, not the value.
            message: `"${p.key}" ${inOwner(p.owner)} is not a PostgreSQL URL`,
            hint: 'write postgres://USER:PASSWORD@HOST:5432/DATABASE',
          },
  'postgresql-without-url': (): Text => ({
    message: 'database engine postgresql needs a "url"',
    hint: 'add url: postgres://USER:PASSWORD@HOST:5432/DATABASE, or use engine: sqlite',
  }),
  's3-store-without': (p: { key: string }): Text => ({
    message: `objectStore engine s3 needs "${p.key}"`,
    hint: 'give endpoint, bucket, accessKeyId and secretAccessKey of the S3-compatible engine, or use engine: local',
  }),
  'setting-without-s3': (p: { key: string }): Text => ({
    message: `objectStore "${p.key}" is only used with engine s3`,
    hint: "remove it to keep objects on the walrus host's own disk, or set engine: s3",
  }),
  'url-with-sqlite': (): Text => ({
    message: 'database "url" is only used with engine postgresql',
    hint: 'remove "url" to keep the embedded SQLite database, or set engine: postgresql',
  }),
  'duplicate-host': (p: { name: string; firstLine: number }): Text => ({
    message: `host name "${p.name}" is already used at line ${p.firstLine}`,
    hint: 'give every host a unique name',
  }),
  'duplicate-address': (p: { address: string; host: string; firstHost: string; firstLine: number }): Text => ({
    message: `address "${p.address}" of ${p.host} is already used by ${p.firstHost} (line ${p.firstLine})`,
    hint: 'list each server once; run several components on it by naming the same host in "components"',
  }),
  'duplicate-zone': (p: { name: string; firstLine: number }): Text => ({
    message: `zone name "${p.name}" is already used at line ${p.firstLine}`,
    hint: 'give every zone a unique name',
  }),
  'unknown-host': (p: { host: string; owner: string; known: readonly string[]; suggestion?: string }): Text => ({
    message: `${p.owner} refers to unknown host "${p.host}"`,
    hint: didYouMeanOr(p.suggestion, `the hosts are ${listOf(p.known)}`),
  }),
  'unknown-zone': (p: { zone: string; owner: string; known: readonly string[]; suggestion?: string }): Text => ({
    message: `${p.owner} refers to unknown zone "${p.zone}"`,
    hint: didYouMeanOr(p.suggestion, `the zones are ${listOf(p.known)}`),
  }),
  'zone-not-allowed': (p: { component: ComponentName; owner: string }): Text => ({
    message: `${p.owner} has a "zone", but ${p.component} serves the whole cloud`,
    hint: 'remove "zone"; only cc, sc and nc belong to a zone',
  }),
  'missing-zone': (p: { component: ComponentName; owner: string }): Text => ({
    message: `${p.owner} has no "zone"`,
    hint: `${withArticle(p.component)} serves one zone: add "zone:" with a name from "zones"`,
  }),
  'hypervisor-not-allowed': (p: { owner: string }): Text => ({
    message: `${p.owner} has a "hypervisor", but only nc runs instances`,
    hint: 'remove "hypervisor", or move it to an nc component',
  }),
  'second-clc': (p: { host: string; firstHost: string; firstLine: number }): Text => ({
    message: `second clc, on host "${p.host}"; the first is on host "${p.firstHost}" at line ${p.firstLine}`,
    hint: 'a cloud has exactly one clc: remove one of them',
  }),
  'second-walrus': (p: { host: string; firstHost: string; firstLine: number }): Text => ({
    message: `second walrus, on host "${p.host}"; the first is on host "${p.firstHost}" at line ${p.firstLine}`,
    hint: 'a cloud has exactly one walrus: remove one of them',
  }),
  'second-cc': (p: { zone: string; host: string; firstHost: string; firstLine: number }): Text => ({
    message: `second cc in zone "${p.zone}", on host "${p.host}"; the first is on host "${p.firstHost}" at line ${p.firstLine}`,
    hint: 'each zone has exactly one cc: remove one, or put it in another zone',
  }),
  'second-sc': (p: { zone: string; host: string; firstHost: string; firstLine: number }): Text => ({
    message: `second sc in zone "${p.zone}", on host "${p.host}"; the first is on host "${p.firstHost}" at line ${p.firstLine}`,
    hint: 'each zone has at most one sc: remove one, or put it in another zone',
  }),
  'no-clc': (): Text => ({
    message: 'no clc in "components"',
    hint: 'add one: "- component: clc" with "host:" naming the host that runs the cloud controller',
  }),
  'no-walrus': (): Text => ({
    message: 'no walrus in "components"',
    hint: 'add one: "- component: walrus" with "host:" naming the host with the most free disk',
  }),
  'zone-without-cc': (p: { zone: string }): Text => ({
    message: `zone "${p.zone}" has no cc`,
    hint: `add "- component: cc" with "zone: ${p.zone}" to "components"`,
  }),
  'zone-without-nodes': (p: { zone: string }): Text => ({
    message: `zone "${p.zone}" has no nc to run instances`,
    hint: `add at least one "- component: nc" with "zone: ${p.zone}" to "components"`,
  }),
  'port-conflict': (p: { port: number; host: string; first: ComponentName; firstLine: number }): Text => ({
    message: `port ${p.port} on host "${p.host}" is already used by ${p.first} (line ${p.firstLine})`,
    hint: 'give one of the two components another "port"',
  }),
};

export type ProblemCode = keyof typeof problemMessages;
export type ProblemParams<C extends ProblemCode> = Parameters<(typeof problemMessages)[C]>[0];

/** How a value that has the wrong type is described, e.g. `the string "8775"`. */
export function describeActual(value: unknown, kind: 'list' | 'mapping' | 'scalar'): string {
  if (kind === 'list') return 'a list';
  if (kind === 'mapping') return 'a mapping';
  if (value === null) return 'empty';
  if (typeof value === 'string') return `the string "${value}"`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return `the value ${String(value)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Lines the CLI prints around the problem list. */
export const summaries = {
  valid: (file: string, counts: { hosts: number; zones: number; components: number }) =>
    `${file} is valid: ${plural(counts.hosts, 'host')}, ${plural(counts.zones, 'zone')}, ${plural(counts.components, 'component')}`,
  invalid: (file: string, count: number) => `${file}: ${plural(count, 'problem')}`,
  loadFailed: (file: string, problems: Problem[]) =>
    `${file} has ${plural(problems.length, 'problem')}` +
    (problems[0]
      ? `; the first, at line ${problems[0].line} column ${problems[0].column}: ${problems[0].message}`
      : ''),
  loadFailedHint: (file: string) => `run \`faststart validate ${file}\` to see every problem with its line and a hint`,
  notFound: (file: string) => `No file at ${file}.`,
  notFoundHint: 'Check the path, or copy templates/cloud.example.yaml and edit it.',
  unreadable: (file: string, reason: string) => `Cannot read ${file}: ${reason}`,
  unreadableHint: 'Check that the path is a file you can read.',
};
