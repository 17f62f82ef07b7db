import t from 'tap';
import { formatPlacement } from '../../../src/installer/format-placement.js';
import { excludeHost, placeComponents } from '../../../src/placement/index.js';
import { sixHostsTwoSubnets, unreachableFacts } from '../../fixtures/host-facts.js';

t.test(
  'the review shows every host with its facts and components, the zones, the reasons and the problems',
  async (t) => {
    const hosts = [...sixHostsTwoSubnets(), unreachableFacts('h7', '10.250.1.17', 'connection timed out')];
    const text = formatPlacement(placeComponents(hosts, { cloudName: 'lab' }));
    const lines = text.split('\n');
    t.equal(lines[0], 'Plan for cloud "lab": 6 hosts, 2 zones');
    t.equal(lines[2], '  host  address      cores  memory    free disk  virtualization  components');
    t.equal(lines[3], '  h1    10.250.0.11  8      31.3 GiB  150 GiB    KVM             clc, cc(zone-a), nc(zone-a)');
    t.equal(lines[6], '  h4    10.250.1.14  8      31.3 GiB  150 GiB    KVM             cc(zone-b), nc(zone-b)');
    t.equal(lines[9], '  h7    10.250.1.17  -      -         -          -               (unreachable)');
    t.strictSame(lines.slice(11, 14), [
      '  zone    subnet         cc  sc  nodes',
      '  zone-a  10.250.0.0/24  h1  h3  h1, h2, h3',
      '  zone-b  10.250.1.0/24  h4  h5  h4, h5, h6',
    ]);
    t.equal(lines[15], 'Why:');
    t.equal(lines[16], '  clc on h1: every host offers instances the same capacity; h1 comes first in the inventory');
    t.strictSame(lines.slice(-3), [
      'Problems: 1 error, 0 warnings',
      '  error    h7: h7 (10.250.1.17) could not be reached: connection timed out',
      '           fix: Check that `ssh USER@10.250.1.17` works from this machine (address, user, key, known_hosts), or exclude h7.',
    ]);

    const after = formatPlacement(excludeHost(placeComponents(hosts, { cloudName: 'lab' }), 'h7')).split('\n');
    t.equal(after[9], '  h7    10.250.1.17  -      -         -          -               (excluded)');
    t.equal(after.at(-1), 'No problems found.');
  },
);
