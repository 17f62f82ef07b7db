import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { validateCloudYaml } from '../../../src/config/index.js';
import {
  excludeHost,
  moveComponent,
  placeComponents,
  PlacementEditError,
  renameZone,
  usableHosts,
  type Placement,
} from '../../../src/placement/index.js';
import { serverFacts, sixHostsTwoSubnets, threeHostsOneSubnet, unreachableFacts } from '../../fixtures/host-facts.js';

const layout = (placement: Placement) =>
  placement.cloud.components.map((entry) => `${entry.component}${entry.zone ? `@${entry.zone}` : ''} ${entry.host}`);

/** The edit must be refused with exactly this message and hint. */
function refused(t: Test, edit: () => unknown, message: string, hint: string): void {
  t.throws(edit, new PlacementEditError({ message, hint }), message);
  try {
    edit();
  } catch (error) {
    t.equal((error as PlacementEditError).hint, hint);
  }
}

t.test('moving the clc keeps the other choices and recomputes what follows from it', async (t) => {
  const original = placeComponents(threeHostsOneSubnet());
  const snapshot = structuredClone(original);
  const moved = moveComponent(original, { component: 'clc' }, 'h3');
  t.strictSame(layout(moved), [
    'clc h3',
    'walrus h1',
    'cc@zone-a h3',
    'sc@zone-a h2',
    'nc@zone-a h1',
    'nc@zone-a h2',
    'nc@zone-a h3',
  ]);
  t.equal(moved.reasons[0]?.text, 'clc on h3: moved there by you');
  t.strictSame(original, snapshot, 'the placement it was given is unchanged');
  t.strictSame(validateCloudYaml(stringify(moved.cloud), 'cloud.yaml').problems, []);
});

t.test('a zone cc or sc moves only within its zone, and must name its zone when there are several', async (t) => {
  const placement = placeComponents(sixHostsTwoSubnets());
  const moved = moveComponent(placement, { component: 'sc', zone: 'zone-b' }, 'h6');
  t.ok(layout(moved).includes('sc@zone-b h6'));
  t.equal(
    moved.reasons.find((reason) => reason.text.startsWith('sc of zone-b'))?.text,
    'sc of zone-b on h6: moved there by you',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'cc', zone: 'zone-b' }, 'h1'),
    'h1 is not on the subnet of zone "zone-b"; the cc serves that zone\'s nodes and must be on it',
    'Pick a host of zone "zone-b".',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'cc' }, 'h5'),
    'which cc? There is one per zone',
    'Name its zone: zone-a, zone-b.',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'cc', zone: 'zone-z' }, 'h5'),
    'there is no cc in zone "zone-z" in the plan',
    'Pick a component from the plan.',
  );
  const single = placeComponents(threeHostsOneSubnet());
  t.ok(
    layout(moveComponent(single, { component: 'cc' }, 'h2')).includes('cc@zone-a h2'),
    'one zone: no need to name it',
  );
});

t.test('moves that cannot be: an nc, an unknown or unusable host, the host it is on', async (t) => {
  const hosts = [...threeHostsOneSubnet(), unreachableFacts('h4', '10.250.0.14', 'timed out')];
  const placement = placeComponents(hosts);
  refused(
    t,
    () => moveComponent(placement, { component: 'nc' }, 'h2'),
    'an nc runs on every host that can run instances; it is not moved',
    'To keep instances off a host, exclude that host.',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'walrus' }, 'h9'),
    'there is no host "h9"',
    'Hosts: h1, h2, h3, h4.',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'walrus' }, 'h4'),
    'h4 is excluded or unreachable',
    'Pick one of the hosts in the plan.',
  );
  refused(
    t,
    () => moveComponent(placement, { component: 'walrus' }, 'h2'),
    'the walrus is already on h2',
    'Pick another host.',
  );
  t.strictSame(usableHosts(placement), ['h1', 'h2', 'h3']);
});

t.test('excluding a host places everything again without it, and its problems go with it', async (t) => {
  const hosts = [...threeHostsOneSubnet(), unreachableFacts('h4', '10.250.0.14', 'timed out')];
  const placement = placeComponents(hosts);
  t.equal(placement.problems[0]?.code, 'unreachable');
  const withoutH4 = excludeHost(placement, 'h4');
  t.strictSame(withoutH4.problems, []);
  const withoutH1 = excludeHost(withoutH4, 'h1');
  t.strictSame(layout(withoutH1), [
    'clc h2',
    'walrus h3',
    'cc@zone-a h2',
    'sc@zone-a h3',
    'nc@zone-a h2',
    'nc@zone-a h3',
  ]);
  t.strictSame(
    withoutH1.cloud.hosts.map((host) => host.name),
    ['h2', 'h3'],
  );
  t.strictSame(usableHosts(withoutH1), ['h2', 'h3']);
  refused(t, () => excludeHost(withoutH1, 'h1'), 'h1 is already excluded', 'Pick another host.');
  refused(t, () => excludeHost(withoutH1, 'h7'), 'there is no host "h7"', 'Hosts: h1, h2, h3, h4.');
  const lastOne = excludeHost(withoutH1, 'h2');
  refused(
    t,
    () => excludeHost(lastOne, 'h3'),
    'h3 is the last host left; excluding it would leave no cloud',
    'Abort instead, or exclude another host.',
  );
});

t.test('moves and zone names survive excluding another host; a move onto the excluded host is dropped', async (t) => {
  let placement = placeComponents(sixHostsTwoSubnets());
  placement = moveComponent(placement, { component: 'walrus' }, 'h5');
  placement = moveComponent(placement, { component: 'clc' }, 'h3');
  placement = renameZone(placement, 'zone-b', 'east');
  placement = excludeHost(placement, 'h1');
  t.strictSame(layout(placement).slice(0, 2), ['clc h3', 'walrus h5']);
  t.strictSame(
    placement.cloud.zones.map((zone) => zone.name),
    ['zone-a', 'east'],
  );
  placement = excludeHost(placement, 'h5');
  t.equal(placement.cloud.components[1]?.component, 'walrus');
  t.not(placement.cloud.components[1]?.host, 'h5');
  t.equal(placement.reasons[1]?.text.startsWith('walrus on'), true);
  t.notMatch(placement.reasons[1]?.text, /moved there by you/);
});

t.test('renaming a zone renames it everywhere it is used; bad and taken names are refused', async (t) => {
  const placement = placeComponents(sixHostsTwoSubnets());
  const renamed = renameZone(placement, 'zone-a', 'west');
  t.strictSame(renamed.cloud.zones, [
    { name: 'west', subnet: '10.250.0.0/24' },
    { name: 'zone-b', subnet: '10.250.1.0/24' },
  ]);
  t.strictSame(
    [...new Set(renamed.cloud.components.flatMap((entry) => (entry.zone ? [entry.zone] : [])))],
    ['west', 'zone-b'],
  );
  t.ok(
    renamed.reasons.some(
      (reason) => reason.text === "cc of west on h1: on the zone's subnet, beside the clc that calls it",
    ),
  );
  t.strictSame(validateCloudYaml(stringify(renamed.cloud), 'cloud.yaml').problems, []);
  t.equal(renameZone(renamed, 'west', 'west'), renamed, 'the same name changes nothing');
  refused(
    t,
    () => renameZone(placement, 'zone-a', 'West Zone'),
    '"West Zone" cannot name a zone',
    'Use lowercase letters, digits and hyphens (at most 63, not starting or ending with a hyphen), e.g. "zone-a".',
  );
  refused(
    t,
    () => renameZone(placement, 'zone-a', 'zone-b'),
    'there is already a zone "zone-b"',
    'Pick a name no other zone has.',
  );
  refused(t, () => renameZone(placement, 'zone-q', 'x'), 'there is no zone "zone-q"', 'Zones: zone-a, zone-b.');

  const swapped = renameZone(renameZone(renameZone(placement, 'zone-a', 'tmp'), 'zone-b', 'zone-a'), 'tmp', 'zone-b');
  t.strictSame(
    swapped.cloud.zones,
    [
      { name: 'zone-b', subnet: '10.250.0.0/24' },
      { name: 'zone-a', subnet: '10.250.1.0/24' },
    ],
    'names can be swapped through a third',
  );
});

t.test('a default zone name never collides with one the user chose', async (t) => {
  const hosts = [serverFacts('a1', '10.1.0.5'), serverFacts('b1', '10.2.0.5')];
  const renamed = renameZone(placeComponents(hosts), 'zone-b', 'zone-a2');
  t.strictSame(
    renamed.cloud.zones.map((zone) => zone.name),
    ['zone-a', 'zone-a2'],
  );
  const custom = renameZone(placeComponents(hosts), 'zone-a', 'zone-x');
  const afterExclude = excludeHost(renameZone(custom, 'zone-b', 'zone-a'), 'a1');
  t.strictSame(
    afterExclude.cloud.zones.map((zone) => zone.name),
    ['zone-a'],
  );
});
