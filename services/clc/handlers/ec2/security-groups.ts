import type {
  AuthorizeSecurityGroupEgressOutputSecurityGroupRule as SecurityGroupRule,
  Ec2Operations,
  IpPermission,
  SecurityGroup,
} from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { ec2Errors } from '../../models/ec2-errors.js';
import { filterItems, paginate, type FilterFields } from '../../models/filters.js';
import {
  authorizeRules,
  createSecurityGroup,
  deleteSecurityGroup,
  listSecurityGroupRules,
  listSecurityGroups,
  revokeRules,
} from '../../models/security-groups.js';
import type { ClcContext } from '../context.js';

/** The `ip-permission.*` filters of one direction (`egress.ip-permission.*` for outbound rules). */
function permissionFilters(
  prefix: string,
  permissionsOf: (group: SecurityGroup) => IpPermission[] | undefined,
  groupNames: Map<string, string>,
): FilterFields<SecurityGroup> {
  const each = <T>(group: SecurityGroup, pick: (permission: IpPermission) => T[]) =>
    (permissionsOf(group) ?? []).flatMap(pick);
  return {
    [`${prefix}.protocol`]: (group) => each(group, (p) => [p.IpProtocol]),
    [`${prefix}.from-port`]: (group) => each(group, (p) => [p.FromPort]),
    [`${prefix}.to-port`]: (group) => each(group, (p) => [p.ToPort]),
    [`${prefix}.cidr`]: (group) => each(group, (p) => (p.IpRanges ?? []).map((range) => range.CidrIp)),
    [`${prefix}.ipv6-cidr`]: (group) => each(group, (p) => (p.Ipv6Ranges ?? []).map((range) => range.CidrIpv6)),
    [`${prefix}.group-id`]: (group) => each(group, (p) => (p.UserIdGroupPairs ?? []).map((pair) => pair.GroupId)),
    [`${prefix}.group-name`]: (group) =>
      each(group, (p) => (p.UserIdGroupPairs ?? []).map((pair) => groupNames.get(pair.GroupId ?? ''))),
    [`${prefix}.user-id`]: (group) => each(group, (p) => (p.UserIdGroupPairs ?? []).map((pair) => pair.UserId)),
    [`${prefix}.prefix-list-id`]: (group) =>
      each(group, (p) => (p.PrefixListIds ?? []).map((list) => list.PrefixListId)),
  };
}

function securityGroupFilters(groupNames: Map<string, string>): FilterFields<SecurityGroup> {
  return {
    'group-id': (group) => group.GroupId,
    'group-name': (group) => group.GroupName,
    description: (group) => group.Description,
    'owner-id': (group) => group.OwnerId,
    'vpc-id': (group) => group.VpcId,
    ...permissionFilters('ip-permission', (group) => group.IpPermissions, groupNames),
    ...permissionFilters('egress.ip-permission', (group) => group.IpPermissionsEgress, groupNames),
  };
}

const ruleFilters: FilterFields<SecurityGroupRule> = {
  'group-id': (rule) => rule.GroupId,
  'security-group-rule-id': (rule) => rule.SecurityGroupRuleId,
};

export const securityGroupHandlers = {
  async CreateSecurityGroup(input, { db, caller }) {
    return createSecurityGroup(db, caller.accountId, input);
  },
  async DescribeSecurityGroups(input, { db, caller }) {
    if (input.MaxResults !== undefined && (input.GroupIds?.length ?? 0) > 0) {
      throw ec2Errors.idsWithMaxResults('groupIds');
    }
    const groups = await listSecurityGroups(db, caller.accountId, input);
    const names = new Map(
      (input.GroupIds || input.GroupNames ? await listSecurityGroups(db, caller.accountId) : groups).map((group) => [
        group.GroupId ?? '',
        group.GroupName ?? '',
      ]),
    );
    const matching = filterItems(groups, input.Filters, securityGroupFilters(names), { tagsOf: (group) => group.Tags });
    const page = paginate(matching, (group) => group.GroupId ?? '', input, { min: 5, max: 1000 });
    return { SecurityGroups: page.items, NextToken: page.NextToken };
  },
  async DeleteSecurityGroup(input, { db, caller }) {
    await deleteSecurityGroup(db, caller.accountId, input);
  },
  async AuthorizeSecurityGroupIngress(input, { db, caller }) {
    return { Return: true, SecurityGroupRules: await authorizeRules(db, caller.accountId, 'ingress', input) };
  },
  async AuthorizeSecurityGroupEgress(input, { db, caller }) {
    return { Return: true, SecurityGroupRules: await authorizeRules(db, caller.accountId, 'egress', input) };
  },
  async RevokeSecurityGroupIngress(input, { db, caller }) {
    await revokeRules(db, caller.accountId, 'ingress', input);
    return { Return: true };
  },
  async RevokeSecurityGroupEgress(input, { db, caller }) {
    await revokeRules(db, caller.accountId, 'egress', input);
    return { Return: true };
  },
  async DescribeSecurityGroupRules(input, { db, caller }) {
    if (input.MaxResults !== undefined && (input.SecurityGroupRuleIds?.length ?? 0) > 0) {
      throw ec2Errors.idsWithMaxResults('securityGroupRuleIds');
    }
    const rules = await listSecurityGroupRules(db, caller.accountId, input);
    const matching = filterItems(rules, input.Filters, ruleFilters, { tagsOf: (rule) => rule.Tags });
    const page = paginate(matching, (rule) => rule.SecurityGroupRuleId ?? '', input, { min: 5, max: 1000 });
    return { SecurityGroupRules: page.items, NextToken: page.NextToken };
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
