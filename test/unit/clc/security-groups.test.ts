import type { Kysely } from 'kysely';
import t from 'tap';
import type { IpPermission } from '../../../src/aws/generated/ec2-types.js';
import type { Database } from '../../../src/db/schema.js';
import type { ClcContext } from '../../../services/clc/handlers/context.js';
import { securityGroupHandlers } from '../../../services/clc/handlers/ec2/security-groups.js';
import { listTagDescriptions } from '../../../services/clc/models/resources.js';
import {
  addGroupMember,
  groupsOfMember,
  removeGroupMember,
  resolveGroups,
} from '../../../services/clc/models/security-groups.js';
import { backends } from '../db/backends.js';
import { expectServiceError, rootContext } from '../../helpers/clc-models.js';

const accountContext = (db: Kysely<Database>, name: string) => rootContext(db, name);

const {
  CreateSecurityGroup,
  DescribeSecurityGroups,
  DeleteSecurityGroup,
  AuthorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress,
  RevokeSecurityGroupEgress,
  DescribeSecurityGroupRules,
} = securityGroupHandlers;

const groupIdForm = /^sg-[0-9a-f]{17}$/;
const ruleIdForm = /^sgr-[0-9a-f]{17}$/;
const allOut: IpPermission = {
  IpProtocol: '-1',
  IpRanges: [{ CidrIp: '0.0.0.0/0' }],
  Ipv6Ranges: [],
  UserIdGroupPairs: [],
  PrefixListIds: [],
};
const ssh: IpPermission = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };
const groupNotFound = (what: string) => ({
  code: 'InvalidGroup.NotFound',
  message: `The security group '${what}' does not exist`,
});

async function groupOf(context: ClcContext, GroupId: string) {
  const [group] = (await DescribeSecurityGroups({ GroupIds: [GroupId] }, context)).SecurityGroups ?? [];
  return group;
}

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('a new account has its default group', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { SecurityGroups: groups = [] } = await DescribeSecurityGroups({}, context);
      t.equal(groups.length, 1);
      const [group] = groups;
      t.match(group, {
        GroupId: groupIdForm,
        GroupName: 'default',
        Description: 'default VPC security group',
        OwnerId: context.caller.accountId,
        Tags: [],
      });
      t.same(group?.IpPermissions, [
        {
          IpProtocol: '-1',
          IpRanges: [],
          Ipv6Ranges: [],
          UserIdGroupPairs: [{ GroupId: group?.GroupId, UserId: context.caller.accountId }],
          PrefixListIds: [],
        },
      ]);
      t.same(group?.IpPermissionsEgress, [allOut]);
      t.same((await DescribeSecurityGroups({}, context)).SecurityGroups, groups, 'created once');
      await Promise.all([1, 2, 3].map(() => DescribeSecurityGroups({}, context)));
      t.equal((await DescribeSecurityGroups({}, context)).SecurityGroups?.length, 1, 'also when asked at once');

      await expectServiceError(t, DeleteSecurityGroup({ GroupName: 'default' }, context), {
        code: 'CannotDelete',
        message: `the specified group: "${group?.GroupId}" name: "default" cannot be deleted by a user`,
      });
      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'default', Description: 'x' }, context), {
        code: 'InvalidParameterValue',
        message: 'Cannot use reserved security group name: default',
      });
      t.same(await resolveGroups(db, context.caller.accountId, {}), [group?.GroupId], 'instances default to it');
    });

    t.test('CreateSecurityGroup: names, descriptions, duplicates, tags', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const web = await CreateSecurityGroup(
        {
          GroupName: 'web',
          Description: 'Web servers (HTTP/HTTPS)',
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'tier', Value: 'front' }] }],
        },
        context,
      );
      t.match(web, { GroupId: groupIdForm, Tags: [{ Key: 'tier', Value: 'front' }] });
      const group = await groupOf(context, web.GroupId ?? '');
      t.match(group, { GroupName: 'web', Description: 'Web servers (HTTP/HTTPS)', Tags: [{ Key: 'tier' }] });
      t.same(group?.IpPermissions, [], 'no inbound rules');
      t.same(group?.IpPermissionsEgress, [allOut], 'all traffic out');

      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'web', Description: 'again' }, context), {
        code: 'InvalidGroup.Duplicate',
        message: "The security group 'web' already exists",
      });
      t.ok(await CreateSecurityGroup({ GroupName: 'Web', Description: 'case' }, context), 'case-sensitive names');
      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'sg-123', Description: 'x' }, context), {
        code: 'InvalidParameterValue',
        message: 'Group names may not be in the format sg-*',
      });
      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'x', Description: '' }, context), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter GroupDescription',
      });
      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'x'.repeat(256), Description: 'x' }, context), {
        code: 'InvalidParameterValue',
        message: /for parameter GroupName is invalid\. Length exceeds maximum of 255 characters\./,
      });
      await expectServiceError(t, CreateSecurityGroup({ GroupName: 'ünïcode', Description: 'x' }, context), {
        code: 'InvalidParameterValue',
        message: /^Value \(ünïcode\) for parameter GroupName is invalid\. Valid characters are/,
      });
      await expectServiceError(
        t,
        CreateSecurityGroup({ GroupName: 'v', Description: 'v', VpcId: 'vpc-12345678' }, context),
        {
          code: 'InvalidVpcID.NotFound',
          message: "The vpc ID 'vpc-12345678' does not exist",
        },
      );
      t.equal((await DescribeSecurityGroups({}, context)).SecurityGroups?.length, 3, 'default, web and Web');
    });

    t.test('rules: authorize, describe, duplicates, revoke', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { GroupId: groupId = '' } = await CreateSecurityGroup({ GroupName: 'app', Description: 'app' }, context);
      const { GroupId: lbId = '' } = await CreateSecurityGroup({ GroupName: 'lb', Description: 'lb' }, context);

      const authorized = await AuthorizeSecurityGroupIngress(
        {
          GroupId: groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }, { CidrIp: '192.168.1.0/24' }],
              Ipv6Ranges: [{ CidrIpv6: '2001:DB8::/32' }],
            },
            { IpProtocol: '6', FromPort: 8080, ToPort: 8090, UserIdGroupPairs: [{ GroupId: lbId, Description: 'lb' }] },
            { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
          TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'why', Value: 'test' }] }],
        },
        context,
      );
      t.equal(authorized.Return, true);
      t.equal(authorized.SecurityGroupRules?.length, 5, 'one rule per peer');
      const [office] = authorized.SecurityGroupRules ?? [];
      t.same(office, {
        SecurityGroupRuleId: office?.SecurityGroupRuleId,
        GroupId: groupId,
        GroupOwnerId: context.caller.accountId,
        IsEgress: false,
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        CidrIpv4: '10.0.0.0/8',
        Description: 'office',
        Tags: [{ Key: 'why', Value: 'test' }],
      });
      t.match(office?.SecurityGroupRuleId, ruleIdForm);
      t.match(authorized.SecurityGroupRules?.[3], {
        IpProtocol: 'tcp',
        FromPort: 8080,
        ReferencedGroupInfo: { GroupId: lbId, UserId: context.caller.accountId },
      });

      const group = await groupOf(context, groupId);
      t.same(group?.IpPermissions, [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }, { CidrIp: '192.168.1.0/24' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
          UserIdGroupPairs: [],
          PrefixListIds: [],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 8080,
          ToPort: 8090,
          IpRanges: [],
          Ipv6Ranges: [],
          UserIdGroupPairs: [{ GroupId: lbId, UserId: context.caller.accountId, Description: 'lb' }],
          PrefixListIds: [],
        },
        {
          IpProtocol: 'icmp',
          FromPort: 8,
          ToPort: -1,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [],
          UserIdGroupPairs: [],
          PrefixListIds: [],
        },
      ]);

      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress(
          {
            GroupId: groupId,
            IpPermissions: [
              { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
              { ...ssh, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'another description' }] },
            ],
          },
          context,
        ),
        {
          code: 'InvalidPermission.Duplicate',
          message: 'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists',
        },
      );
      t.notOk(
        (await groupOf(context, groupId))?.IpPermissions?.some((p) => p.IpProtocol === 'udp'),
        'all or nothing',
      );

      t.same(
        await RevokeSecurityGroupIngress(
          { GroupName: 'app', IpPermissions: [{ ...ssh, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] },
          context,
        ),
        { Return: true },
      );
      t.same(
        (await groupOf(context, groupId))?.IpPermissions?.[0]?.IpRanges,
        [{ CidrIp: '192.168.1.0/24' }],
        'the office rule is gone, descriptions do not matter for revoking',
      );
      await expectServiceError(t, RevokeSecurityGroupIngress({ GroupId: groupId, IpPermissions: [ssh] }, context), {
        code: 'InvalidPermission.NotFound',
        message: 'The specified rule does not exist in this security group.',
      });
      t.same(
        (await listTagDescriptions(db, context.caller.accountId)).filter(
          (tag) => tag.ResourceId === office?.SecurityGroupRuleId,
        ),
        [],
        'a revoked rule loses its tags',
      );

      const icmpId = authorized.SecurityGroupRules?.[4]?.SecurityGroupRuleId ?? '';
      t.same(await RevokeSecurityGroupIngress({ GroupId: groupId, SecurityGroupRuleIds: [icmpId] }, context), {
        Return: true,
      });
      await expectServiceError(
        t,
        RevokeSecurityGroupIngress({ GroupId: groupId, SecurityGroupRuleIds: [icmpId] }, context),
        {
          code: 'InvalidSecurityGroupRuleId.NotFound',
          message: `The security group rule ID '${icmpId}' does not exist`,
        },
      );
      t.notOk((await groupOf(context, groupId))?.IpPermissions?.some((p) => p.IpProtocol === 'icmp'));
    });

    t.test('legacy flat parameters and protocol spellings', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { GroupId: groupId = '' } = await CreateSecurityGroup({ GroupName: 'g', Description: 'g' }, context);
      await CreateSecurityGroup({ GroupName: 'peer', Description: 'p' }, context);
      const flat = await AuthorizeSecurityGroupIngress(
        { GroupName: 'g', IpProtocol: 'TCP', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' },
        context,
      );
      t.match(flat.SecurityGroupRules, [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' }]);
      const fromGroup = await AuthorizeSecurityGroupIngress(
        { GroupId: groupId, SourceSecurityGroupName: 'peer' },
        context,
      );
      t.match(fromGroup.SecurityGroupRules, [{ IpProtocol: '-1', FromPort: -1, ToPort: -1, ReferencedGroupInfo: {} }]);
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress(
          { GroupId: groupId, IpProtocol: '6', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' },
          context,
        ),
        { code: 'InvalidPermission.Duplicate', message: /peer: 0\.0\.0\.0\/0, TCP, from port: 443, to port: 443/ },
      );
      const numbered = await AuthorizeSecurityGroupIngress(
        {
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: '50', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '1.2.3.4/32' }] }],
        },
        context,
      );
      t.match(
        numbered.SecurityGroupRules,
        [{ IpProtocol: '50', FromPort: -1, ToPort: -1 }],
        'ports only for tcp, udp, icmp',
      );
      const group = await groupOf(context, groupId);
      t.same(
        group?.IpPermissions?.find((p) => p.IpProtocol === '50'),
        {
          IpProtocol: '50',
          IpRanges: [{ CidrIp: '1.2.3.4/32' }],
          Ipv6Ranges: [],
          UserIdGroupPairs: [],
          PrefixListIds: [],
        },
      );
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress(
          {
            GroupId: groupId,
            CidrIp: '0.0.0.0/0',
            IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '1.1.1.1/32' }] }],
          },
          context,
        ),
        { code: 'InvalidParameterCombination', message: /cannot be used with the parameters IpProtocol/ },
      );
      t.same(await RevokeSecurityGroupIngress({ GroupName: 'g', SourceSecurityGroupName: 'peer' }, context), {
        Return: true,
      });
    });

    t.test('bad rules are refused', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { GroupId: groupId = '' } = await CreateSecurityGroup({ GroupName: 'g', Description: 'g' }, context);
      const refused = (permission: IpPermission, expected: { code: string; message: string | RegExp }) =>
        expectServiceError(
          t,
          AuthorizeSecurityGroupIngress({ GroupId: groupId, IpPermissions: [permission] }, context),
          expected,
        );
      for (const cidr of ['10.0.0.0/33', '10.0.0/8', '300.0.0.0/8', '10.0.0.0', 'x']) {
        await refused(
          { ...ssh, IpRanges: [{ CidrIp: cidr }] },
          {
            code: 'InvalidParameterValue',
            message: `Value (${cidr}) for parameter cidrIp is invalid. This is not a valid CIDR block.`,
          },
        );
      }
      await refused(
        { ...ssh, IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '2001:db8::/129' }] },
        {
          code: 'InvalidParameterValue',
          message: 'Value (2001:db8::/129) for parameter cidrIpv6 is invalid. This is not a valid IPv6 CIDR block.',
        },
      );
      await refused(
        { ...ssh, IpProtocol: 'gre' },
        { code: 'InvalidParameterValue', message: "Invalid value 'gre' for IP protocol. Unknown protocol." },
      );
      await refused(
        { IpProtocol: 'tcp', IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { code: 'InvalidParameterValue', message: /Must specify both from and to ports with TCP\/UDP/ },
      );
      await refused({ ...ssh, FromPort: 100, ToPort: 99 }, { code: 'InvalidParameterValue', message: /portRange/ });
      await refused({ ...ssh, ToPort: 65536 }, { code: 'InvalidParameterValue', message: /portRange/ });
      await refused({ IpProtocol: 'tcp', FromPort: 1, ToPort: 2 }, { code: 'MissingParameter', message: /IpRanges/ });
      await refused(
        { ...ssh, IpRanges: [{ CidrIp: '1.1.1.1/32', Description: 'ünïcode' }] },
        { code: 'InvalidParameterValue', message: /^Invalid rule description/ },
      );
      await refused(
        { ...ssh, IpRanges: [], UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0' }] },
        groupNotFound('sg-0123456789abcdef0'),
      );
      await refused(
        { ...ssh, IpRanges: [], UserIdGroupPairs: [{ GroupId: 'sg-nothex' }] },
        { code: 'InvalidGroupId.Malformed', message: 'Invalid id: "sg-nothex"' },
      );
      await expectServiceError(t, AuthorizeSecurityGroupIngress({ GroupId: groupId }, context), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter IpPermissions',
      });
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress({ GroupName: 'nope', IpPermissions: [ssh] }, context),
        groupNotFound('nope'),
      );
      t.same((await groupOf(context, groupId))?.IpPermissions, [], 'nothing was added');
    });

    t.test('egress rules', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { GroupId: groupId = '' } = await CreateSecurityGroup({ GroupName: 'g', Description: 'g' }, context);
      await expectServiceError(
        t,
        AuthorizeSecurityGroupEgress({ GroupId: groupId, IpPermissions: [allOut] }, context),
        {
          code: 'InvalidPermission.Duplicate',
          message: 'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists',
        },
      );
      t.same(
        await RevokeSecurityGroupEgress(
          { GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
          context,
        ),
        {
          Return: true,
        },
      );
      t.same((await groupOf(context, groupId))?.IpPermissionsEgress, []);
      const added = await AuthorizeSecurityGroupEgress(
        {
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] }],
        },
        context,
      );
      t.match(added.SecurityGroupRules, [{ IsEgress: true, IpProtocol: 'udp', CidrIpv4: '10.0.0.2/32' }]);
      await expectServiceError(
        t,
        RevokeSecurityGroupIngress(
          { GroupId: groupId, SecurityGroupRuleIds: [added.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? ''] },
          context,
        ),
        { code: 'InvalidSecurityGroupRuleId.NotFound', message: /does not exist/ },
      );
    });

    t.test('DescribeSecurityGroups: ids, names, filters, pages', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const ids: Record<string, string> = {};
      for (const name of ['web', 'db', 'cache', 'batch', 'admin', 'lb']) {
        ids[name] =
          (await CreateSecurityGroup({ GroupName: name, Description: `${name} servers` }, context)).GroupId ?? '';
      }
      await AuthorizeSecurityGroupIngress(
        { GroupName: 'web', IpPermissions: [{ ...ssh, FromPort: 80, ToPort: 80 }] },
        context,
      );
      await AuthorizeSecurityGroupIngress(
        {
          GroupName: 'db',
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupName: 'web' }] },
          ],
        },
        context,
      );
      await AuthorizeSecurityGroupEgress(
        {
          GroupId: ids.lb ?? '',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '172.16.0.0/12' }] }],
        },
        context,
      );
      const names = async (input: Parameters<typeof DescribeSecurityGroups>[0]) =>
        ((await DescribeSecurityGroups(input, context)).SecurityGroups ?? []).map((group) => group.GroupName).sort();
      const filter = (Name: string, ...Values: string[]) => ({ Filters: [{ Name, Values }] });

      t.same(await names({ GroupNames: ['web', 'db'] }), ['db', 'web']);
      t.same(await names({ GroupIds: [ids.cache ?? ''] }), ['cache']);
      t.same(await names(filter('group-name', 'web', 'd*')), ['db', 'default', 'web']);
      t.same(await names(filter('group-id', ids.admin ?? '')), ['admin']);
      t.same(await names(filter('description', 'batch servers')), ['batch']);
      t.equal((await names(filter('owner-id', context.caller.accountId))).length, 7);
      t.same(await names(filter('ip-permission.from-port', '80')), ['web']);
      t.same(await names(filter('ip-permission.to-port', '5432')), ['db']);
      t.same(await names(filter('ip-permission.protocol', 'tcp')), ['db', 'web']);
      t.same(await names(filter('ip-permission.cidr', '10.0.0.0/8')), ['web']);
      t.same(await names(filter('ip-permission.group-id', ids.web ?? '')), ['db']);
      t.same(await names(filter('ip-permission.group-name', 'web')), ['db']);
      t.same(await names(filter('egress.ip-permission.cidr', '172.16.0.0/12')), ['lb']);
      t.equal((await names(filter('egress.ip-permission.cidr', '0.0.0.0/0'))).length, 7);
      await expectServiceError(t, DescribeSecurityGroups(filter('ip-permission.nope', 'x'), context), {
        code: 'InvalidParameterValue',
        message: "The filter 'ip-permission.nope' is invalid",
      });
      await expectServiceError(
        t,
        DescribeSecurityGroups({ GroupNames: ['web', 'nope'] }, context),
        groupNotFound('nope'),
      );
      await expectServiceError(
        t,
        DescribeSecurityGroups({ GroupIds: ['sg-0123456789abcdef0'] }, context),
        groupNotFound('sg-0123456789abcdef0'),
      );
      await expectServiceError(t, DescribeSecurityGroups({ GroupIds: ['sg-x'] }, context), {
        code: 'InvalidGroupId.Malformed',
        message: 'Invalid id: "sg-x"',
      });

      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await DescribeSecurityGroups({ MaxResults: 5, NextToken }, context);
        t.ok((page.SecurityGroups?.length ?? 0) <= 5);
        seen.push(...(page.SecurityGroups ?? []).map((group) => group.GroupName ?? ''));
        NextToken = page.NextToken;
      } while (NextToken);
      t.same(seen.sort(), ['admin', 'batch', 'cache', 'db', 'default', 'lb', 'web'], 'every group once over the pages');
      await expectServiceError(t, DescribeSecurityGroups({ MaxResults: 5, GroupIds: [ids.web ?? ''] }, context), {
        code: 'InvalidParameterCombination',
        message: 'The parameter groupIds cannot be used with the parameter maxResults',
      });

      const rules = await DescribeSecurityGroupRules(
        { Filters: [{ Name: 'group-id', Values: [ids.db ?? ''] }] },
        context,
      );
      t.match(
        [...(rules.SecurityGroupRules ?? [])].sort((a, b) => Number(a.IsEgress) - Number(b.IsEgress)),
        [
          { GroupId: ids.db, IsEgress: false, FromPort: 5432, ReferencedGroupInfo: { GroupId: ids.web } },
          { GroupId: ids.db, IsEgress: true, CidrIpv4: '0.0.0.0/0' },
        ],
        'rules of one group, in rule id order',
      );
      t.equal(rules.SecurityGroupRules?.length, 2);
      const [one] = rules.SecurityGroupRules ?? [];
      t.same(
        (await DescribeSecurityGroupRules({ SecurityGroupRuleIds: [one?.SecurityGroupRuleId ?? ''] }, context))
          .SecurityGroupRules,
        [one],
      );
    });

    t.test('DeleteSecurityGroup: dependencies and members', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const { accountId } = context.caller;
      const { GroupId: webId = '' } = await CreateSecurityGroup({ GroupName: 'web', Description: 'w' }, context);
      const { GroupId: dbId = '' } = await CreateSecurityGroup({ GroupName: 'db', Description: 'd' }, context);
      await AuthorizeSecurityGroupIngress(
        { GroupId: dbId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: webId }] }] },
        context,
      );
      await AuthorizeSecurityGroupIngress(
        { GroupId: webId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: webId }] }] },
        context,
      );
      const dependent = { code: 'DependencyViolation', message: `resource ${webId} has a dependent object` };
      await expectServiceError(t, DeleteSecurityGroup({ GroupId: webId }, context), dependent);
      await DeleteSecurityGroup({ GroupName: 'db' }, context);
      await expectServiceError(t, DeleteSecurityGroup({ GroupId: dbId }, context), groupNotFound(dbId));

      t.same(await resolveGroups(db, accountId, { GroupNames: ['web'], GroupIds: [webId] }), [webId]);
      await expectServiceError(t, resolveGroups(db, accountId, { GroupNames: ['db'] }), groupNotFound('db'));
      await addGroupMember(db, accountId, 'i-0123456789abcdef0', [webId]);
      t.same(await groupsOfMember(db, 'i-0123456789abcdef0'), [webId]);
      await expectServiceError(t, DeleteSecurityGroup({ GroupId: webId }, context), dependent);
      await removeGroupMember(db, 'i-0123456789abcdef0');
      await DeleteSecurityGroup({ GroupId: webId }, context);
      t.same(
        (await DescribeSecurityGroups({}, context)).SecurityGroups?.map((group) => group.GroupName),
        ['default'],
      );
      t.same((await listTagDescriptions(db, accountId)).length, 0);
      const registered = await db
        .selectFrom('ec2_resources')
        .select('resource_type')
        .where('account_id', '=', accountId)
        .execute();
      t.same(
        registered.map((row) => row.resource_type).sort(),
        ['security-group', 'security-group-rule', 'security-group-rule'],
        'only the default group and its two rules are left registered',
      );
      await expectServiceError(t, DeleteSecurityGroup({ GroupName: 'nope' }, context), groupNotFound('nope'));
      await expectServiceError(t, DeleteSecurityGroup({ GroupId: 'sg-12' }, context), {
        code: 'InvalidGroupId.Malformed',
        message: 'Invalid id: "sg-12"',
      });
    });

    t.test('accounts do not see, change or use each other’s groups', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const bob = await accountContext(db, 'bob');
      const { GroupId: aliceGroup = '' } = await CreateSecurityGroup({ GroupName: 'private', Description: 'p' }, alice);
      const bobGroups = (await DescribeSecurityGroups({}, bob)).SecurityGroups ?? [];
      t.same(
        bobGroups.map((group) => group.GroupName),
        ['default'],
        'bob sees only his own default group',
      );
      t.not(
        bobGroups[0]?.GroupId,
        (await DescribeSecurityGroups({ GroupNames: ['default'] }, alice)).SecurityGroups?.[0]?.GroupId,
      );
      await expectServiceError(t, DescribeSecurityGroups({ GroupIds: [aliceGroup] }, bob), groupNotFound(aliceGroup));
      await expectServiceError(t, DeleteSecurityGroup({ GroupId: aliceGroup }, bob), groupNotFound(aliceGroup));
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress({ GroupId: aliceGroup, IpPermissions: [ssh] }, bob),
        groupNotFound(aliceGroup),
      );
      await expectServiceError(
        t,
        RevokeSecurityGroupEgress({ GroupId: aliceGroup, IpPermissions: [allOut] }, bob),
        groupNotFound(aliceGroup),
      );
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress(
          { GroupName: 'default', IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: aliceGroup }] }] },
          bob,
        ),
        groupNotFound(aliceGroup),
      );
      await expectServiceError(
        t,
        AuthorizeSecurityGroupIngress(
          {
            GroupName: 'default',
            IpPermissions: [
              { IpProtocol: '-1', UserIdGroupPairs: [{ GroupName: 'private', UserId: alice.caller.accountId }] },
            ],
          },
          bob,
        ),
        groupNotFound('private'),
      );
      await expectServiceError(
        t,
        resolveGroups(db, bob.caller.accountId, { GroupIds: [aliceGroup] }),
        groupNotFound(aliceGroup),
      );
      const aliceRule =
        (await DescribeSecurityGroupRules({}, alice)).SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? '';
      t.notOk(
        (await DescribeSecurityGroupRules({}, bob)).SecurityGroupRules?.some(
          (rule) => rule.SecurityGroupRuleId === aliceRule,
        ),
      );
      t.ok(await CreateSecurityGroup({ GroupName: 'private', Description: 'mine' }, bob), 'names are per account');
      t.same((await groupOf(alice, aliceGroup))?.IpPermissionsEgress, [allOut], "alice's group is untouched");
    });
  });
}
