import { isIPv4, isIPv6 } from 'node:net';
import type { Kysely, Selectable } from 'kysely';
import type {
  AuthorizeSecurityGroupEgressOutputSecurityGroupRule as SecurityGroupRule,
  CreateSecurityGroupOutput,
  IpPermission,
  SecurityGroup,
  Tag,
  TagSpecification,
} from '../../../src/aws/generated/ec2-types.js';
import { commonErrors } from '../../../src/aws/service-error.js';
import type { Database, SecurityGroupRulesTable, SecurityGroupsTable } from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { assertResourceId, newResourceId } from './ec2-ids.js';
import { applyTagSpecifications, registerResource, tagsOf, unregisterResource } from './resources.js';

/**
 * Security groups as a VPC has them, without requiring a VPC: every account has a `default` group (created the first
 * time anything asks for the account's groups, as AWS shows the default VPC's group), groups have inbound and
 * outbound rules, each rule one protocol and port range from one peer (an IPv4 or IPv6 CIDR, or another group of the
 * same account), each with an `sgr-` id. A group of another account is reported missing, exactly as one that does
 * not exist.
 */

type Db = Kysely<Database>;
type GroupRow = Selectable<SecurityGroupsTable>;
type RuleRow = Selectable<SecurityGroupRulesTable>;

export const defaultGroupName = 'default';
const defaultGroupDescription = 'default VPC security group';

/** EC2's limits on names and descriptions of groups and rules. */
export const groupTextMaxLength = 255;

/** The characters EC2 allows in a VPC security group's name and description, and in a rule's description. */
const groupTextCharacters = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

export interface GroupReference {
  GroupId?: string;
  GroupName?: string;
}

export interface CreateSecurityGroupRequest {
  GroupName: string;
  Description: string;
  VpcId?: string;
  TagSpecifications?: TagSpecification[];
}

/** The rule members `AuthorizeSecurityGroupIngress`/`Egress` and their `Revoke` twins share. */
export interface RuleRequest extends GroupReference {
  IpPermissions?: IpPermission[];
  /** The legacy flat form of one permission. */
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  CidrIp?: string;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
  TagSpecifications?: TagSpecification[];
  SecurityGroupRuleIds?: string[];
}

export type Direction = 'ingress' | 'egress';

/** The account's `default` group, created with its rules the first time it is asked for; returns its id. */
export async function ensureDefaultGroup(db: Db, accountId: string): Promise<string> {
  const existing = await findGroupByName(db, accountId, defaultGroupName);
  if (existing) return existing.group_id;
  return withTransaction(db, async (trx) => {
    const groupId = newResourceId('security-group');
    const inserted = await trx
      .insertInto('security_groups')
      .values({
        group_id: groupId,
        account_id: accountId,
        group_name: defaultGroupName,
        description: defaultGroupDescription,
        created_at: new Date().toISOString(),
      })
      // Two first requests at once: the other one created it.
      .onConflict((oc) => oc.columns(['account_id', 'group_name']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      const created = await findGroupByName(trx, accountId, defaultGroupName);
      if (!created) throw new Error('default security group vanished');
      return created.group_id;
    }
    await registerResource(trx, accountId, 'security-group', groupId);
    // As AWS's default groups: all traffic from members of the group itself, and out to anywhere.
    await insertRules(trx, accountId, groupId, [
      allTraffic(false, { kind: 'group', groupId }),
      allTraffic(true, { kind: 'ipv4', cidr: '0.0.0.0/0' }),
    ]);
    return groupId;
  });
}

export async function createSecurityGroup(
  db: Db,
  accountId: string,
  input: CreateSecurityGroupRequest,
): Promise<CreateSecurityGroupOutput> {
  const name = input.GroupName;
  checkGroupText('GroupName', name);
  checkGroupText('GroupDescription', input.Description);
  if (name.toLowerCase().startsWith('sg-')) {
    throw ec2Errors.invalidParameterValue('Group names may not be in the format sg-*');
  }
  if (name === defaultGroupName) {
    throw ec2Errors.invalidParameterValue(`Cannot use reserved security group name: ${defaultGroupName}`);
  }
  if (input.VpcId !== undefined) throw ec2Errors.notFound('InvalidVpcID.NotFound', 'vpc ID', input.VpcId);
  await ensureDefaultGroup(db, accountId);
  const groupId = newResourceId('security-group');
  try {
    await withTransaction(db, async (trx) => {
      if (await findGroupByName(trx, accountId, name)) throw ec2Errors.groupDuplicate(name);
      await registerResource(trx, accountId, 'security-group', groupId);
      await trx
        .insertInto('security_groups')
        .values({
          group_id: groupId,
          account_id: accountId,
          group_name: name,
          description: input.Description,
          created_at: new Date().toISOString(),
        })
        .execute();
      await insertRules(trx, accountId, groupId, [allTraffic(true, { kind: 'ipv4', cidr: '0.0.0.0/0' })]);
      await applyTagSpecifications(trx, accountId, 'security-group', groupId, input.TagSpecifications);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw ec2Errors.groupDuplicate(name);
    throw error;
  }
  const tags = (await tagsOf(db, accountId, [groupId])).get(groupId) ?? [];
  return { GroupId: groupId, ...(tags.length > 0 && { Tags: tags }) };
}

/**
 * The account's groups in id order (the default one included), or exactly those named by id or name (both lists
 * narrow together); one that matches none is `InvalidGroup.NotFound`.
 */
export async function listSecurityGroups(
  db: Db,
  accountId: string,
  input: { GroupIds?: readonly string[]; GroupNames?: readonly string[] } = {},
): Promise<SecurityGroup[]> {
  await ensureDefaultGroup(db, accountId);
  const ids = input.GroupIds ?? [];
  const names = input.GroupNames ?? [];
  for (const id of ids) assertResourceId('security-group', id);
  let query = db.selectFrom('security_groups').selectAll().where('account_id', '=', accountId);
  if (ids.length > 0) query = query.where('group_id', 'in', [...ids]);
  if (names.length > 0) query = query.where('group_name', 'in', [...names]);
  const groups = await query.orderBy('group_id').execute();
  const missing =
    ids.find((id) => !groups.some((group) => group.group_id === id)) ??
    names.find((name) => !groups.some((group) => group.group_name === name));
  if (missing !== undefined) throw groupNotFound(missing);

  const rules = await db
    .selectFrom('security_group_rules')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('position')
    .execute();
  const tags = await tagsOf(
    db,
    accountId,
    groups.map((group) => group.group_id),
  );
  return groups.map((group) => {
    const own = rules.filter((rule) => rule.group_id === group.group_id);
    return {
      GroupId: group.group_id,
      GroupName: group.group_name,
      Description: group.description,
      OwnerId: accountId,
      IpPermissions: permissionsOf(own.filter((rule) => rule.is_egress === 0)),
      IpPermissionsEgress: permissionsOf(own.filter((rule) => rule.is_egress === 1)),
      Tags: tags.get(group.group_id) ?? [],
    };
  });
}

/**
 * Deletes a group and its rules. The default group cannot be deleted, nor a group another group's rules name, nor
 * one with members (instances).
 */
export async function deleteSecurityGroup(db: Db, accountId: string, reference: GroupReference): Promise<void> {
  await ensureDefaultGroup(db, accountId);
  await withTransaction(db, async (trx) => {
    const group = await requireGroup(trx, accountId, reference);
    if (group.group_name === defaultGroupName) throw ec2Errors.cannotDeleteGroup(group.group_id, group.group_name);
    const referencing = await trx
      .selectFrom('security_group_rules')
      .select('rule_id')
      .where('referenced_group_id', '=', group.group_id)
      .where('group_id', '!=', group.group_id)
      .executeTakeFirst();
    const member = await trx
      .selectFrom('security_group_members')
      .select('member_id')
      .where('group_id', '=', group.group_id)
      .executeTakeFirst();
    if (referencing || member) throw ec2Errors.dependencyViolation(`resource ${group.group_id} has a dependent object`);
    const rules = await trx
      .selectFrom('security_group_rules')
      .select('rule_id')
      .where('group_id', '=', group.group_id)
      .execute();
    await trx.deleteFrom('security_group_rules').where('group_id', '=', group.group_id).execute();
    for (const rule of rules) await unregisterResource(trx, rule.rule_id);
    await trx.deleteFrom('security_groups').where('group_id', '=', group.group_id).execute();
    await unregisterResource(trx, group.group_id);
  });
}

/** Adds rules, all or none: one that exists already (whatever its description) is `InvalidPermission.Duplicate`. */
export async function authorizeRules(
  db: Db,
  accountId: string,
  direction: Direction,
  input: RuleRequest,
): Promise<SecurityGroupRule[]> {
  await ensureDefaultGroup(db, accountId);
  for (const specification of input.TagSpecifications ?? []) {
    if (specification.ResourceType !== 'security-group-rule') {
      throw ec2Errors.invalidParameterValue(
        `'${specification.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
  }
  let added: RuleRow[] = [];
  let first: Rule | undefined;
  try {
    added = await withTransaction(db, async (trx) => {
      const group = await requireGroup(trx, accountId, input);
      const rules = await requestedRules(trx, accountId, group, direction === 'egress', input);
      const keys = new Set<string>();
      for (const rule of rules) {
        if (keys.has(ruleKey(rule))) throw ec2Errors.permissionDuplicate(describeRule(rule));
        keys.add(ruleKey(rule));
        const clash = await trx
          .selectFrom('security_group_rules')
          .select('rule_id')
          .where('group_id', '=', group.group_id)
          .where('rule_key', '=', ruleKey(rule))
          .executeTakeFirst();
        if (clash) throw ec2Errors.permissionDuplicate(describeRule(rule));
      }
      first = rules[0];
      const rows = await insertRules(trx, accountId, group.group_id, rules);
      for (const row of rows) {
        await applyTagSpecifications(trx, accountId, 'security-group-rule', row.rule_id, input.TagSpecifications);
      }
      return rows;
    });
  } catch (error) {
    // Another request added one of the rules at the same moment.
    if (isUniqueViolation(error) && first) throw ec2Errors.permissionDuplicate(describeRule(first));
    throw error;
  }
  const tags = await tagsOf(
    db,
    accountId,
    added.map((row) => row.rule_id),
  );
  return added.map((row) => ruleOf(row, tags.get(row.rule_id)));
}

/**
 * Removes rules, all or none, named by their permissions (descriptions do not matter) or by their ids; one that is
 * not there is `InvalidPermission.NotFound`.
 */
export async function revokeRules(db: Db, accountId: string, direction: Direction, input: RuleRequest): Promise<void> {
  await ensureDefaultGroup(db, accountId);
  const isEgress = direction === 'egress';
  await withTransaction(db, async (trx) => {
    const group = await requireGroup(trx, accountId, input);
    const ruleIds = input.SecurityGroupRuleIds ?? [];
    const doomed: string[] = [];
    for (const id of ruleIds) {
      assertResourceId('security-group-rule', id);
      const row = await trx
        .selectFrom('security_group_rules')
        .select('rule_id')
        .where('rule_id', '=', id)
        .where('group_id', '=', group.group_id)
        .where('is_egress', '=', isEgress ? 1 : 0)
        .executeTakeFirst();
      if (!row) throw ec2Errors.notFound('InvalidSecurityGroupRuleId.NotFound', 'security group rule ID', id);
      doomed.push(row.rule_id);
    }
    if (ruleIds.length === 0 || hasPermissions(input)) {
      for (const rule of await requestedRules(trx, accountId, group, isEgress, input)) {
        const row = await trx
          .selectFrom('security_group_rules')
          .select('rule_id')
          .where('group_id', '=', group.group_id)
          .where('rule_key', '=', ruleKey(rule))
          .executeTakeFirst();
        if (!row) throw ec2Errors.permissionNotFound();
        doomed.push(row.rule_id);
      }
    }
    for (const id of new Set(doomed)) {
      await trx.deleteFrom('security_group_rules').where('rule_id', '=', id).execute();
      await unregisterResource(trx, id);
    }
  });
}

/** Every rule of the account, or exactly those named, in id order, as `DescribeSecurityGroupRules` lists them. */
export async function listSecurityGroupRules(
  db: Db,
  accountId: string,
  input: { SecurityGroupRuleIds?: readonly string[] } = {},
): Promise<SecurityGroupRule[]> {
  await ensureDefaultGroup(db, accountId);
  const ids = input.SecurityGroupRuleIds ?? [];
  for (const id of ids) assertResourceId('security-group-rule', id);
  let query = db.selectFrom('security_group_rules').selectAll().where('account_id', '=', accountId);
  if (ids.length > 0) query = query.where('rule_id', 'in', [...ids]);
  const rows = await query.orderBy('rule_id').execute();
  const missing = ids.find((id) => !rows.some((row) => row.rule_id === id));
  if (missing !== undefined) {
    throw ec2Errors.notFound('InvalidSecurityGroupRuleId.NotFound', 'security group rule ID', missing);
  }
  const tags = await tagsOf(
    db,
    accountId,
    rows.map((row) => row.rule_id),
  );
  return rows.map((row) => ruleOf(row, tags.get(row.rule_id) ?? []));
}

/**
 * The ids of the account's groups named by id or name, for launching an instance into them: without either, the
 * default group's, as `RunInstances` does. Throws `InvalidGroup.NotFound` for one the account does not have.
 */
export async function resolveGroups(
  db: Db,
  accountId: string,
  input: { GroupIds?: readonly string[]; GroupNames?: readonly string[] },
): Promise<string[]> {
  const ids = input.GroupIds ?? [];
  const names = input.GroupNames ?? [];
  const defaultId = await ensureDefaultGroup(db, accountId);
  if (ids.length === 0 && names.length === 0) return [defaultId];
  const groups = await listSecurityGroupRows(db, accountId, ids, names);
  const resolved: string[] = [];
  for (const id of ids) {
    if (!groups.some((group) => group.group_id === id)) throw groupNotFound(id);
    resolved.push(id);
  }
  for (const name of names) {
    const group = groups.find((candidate) => candidate.group_name === name);
    if (!group) throw groupNotFound(name);
    resolved.push(group.group_id);
  }
  return [...new Set(resolved)];
}

/** Puts a member (an instance) in groups of the same account; a group with members cannot be deleted. */
export async function addGroupMember(db: Db, accountId: string, memberId: string, groupIds: readonly string[]) {
  await withTransaction(db, async (trx) => {
    for (const groupId of new Set(groupIds)) {
      await trx
        .insertInto('security_group_members')
        .values({ group_id: groupId, member_id: memberId, account_id: accountId })
        .onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing())
        .execute();
    }
  });
}

/** Takes a member (a terminated instance) out of all its groups. */
export async function removeGroupMember(db: Db, memberId: string): Promise<void> {
  await db.deleteFrom('security_group_members').where('member_id', '=', memberId).execute();
}

/** The groups a member is in, in id order. */
export async function groupsOfMember(db: Db, memberId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('security_group_members')
    .select('group_id')
    .where('member_id', '=', memberId)
    .orderBy('group_id')
    .execute();
  return rows.map((row) => row.group_id);
}

async function listSecurityGroupRows(
  db: Db,
  accountId: string,
  ids: readonly string[],
  names: readonly string[],
): Promise<GroupRow[]> {
  for (const id of ids) assertResourceId('security-group', id);
  return db
    .selectFrom('security_groups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        ...(ids.length > 0 ? [eb('group_id', 'in', [...ids])] : []),
        ...(names.length > 0 ? [eb('group_name', 'in', [...names])] : []),
      ]),
    )
    .execute();
}

function findGroupByName(db: Db, accountId: string, name: string): Promise<GroupRow | undefined> {
  return db
    .selectFrom('security_groups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('group_name', '=', name)
    .executeTakeFirst();
}

async function requireGroup(db: Db, accountId: string, reference: GroupReference): Promise<GroupRow> {
  if (reference.GroupId !== undefined) {
    assertResourceId('security-group', reference.GroupId);
    const row = await db
      .selectFrom('security_groups')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('group_id', '=', reference.GroupId)
      .executeTakeFirst();
    if (!row) throw groupNotFound(reference.GroupId);
    return row;
  }
  if (reference.GroupName !== undefined) {
    const row = await findGroupByName(db, accountId, reference.GroupName);
    if (!row) throw groupNotFound(reference.GroupName);
    return row;
  }
  throw commonErrors.missingParameter('GroupId');
}

function groupNotFound(idOrName: string) {
  return ec2Errors.notFound('InvalidGroup.NotFound', 'security group', idOrName);
}

function checkGroupText(parameter: string, value: string): void {
  if (value.length === 0) throw commonErrors.missingParameter(parameter);
  if (value.length > groupTextMaxLength) {
    throw commonErrors.invalidParameterValue(
      parameter,
      value,
      `Length exceeds maximum of ${groupTextMaxLength} characters.`,
    );
  }
  if (!groupTextCharacters.test(value)) {
    throw commonErrors.invalidParameterValue(
      parameter,
      value,
      'Valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*',
    );
  }
}

type Peer = { kind: 'ipv4'; cidr: string } | { kind: 'ipv6'; cidr: string } | { kind: 'group'; groupId: string };

interface Rule {
  isEgress: boolean;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or another protocol number. */
  protocol: string;
  fromPort: number;
  toPort: number;
  peer: Peer;
  description?: string;
}

function allTraffic(isEgress: boolean, peer: Peer): Rule {
  return { isEgress, protocol: '-1', fromPort: -1, toPort: -1, peer };
}

/** What makes two rules the same rule. */
function ruleKey(rule: Rule): string {
  const peer =
    rule.peer.kind === 'group' ? `group:${rule.peer.groupId}` : `${rule.peer.kind}:${rule.peer.cidr.toLowerCase()}`;
  return [rule.isEgress ? 'egress' : 'ingress', rule.protocol, rule.fromPort, rule.toPort, peer].join('|');
}

/** EC2's description of a rule in errors: `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`. */
function describeRule(rule: Rule): string {
  const peer = rule.peer.kind === 'group' ? rule.peer.groupId : rule.peer.cidr;
  if (rule.protocol === '-1') return `peer: ${peer}, ALL, ALLOW`;
  const protocol = rule.protocol.toUpperCase();
  if (hasPorts(rule.protocol)) {
    const [from, to] = isIcmp(rule.protocol) ? ['type', 'code'] : ['from port', 'to port'];
    return `peer: ${peer}, ${protocol}, ${from}: ${rule.fromPort}, ${to}: ${rule.toPort}, ALLOW`;
  }
  return `peer: ${peer}, ${protocol}, ALLOW`;
}

async function insertRules(db: Db, accountId: string, groupId: string, rules: readonly Rule[]): Promise<RuleRow[]> {
  const rows: RuleRow[] = [];
  const createdAt = new Date().toISOString();
  const last = await db
    .selectFrom('security_group_rules')
    .select((eb) => eb.fn.max('position').as('position'))
    .where('group_id', '=', groupId)
    .executeTakeFirst();
  let position = Number(last?.position ?? 0);
  for (const rule of rules) {
    const row: RuleRow = {
      rule_id: newResourceId('security-group-rule'),
      group_id: groupId,
      account_id: accountId,
      is_egress: rule.isEgress ? 1 : 0,
      ip_protocol: rule.protocol,
      from_port: rule.fromPort,
      to_port: rule.toPort,
      cidr_ipv4: rule.peer.kind === 'ipv4' ? rule.peer.cidr : null,
      cidr_ipv6: rule.peer.kind === 'ipv6' ? rule.peer.cidr : null,
      referenced_group_id: rule.peer.kind === 'group' ? rule.peer.groupId : null,
      description: rule.description ?? null,
      rule_key: ruleKey(rule),
      position: ++position,
      created_at: createdAt,
    };
    await registerResource(db, accountId, 'security-group-rule', row.rule_id);
    await db.insertInto('security_group_rules').values(row).execute();
    rows.push(row);
  }
  return rows;
}

function hasPermissions(input: RuleRequest): boolean {
  return (
    (input.IpPermissions?.length ?? 0) > 0 ||
    input.IpProtocol !== undefined ||
    input.CidrIp !== undefined ||
    input.SourceSecurityGroupName !== undefined ||
    input.FromPort !== undefined ||
    input.ToPort !== undefined
  );
}

/** The rules a request names: its `IpPermissions`, or the legacy flat members as one permission. */
async function requestedRules(
  db: Db,
  accountId: string,
  group: GroupRow,
  isEgress: boolean,
  input: RuleRequest,
): Promise<Rule[]> {
  const flat =
    input.IpProtocol !== undefined ||
    input.CidrIp !== undefined ||
    input.SourceSecurityGroupName !== undefined ||
    input.FromPort !== undefined ||
    input.ToPort !== undefined;
  const permissions = [...(input.IpPermissions ?? [])];
  if (flat && permissions.length > 0) {
    throw commonErrors.invalidParameterCombination(
      'The parameter IpPermissions cannot be used with the parameters IpProtocol, FromPort, ToPort, CidrIp or ' +
        'SourceSecurityGroupName',
    );
  }
  if (flat) {
    permissions.push({
      IpProtocol: input.IpProtocol ?? '-1',
      FromPort: input.FromPort,
      ToPort: input.ToPort,
      ...(input.CidrIp !== undefined && { IpRanges: [{ CidrIp: input.CidrIp }] }),
      ...(input.SourceSecurityGroupName !== undefined && {
        UserIdGroupPairs: [{ GroupName: input.SourceSecurityGroupName, UserId: input.SourceSecurityGroupOwnerId }],
      }),
    });
  }
  if (permissions.length === 0) throw commonErrors.missingParameter('IpPermissions');
  const rules: Rule[] = [];
  for (const permission of permissions) {
    const { protocol, fromPort, toPort } = protocolAndPorts(permission);
    const add = (peer: Peer, description: string | undefined) => {
      if (description !== undefined) checkRuleDescription(description);
      rules.push({ isEgress, protocol, fromPort, toPort, peer, ...(description !== undefined && { description }) });
    };
    const before = rules.length;
    for (const range of permission.IpRanges ?? []) {
      add({ kind: 'ipv4', cidr: checkIpv4Cidr(range.CidrIp) }, range.Description);
    }
    for (const range of permission.Ipv6Ranges ?? []) {
      add({ kind: 'ipv6', cidr: checkIpv6Cidr(range.CidrIpv6) }, range.Description);
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      add({ kind: 'group', groupId: await peerGroupId(db, accountId, group, pair) }, pair.Description);
    }
    if ((permission.PrefixListIds?.length ?? 0) > 0) {
      throw ec2Errors.invalidParameterValue('Prefix lists are not supported by this cloud');
    }
    if (rules.length === before) {
      throw commonErrors.missingParameter('IpPermissions.N.IpRanges, Ipv6Ranges or UserIdGroupPairs');
    }
  }
  return rules;
}

/** A rule may name only groups of its own account (by id, or by name). */
async function peerGroupId(
  db: Db,
  accountId: string,
  group: GroupRow,
  pair: { GroupId?: string; GroupName?: string; UserId?: string },
): Promise<string> {
  const named = pair.GroupId ?? pair.GroupName;
  if (named === undefined) throw commonErrors.missingParameter('UserIdGroupPairs.N.GroupId');
  if (pair.UserId !== undefined && pair.UserId !== accountId) throw groupNotFound(named);
  if (pair.GroupId === group.group_id || (pair.GroupId === undefined && pair.GroupName === group.group_name)) {
    return group.group_id;
  }
  return (await requireGroup(db, accountId, pair.GroupId !== undefined ? { GroupId: pair.GroupId } : pair)).group_id;
}

const protocolNames: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

function protocolAndPorts(permission: IpPermission): { protocol: string; fromPort: number; toPort: number } {
  const raw = (permission.IpProtocol ?? '').trim().toLowerCase();
  let protocol: string;
  if (raw === '-1' || raw === 'all') protocol = '-1';
  else if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(raw)) protocol = raw;
  else if (/^\d{1,3}$/.test(raw) && Number(raw) <= 255)
    protocol = protocolNames[String(Number(raw))] ?? String(Number(raw));
  else
    throw ec2Errors.invalidParameterValue(
      `Invalid value '${permission.IpProtocol ?? ''}' for IP protocol. Unknown protocol.`,
    );

  if (!hasPorts(protocol)) return { protocol, fromPort: -1, toPort: -1 };
  if (isIcmp(protocol)) {
    const type = permission.FromPort ?? -1;
    const code = permission.ToPort ?? -1;
    if (!Number.isInteger(type) || type < -1 || type > 255 || !Number.isInteger(code) || code < -1 || code > 255) {
      throw ec2Errors.invalidParameterValue(
        `Invalid value for portRange. ICMP type ${type} or code ${code} is out of range.`,
      );
    }
    if (type === -1 && code !== -1) {
      throw ec2Errors.invalidParameterValue(
        'Invalid value for portRange. If you specify all ICMP types, you must specify all codes.',
      );
    }
    return { protocol, fromPort: type, toPort: code };
  }
  const { FromPort: from, ToPort: to } = permission;
  if (from === undefined || to === undefined) {
    throw ec2Errors.invalidParameterValue(
      'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.',
    );
  }
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || from > to) {
    throw ec2Errors.invalidParameterValue(
      `Invalid value for portRange. The ports must be between 0 and 65535 and the from port (${from}) at most the to port (${to}).`,
    );
  }
  return { protocol, fromPort: from, toPort: to };
}

function hasPorts(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp' || isIcmp(protocol);
}

function isIcmp(protocol: string): boolean {
  return protocol === 'icmp' || protocol === 'icmpv6';
}

function checkIpv4Cidr(cidr: string | undefined): string {
  const [address, prefix, ...rest] = (cidr ?? '').split('/');
  const valid =
    rest.length === 0 &&
    address !== undefined &&
    isIPv4(address) &&
    prefix !== undefined &&
    /^\d{1,2}$/.test(prefix) &&
    Number(prefix) <= 32;
  if (!valid) throw commonErrors.invalidParameterValue('cidrIp', cidr ?? '', 'This is not a valid CIDR block.');
  return `${address}/${Number(prefix)}`;
}

function checkIpv6Cidr(cidr: string | undefined): string {
  const [address, prefix, ...rest] = (cidr ?? '').split('/');
  const valid =
    rest.length === 0 &&
    address !== undefined &&
    isIPv6(address) &&
    prefix !== undefined &&
    /^\d{1,3}$/.test(prefix) &&
    Number(prefix) <= 128;
  if (!valid) throw commonErrors.invalidParameterValue('cidrIpv6', cidr ?? '', 'This is not a valid IPv6 CIDR block.');
  return `${address.toLowerCase()}/${Number(prefix)}`;
}

function checkRuleDescription(description: string): void {
  if (description.length > groupTextMaxLength || !groupTextCharacters.test(description)) {
    throw ec2Errors.invalidParameterValue(
      'Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  ' +
        'a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*',
    );
  }
}

/** Rules as `IpPermissions`: one permission per protocol and port range, in the order the rules were added. */
function permissionsOf(rules: readonly RuleRow[]): IpPermission[] {
  const permissions = new Map<
    string,
    Required<Pick<IpPermission, 'IpRanges' | 'Ipv6Ranges' | 'UserIdGroupPairs' | 'PrefixListIds'>> & IpPermission
  >();
  for (const rule of rules) {
    const key = `${rule.ip_protocol}|${rule.from_port}|${rule.to_port}`;
    let permission = permissions.get(key);
    if (!permission) {
      permission = {
        IpProtocol: rule.ip_protocol,
        ...(hasPorts(rule.ip_protocol) && { FromPort: rule.from_port, ToPort: rule.to_port }),
        IpRanges: [],
        Ipv6Ranges: [],
        UserIdGroupPairs: [],
        PrefixListIds: [],
      };
      permissions.set(key, permission);
    }
    const description = rule.description === null ? {} : { Description: rule.description };
    if (rule.cidr_ipv4 !== null) permission.IpRanges.push({ CidrIp: rule.cidr_ipv4, ...description });
    if (rule.cidr_ipv6 !== null) permission.Ipv6Ranges.push({ CidrIpv6: rule.cidr_ipv6, ...description });
    if (rule.referenced_group_id !== null) {
      permission.UserIdGroupPairs.push({ GroupId: rule.referenced_group_id, UserId: rule.account_id, ...description });
    }
  }
  return [...permissions.values()];
}

function ruleOf(row: RuleRow, tags: Tag[] | undefined): SecurityGroupRule {
  return {
    SecurityGroupRuleId: row.rule_id,
    GroupId: row.group_id,
    GroupOwnerId: row.account_id,
    IsEgress: row.is_egress === 1,
    IpProtocol: row.ip_protocol,
    FromPort: row.from_port,
    ToPort: row.to_port,
    ...(row.cidr_ipv4 !== null && { CidrIpv4: row.cidr_ipv4 }),
    ...(row.cidr_ipv6 !== null && { CidrIpv6: row.cidr_ipv6 }),
    ...(row.referenced_group_id !== null && {
      ReferencedGroupInfo: { GroupId: row.referenced_group_id, UserId: row.account_id },
    }),
    ...(row.description !== null && { Description: row.description }),
    Tags: tags ?? [],
  };
}
