import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import type { CloudFile } from '../../src/cloud/cloud-file.js';
import type { CloudProfiles } from '../../src/cloud/cloud-profiles.js';
import { runCli, temporaryDir } from '../helpers/cli.js';

// `cloudctl clouds` reads cloud.json files only: clouds described on disk are enough, no daemons needed.
function writeCloud(file: string, name: string, region: string): void {
  const cloud: CloudFile = {
    name,
    region,
    zone: `${region}a`,
    endpoints: {
      ec2: `https://${name}.example:8773`,
      s3: `https://${name}.example:8080`,
      iam: `https://${name}.example:8773`,
      sts: `https://${name}.example:8773`,
      admin: `https://${name}.example:8773/services/admin`,
    },
    credentials: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'secret' },
    caBundle: '/nonexistent/ca.pem',
    pkiDir: '/nonexistent',
  };
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(cloud));
}

const home = temporaryDir('clouds-home');
const elsewhere = join(temporaryDir('clouds-elsewhere'), 'cloud.json');
writeCloud(join(home, 'lab', 'cloud.json'), 'lab', 'lab-1');
writeCloud(elsewhere, 'outside', 'out-1');
const env = (extra: NodeJS.ProcessEnv = {}) => ({ env: { MALLEE_HOME: home, MALLEE_CLOUD: undefined, ...extra } });

async function clouds(args: string[], extra?: NodeJS.ProcessEnv): Promise<CloudProfiles> {
  const result = await runCli('cloudctl', ['clouds', '--json', ...args], env(extra));
  if (result.code !== 0) throw new Error(`cloudctl clouds failed (${result.code}): ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as CloudProfiles;
}

const selected = (profiles: CloudProfiles) =>
  profiles.clouds.filter((cloud) => cloud.selected).map((cloud) => [cloud.name, cloud.selectedBy]);

t.test('the only cloud under MALLEE_HOME is selected, and says why', async (t) => {
  const profiles = await clouds([]);
  t.equal(profiles.home, home);
  t.same(selected(profiles), [['lab', 'only']]);
  t.match(profiles.clouds[0], { region: 'lab-1', ec2Endpoint: 'https://lab.example:8773' });
  const table = await runCli('cloudctl', ['clouds'], env());
  t.match(table.stdout, /^NAME\s+SELECTED\s+REGION\s+EC2 ENDPOINT\s+FILE\nlab\s+selected \(the only one\)\s+lab-1/);
});

t.test('with two clouds none is selected until --cloud or MALLEE_CLOUD names one', async (t) => {
  writeCloud(join(home, 'prod', 'cloud.json'), 'prod', 'prod-1');
  t.teardown(() => writeFileSync(join(home, 'prod', 'cloud.json'), '{not json'));
  const none = await clouds([]);
  t.same(
    none.clouds.map((cloud) => cloud.name),
    ['lab', 'prod'],
  );
  t.same(selected(none), []);
  t.match(none.noSelection, /several under .*: lab, prod/);
  const table = await runCli('cloudctl', ['clouds'], env());
  t.match(table.stdout, /None selected: .*Pass --cloud NAME or set MALLEE_CLOUD/);

  t.same(selected(await clouds(['--cloud', 'prod'])), [['prod', 'flag']]);
  t.same(selected(await clouds([], { MALLEE_CLOUD: 'lab' })), [['lab', 'MALLEE_CLOUD']]);
  t.same(selected(await clouds(['--cloud', 'prod'], { MALLEE_CLOUD: 'lab' })), [['prod', 'flag']], '--cloud wins');
  const outside = await clouds(['--cloud', elsewhere]);
  t.same(selected(outside), [['outside', 'flag']], 'a cloud.json outside MALLEE_HOME is listed when named');
});

t.test('a damaged cloud.json is listed with its problem; --output csv and yaml', async (t) => {
  const profiles = await clouds([]);
  t.match(
    profiles.clouds.find((cloud) => cloud.name === 'prod'),
    { problem: /Cannot read cloud file/ },
  );
  const csv = await runCli('cloudctl', ['clouds', '--output', 'csv', '--cloud', 'lab'], env());
  t.equal(csv.code, 0);
  const lines = csv.stdout.trim().split('\n');
  t.equal(lines[0], 'NAME,SELECTED,REGION,EC2 ENDPOINT,FILE');
  t.equal(lines[1], `lab,selected (--cloud),lab-1,https://lab.example:8773,${join(home, 'lab', 'cloud.json')}`);
  const yaml = await runCli('cloudctl', ['clouds', '-o', 'yaml'], env());
  t.match(parse(yaml.stdout), [{ name: 'lab', path: join(home, 'lab', 'cloud.json') }, { name: 'prod' }]);
  const bad = await runCli('cloudctl', ['clouds', '--output', 'xml'], env());
  t.equal(bad.code, 2, 'an unknown format is a usage error');
});

t.test('a --cloud that does not exist: nothing selected, the reason given', async (t) => {
  const profiles = await clouds(['--cloud', 'nope']);
  t.same(selected(profiles), []);
  t.match(profiles.noSelection, /No cloud named "nope"/);
});

t.test('no clouds at all: a hint to create one', async (t) => {
  const empty = await runCli('cloudctl', ['clouds'], { env: { MALLEE_HOME: temporaryDir('clouds-empty') } });
  t.equal(empty.code, 0);
  t.match(empty.stdout, /No clouds under .*cloudctl local up/);
});
