import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatProblem, problemMessages, validateCloudYaml, type ProblemCode } from '../../../src/config/index.js';

const brokenDir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/cloud-yaml/broken');

interface Expected {
  code: ProblemCode;
  line: number;
  column: number;
  /** The two lines `formatProblem` prints: `FILE:LINE:COLUMN: error: MESSAGE` and `  hint: HINT`. */
  text: [string, string];
}

/** One file per problem class, each checked for the exact text, line and column of what it reports. */
const cases: { file: string; problems: Expected[] }[] = [
  {
    file: 'duplicate-address.yaml',
    problems: [
      {
        code: 'duplicate-address',
        line: 7,
        column: 14,
        text: [
          'broken/duplicate-address.yaml:7:14: error: address "10.250.0.11" of host "h2" is already used by host "h1" (line 5)',
          '  hint: list each server once; run several components on it by naming the same host in "components"',
        ],
      },
    ],
  },
  {
    file: 'duplicate-host.yaml',
    problems: [
      {
        code: 'duplicate-host',
        line: 6,
        column: 11,
        text: [
          'broken/duplicate-host.yaml:6:11: error: host name "h1" is already used at line 4',
          '  hint: give every host a unique name',
        ],
      },
    ],
  },
  {
    file: 'duplicate-key.yaml',
    problems: [
      {
        code: 'duplicate-key',
        line: 6,
        column: 5,
        text: [
          'broken/duplicate-key.yaml:6:5: error: key "address" appears twice in host "h1" (first at line 5)',
          '  hint: keep only one of them; YAML would silently use the last',
        ],
      },
    ],
  },
  {
    file: 'duplicate-zone.yaml',
    problems: [
      {
        code: 'duplicate-zone',
        line: 10,
        column: 11,
        text: [
          'broken/duplicate-zone.yaml:10:11: error: zone name "zone-a" is already used at line 9',
          '  hint: give every zone a unique name',
        ],
      },
    ],
  },
  {
    file: 'empty-file.yaml',
    problems: [
      {
        code: 'empty-file',
        line: 1,
        column: 1,
        text: [
          'broken/empty-file.yaml:1:1: error: the file is empty',
          '  hint: start from templates/cloud.example.yaml and describe your hosts, zones and components',
        ],
      },
    ],
  },
  {
    file: 'empty-list.yaml',
    problems: [
      {
        code: 'empty-list',
        line: 3,
        column: 8,
        text: ['broken/empty-list.yaml:3:8: error: "hosts" is empty', '  hint: a cloud needs at least one host'],
      },
    ],
  },
  {
    file: 'hypervisor-not-allowed.yaml',
    problems: [
      {
        code: 'hypervisor-not-allowed',
        line: 18,
        column: 5,
        text: [
          'broken/hypervisor-not-allowed.yaml:18:5: error: component cc on host "h1" has a "hypervisor", but only nc runs instances',
          '  hint: remove "hypervisor", or move it to an nc component',
        ],
      },
    ],
  },
  {
    file: 'invalid-address.yaml',
    problems: [
      {
        code: 'invalid-address',
        line: 7,
        column: 14,
        text: [
          'broken/invalid-address.yaml:7:14: error: address "10.250.0.312" in host "h2" is not an IP address or hostname',
          '  hint: use an IPv4 or IPv6 address, or a DNS name the installer can resolve',
        ],
      },
    ],
  },
  {
    file: 'invalid-cidr.yaml',
    problems: [
      {
        code: 'invalid-cidr',
        line: 10,
        column: 13,
        text: [
          'broken/invalid-cidr.yaml:10:13: error: subnet "10.250.0.1/24" in zone "zone-a" has host bits set',
          '  hint: did you mean "10.250.0.0/24"?',
        ],
      },
    ],
  },
  {
    file: 'invalid-component.yaml',
    problems: [
      {
        code: 'invalid-enum',
        line: 13,
        column: 16,
        text: [
          'broken/invalid-component.yaml:13:16: error: unknown component "walrsu" in component #2 on host "h1"',
          '  hint: did you mean "walrus"?',
        ],
      },
    ],
  },
  {
    file: 'invalid-database-url.yaml',
    problems: [
      {
        code: 'invalid-uri',
        line: 5,
        column: 8,
        text: [
          'broken/invalid-database-url.yaml:5:8: error: "url" in database is not a PostgreSQL URL',
          '  hint: write postgres://USER:PASSWORD@HOST:5432/DATABASE',
        ],
      },
    ],
  },
  {
    file: 'invalid-enum.yaml',
    problems: [
      {
        code: 'invalid-enum',
        line: 4,
        column: 11,
        text: [
          'broken/invalid-enum.yaml:4:11: error: unknown engine "postgres" in database',
          '  hint: did you mean "postgresql"?',
        ],
      },
    ],
  },
  {
    file: 'invalid-ip-range.yaml',
    problems: [
      {
        code: 'invalid-ip-range',
        line: 5,
        column: 7,
        text: [
          'broken/invalid-ip-range.yaml:5:7: error: publicIps entry "10.250.0.150-10.250.0.100" in network ends before it starts',
          '  hint: put the lower address first, e.g. 10.250.0.100-10.250.0.150',
        ],
      },
    ],
  },
  {
    file: 'invalid-ip.yaml',
    problems: [
      {
        code: 'invalid-ip',
        line: 4,
        column: 28,
        text: [
          'broken/invalid-ip.yaml:4:28: error: dnsServers entry "10.250.0.256" in network is not an IPv4 address',
          '  hint: write four numbers from 0 to 255 separated by dots, e.g. 10.250.0.1',
        ],
      },
    ],
  },
  {
    file: 'invalid-name.yaml',
    problems: [
      {
        code: 'invalid-name',
        line: 2,
        column: 7,
        text: [
          'broken/invalid-name.yaml:2:7: error: cloud name "Demo_Cloud" is not valid',
          '  hint: use lowercase letters, digits and hyphens, starting and ending with a letter or digit',
        ],
      },
    ],
  },
  {
    file: 'invalid-path.yaml',
    problems: [
      {
        code: 'invalid-path',
        line: 8,
        column: 14,
        text: [
          'broken/invalid-path.yaml:8:14: error: dataDir "srv/mallee" in host "h2" is not an absolute path',
          '  hint: start the path with "/", e.g. /var/lib/mallee',
        ],
      },
    ],
  },
  {
    file: 'invalid-port.yaml',
    problems: [
      {
        code: 'invalid-port',
        line: 21,
        column: 11,
        text: [
          'broken/invalid-port.yaml:21:11: error: port 87750 in component nc on host "h2" is out of range',
          '  hint: a port is a number from 1 to 65535',
        ],
      },
    ],
  },
  {
    file: 'invalid-uri.yaml',
    problems: [
      {
        code: 'invalid-uri',
        line: 21,
        column: 17,
        text: [
          'broken/invalid-uri.yaml:21:17: error: hypervisor "kvm:///system" in component nc on host "h2" is not a libvirt URI Mallee supports',
          "  hint: use qemu:///system, or test:///default for libvirt's simulated hypervisor",
        ],
      },
    ],
  },
  {
    file: 'invalid-value.yaml',
    problems: [
      {
        code: 'invalid-value',
        line: 4,
        column: 11,
        text: [
          'broken/invalid-value.yaml:4:11: error: bridge "br-instances-public" in network is not a network interface name',
          '  hint: Linux interface names have at most 15 letters, digits, ".", "_" or "-", e.g. virbr0',
        ],
      },
    ],
  },
  {
    file: 'missing-field.yaml',
    problems: [
      {
        code: 'missing-field',
        line: 6,
        column: 5,
        text: [
          'broken/missing-field.yaml:6:5: error: missing "address" in host "h2"',
          '  hint: give the IPv4 or IPv6 address or DNS name the installer reaches the host at over SSH',
        ],
      },
    ],
  },
  {
    file: 'missing-value.yaml',
    problems: [
      {
        code: 'missing-field',
        line: 6,
        column: 5,
        text: [
          'broken/missing-value.yaml:6:5: error: "name" in host #2 has no value',
          '  hint: give the host a unique name, e.g. "name: h1"; components refer to hosts by it',
        ],
      },
    ],
  },
  {
    file: 'missing-zone.yaml',
    problems: [
      {
        code: 'missing-zone',
        line: 21,
        column: 5,
        text: [
          'broken/missing-zone.yaml:21:5: error: component nc on host "h1" has no "zone"',
          '  hint: an nc serves one zone: add "zone:" with a name from "zones"',
        ],
      },
    ],
  },
  {
    file: 'no-clc.yaml',
    problems: [
      {
        code: 'no-clc',
        line: 10,
        column: 1,
        text: [
          'broken/no-clc.yaml:10:1: error: no clc in "components"',
          '  hint: add one: "- component: clc" with "host:" naming the host that runs the cloud controller',
        ],
      },
    ],
  },
  {
    file: 'no-walrus.yaml',
    problems: [
      {
        code: 'no-walrus',
        line: 10,
        column: 1,
        text: [
          'broken/no-walrus.yaml:10:1: error: no walrus in "components"',
          '  hint: add one: "- component: walrus" with "host:" naming the host with the most free disk',
        ],
      },
    ],
  },
  {
    file: 'port-conflict.yaml',
    problems: [
      {
        code: 'port-conflict',
        line: 15,
        column: 11,
        text: [
          'broken/port-conflict.yaml:15:11: error: port 8773 on host "h1" is already used by clc (line 11)',
          '  hint: give one of the two components another "port"',
        ],
      },
    ],
  },
  {
    file: 'postgresql-without-url.yaml',
    problems: [
      {
        code: 'postgresql-without-url',
        line: 4,
        column: 11,
        text: [
          'broken/postgresql-without-url.yaml:4:11: error: database engine postgresql needs a "url"',
          '  hint: add url: postgres://USER:PASSWORD@HOST:5432/DATABASE, or use engine: sqlite',
        ],
      },
    ],
  },
  {
    file: 'second-cc.yaml',
    problems: [
      {
        code: 'second-cc',
        line: 21,
        column: 16,
        text: [
          'broken/second-cc.yaml:21:16: error: second cc in zone "zone-a", on host "h2"; the first is on host "h1" at line 15',
          '  hint: each zone has exactly one cc: remove one, or put it in another zone',
        ],
      },
    ],
  },
  {
    file: 'second-clc.yaml',
    problems: [
      {
        code: 'second-clc',
        line: 21,
        column: 16,
        text: [
          'broken/second-clc.yaml:21:16: error: second clc, on host "h2"; the first is on host "h1" at line 11',
          '  hint: a cloud has exactly one clc: remove one of them',
        ],
      },
    ],
  },
  {
    file: 'second-sc.yaml',
    problems: [
      {
        code: 'second-sc',
        line: 24,
        column: 16,
        text: [
          'broken/second-sc.yaml:24:16: error: second sc in zone "zone-a", on host "h2"; the first is on host "h1" at line 21',
          '  hint: each zone has at most one sc: remove one, or put it in another zone',
        ],
      },
    ],
  },
  {
    file: 'second-walrus.yaml',
    problems: [
      {
        code: 'second-walrus',
        line: 21,
        column: 16,
        text: [
          'broken/second-walrus.yaml:21:16: error: second walrus, on host "h2"; the first is on host "h1" at line 13',
          '  hint: a cloud has exactly one walrus: remove one of them',
        ],
      },
    ],
  },
  {
    file: 'unknown-host.yaml',
    problems: [
      {
        code: 'unknown-host',
        line: 19,
        column: 11,
        text: [
          'broken/unknown-host.yaml:19:11: error: component nc refers to unknown host "h3"',
          '  hint: the hosts are h1, h2',
        ],
      },
    ],
  },
  {
    file: 'unknown-key.yaml',
    problems: [
      {
        code: 'unknown-key',
        line: 5,
        column: 5,
        text: [
          'broken/unknown-key.yaml:5:5: error: unknown key "adress" in host "h1"',
          '  hint: did you mean "address"?',
        ],
      },
    ],
  },
  {
    file: 'unknown-zone.yaml',
    problems: [
      {
        code: 'unknown-zone',
        line: 20,
        column: 11,
        text: [
          'broken/unknown-zone.yaml:20:11: error: component nc on host "h2" refers to unknown zone "zone-b"',
          '  hint: did you mean "zone-a"?',
        ],
      },
    ],
  },
  {
    file: 's3-store-bad-values.yaml',
    problems: [
      {
        code: 'invalid-uri',
        line: 5,
        column: 13,
        text: [
          'broken/s3-store-bad-values.yaml:5:13: error: endpoint "rgw.example.internal:7480" in objectStore is not an S3 endpoint',
          '  hint: write the scheme, host and port only, e.g. https://rgw.example.internal:7480',
        ],
      },
      {
        code: 'invalid-value',
        line: 6,
        column: 11,
        text: [
          'broken/s3-store-bad-values.yaml:6:11: error: bucket "My_Objects" in objectStore is not an S3 bucket name',
          '  hint: use 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit',
        ],
      },
      {
        code: 'invalid-path',
        line: 9,
        column: 11,
        text: [
          'broken/s3-store-bad-values.yaml:9:11: error: caFile "certs/rgw-ca.pem" in objectStore is not an absolute path',
          '  hint: start the path with "/", e.g. /var/lib/mallee',
        ],
      },
    ],
  },
  {
    file: 's3-store-without.yaml',
    problems: [
      {
        code: 's3-store-without',
        line: 4,
        column: 11,
        text: [
          'broken/s3-store-without.yaml:4:11: error: objectStore engine s3 needs "accessKeyId"',
          '  hint: give endpoint, bucket, accessKeyId and secretAccessKey of the S3-compatible engine, or use engine: local',
        ],
      },
    ],
  },
  {
    file: 'setting-without-s3.yaml',
    problems: [
      {
        code: 'setting-without-s3',
        line: 4,
        column: 3,
        text: [
          'broken/setting-without-s3.yaml:4:3: error: objectStore "bucket" is only used with engine s3',
          "  hint: remove it to keep objects on the walrus host's own disk, or set engine: s3",
        ],
      },
    ],
  },
  {
    file: 'url-with-sqlite.yaml',
    problems: [
      {
        code: 'url-with-sqlite',
        line: 4,
        column: 3,
        text: [
          'broken/url-with-sqlite.yaml:4:3: error: database "url" is only used with engine postgresql',
          '  hint: remove "url" to keep the embedded SQLite database, or set engine: postgresql',
        ],
      },
    ],
  },
  {
    file: 'wrong-type-boolean.yaml',
    problems: [
      {
        code: 'wrong-type',
        line: 8,
        column: 13,
        text: [
          'broken/wrong-type-boolean.yaml:8:13: error: "sudo" in the ssh settings of host "h1" must be true or false, not the string "yes"',
          '  hint: write true or false without quotes (YAML 1.2 reads yes/no as strings)',
        ],
      },
    ],
  },
  {
    file: 'wrong-type-entry.yaml',
    problems: [
      {
        code: 'wrong-type',
        line: 6,
        column: 5,
        text: [
          'broken/wrong-type-entry.yaml:6:5: error: entry 2 of "hosts" must be a mapping of keys to values, not the string "h2"',
          '  hint: write "key: value" lines, indented under it',
        ],
      },
    ],
  },
  {
    file: 'wrong-type.yaml',
    problems: [
      {
        code: 'wrong-type',
        line: 21,
        column: 11,
        text: [
          'broken/wrong-type.yaml:21:11: error: "port" in component nc on host "h2" must be a whole number, not the string "8775"',
          '  hint: write the number without quotes, e.g. port: 8773',
        ],
      },
    ],
  },
  {
    file: 'yaml-syntax.yaml',
    problems: [
      {
        code: 'yaml-syntax',
        line: 7,
        column: 1,
        text: [
          'broken/yaml-syntax.yaml:7:1: error: invalid YAML: Sequence item without - indicator',
          '  hint: a quote, bracket or "- " is missing; check this line and the one before it',
        ],
      },
    ],
  },
  {
    file: 'yaml-tab-indent.yaml',
    problems: [
      {
        code: 'yaml-syntax',
        line: 4,
        column: 1,
        text: [
          'broken/yaml-tab-indent.yaml:4:1: error: invalid YAML: Tabs are not allowed as indentation',
          '  hint: indent with spaces; YAML does not allow tabs for indentation',
        ],
      },
      {
        code: 'yaml-syntax',
        line: 4,
        column: 10,
        text: [
          'broken/yaml-tab-indent.yaml:4:10: error: invalid YAML: Nested mappings are not allowed in compact mappings',
          '  hint: put nested keys on their own lines, indented under their parent key',
        ],
      },
    ],
  },
  {
    file: 'yaml-unclosed-quote.yaml',
    problems: [
      {
        code: 'yaml-syntax',
        line: 7,
        column: 1,
        text: [
          'broken/yaml-unclosed-quote.yaml:7:1: error: invalid YAML: Missing closing "quote',
          '  hint: a quote, bracket or "- " is missing; check this line and the one before it',
        ],
      },
    ],
  },
  {
    file: 'yaml-unresolved-alias.yaml',
    problems: [
      {
        code: 'yaml-syntax',
        line: 6,
        column: 11,
        text: [
          'broken/yaml-unresolved-alias.yaml:6:11: error: invalid YAML: alias "*box" has no anchor',
          '  hint: define the anchor (&name) before the alias (*name) that uses it',
        ],
      },
    ],
  },
  {
    file: 'zone-not-allowed.yaml',
    problems: [
      {
        code: 'zone-not-allowed',
        line: 13,
        column: 5,
        text: [
          'broken/zone-not-allowed.yaml:13:5: error: component clc on host "h1" has a "zone", but clc serves the whole cloud',
          '  hint: remove "zone"; only cc, sc and nc belong to a zone',
        ],
      },
    ],
  },
  {
    file: 'zone-without-cc.yaml',
    problems: [
      {
        code: 'zone-without-cc',
        line: 10,
        column: 11,
        text: [
          'broken/zone-without-cc.yaml:10:11: error: zone "zone-b" has no cc',
          '  hint: add "- component: cc" with "zone: zone-b" to "components"',
        ],
      },
    ],
  },
  {
    file: 'zone-without-nodes.yaml',
    problems: [
      {
        code: 'zone-without-nodes',
        line: 10,
        column: 11,
        text: [
          'broken/zone-without-nodes.yaml:10:11: error: zone "zone-b" has no nc to run instances',
          '  hint: add at least one "- component: nc" with "zone: zone-b" to "components"',
        ],
      },
    ],
  },
];

for (const { file, problems: expected } of cases) {
  t.test(file, async (t) => {
    const { config, problems } = validateCloudYaml(readFileSync(join(brokenDir, file), 'utf8'), `broken/${file}`);
    t.equal(config, undefined, 'no config for a broken file');
    t.strictSame(
      problems.map((p) => ({ code: p.code, line: p.line, column: p.column, text: formatProblem(p).split('\n') })),
      expected,
    );
  });
}

t.test('every broken fixture is in the table, and there are at least 20', async (t) => {
  const files = readdirSync(brokenDir).filter((name) => name.endsWith('.yaml'));
  t.strictSame(cases.map((c) => c.file).sort(), files.sort());
  t.ok(files.length >= 20, `${files.length} broken fixtures`);
});

t.test('every problem code is exercised by some broken fixture', async (t) => {
  const exercised = new Set(cases.flatMap((c) => c.problems.map((p) => p.code)));
  t.strictSame(
    Object.keys(problemMessages).filter((code) => !exercised.has(code as ProblemCode)),
    [],
  );
});
