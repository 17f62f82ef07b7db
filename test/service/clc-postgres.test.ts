import { CreateSecurityGroupCommand, CreateTagsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { CreateUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';
import { startPostgres } from '../helpers/postgres.js';

// The clc on PostgreSQL instead of its SQLite file, as a cloud that outgrows one controller host runs it: the same
// API, and the state is the server's, across a restart of the clc.
const postgres = await startPostgres();
t.teardown(() => postgres.stop());
const clc = await startClc(t, { databaseUrl: await postgres.createDatabase('clc_service') });

t.test('accounts, users, groups and tags live in PostgreSQL and outlast the clc process', async (t) => {
  const account = await clc.newAccount('on-postgres');
  await clc.iam(account).send(new CreateUserCommand({ UserName: 'dora' }));
  const group = await clc.ec2(account).send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
  await clc
    .ec2(account)
    .send(new CreateTagsCommand({ Resources: [group.GroupId!], Tags: [{ Key: 'tier', Value: 'front' }] }));

  await clc.stop();
  await clc.restart();

  const users = await clc.iam(account).send(new ListUsersCommand({}));
  t.same(
    users.Users?.map((user) => user.UserName),
    ['dora'],
  );
  const tags = await clc.ec2(account).send(new DescribeTagsCommand({}));
  t.same(
    tags.Tags?.map((tag) => [tag.ResourceId, tag.Key, tag.Value]),
    [[group.GroupId, 'tier', 'front']],
  );
  const health = await runCommand('curl', ['-sS', '--cacert', clc.caBundle, `${clc.url}/healthz`]);
  t.match(JSON.parse(health.stdout), { status: 'ok', database: 'postgresql' });
});
