import t from 'tap';
import { CliError } from '../../../src/cli/cli-error.js';
import { expandHostList, maxRangeSize } from '../../../src/inventory/address-ranges.js';

t.test('addresses, short and full ranges, host names, each once in order', async (t) => {
  t.same(expandHostList('10.250.0.11-13'), ['10.250.0.11', '10.250.0.12', '10.250.0.13']);
  t.same(expandHostList('10.0.0.254-10.0.1.1'), ['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1'], 'across octets');
  t.same(expandHostList(' 10.0.0.5 , node7.lab,10.0.0.4-5,::1'), ['10.0.0.5', 'node7.lab', '10.0.0.4', '::1']);
  t.same(expandHostList('10.0.0.9-9'), ['10.0.0.9']);
});

t.test('mistakes are usage errors with a hint', async (t) => {
  const cases: [string, RegExp][] = [
    ['10.0.0.13-11', /runs backwards/],
    ['10.0.0.1-300', /not an address, a host name or a range/],
    ['10.0.0.1-10.0.9.1', new RegExp(`names 2305 hosts; at most ${maxRangeSize}`)],
    ['10.0.0.999', /not an address/],
    ['bad_name!', /not an address/],
    [' , ', /No hosts were given/],
  ];
  for (const [input, message] of cases) {
    t.throws(() => expandHostList(input), message, input);
    try {
      expandHostList(input);
    } catch (error) {
      t.ok(error instanceof CliError && error.kind === 'usage' && error.hint, `${input}: usage error with a hint`);
    }
  }
});
