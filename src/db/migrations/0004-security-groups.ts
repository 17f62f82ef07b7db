import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * Security groups, their rules, and what is in each group (instances, so a group in use cannot be deleted). A rule's
 * `rule_key` spells out everything that makes two rules the same (direction, protocol, ports, peer), so the database
 * itself refuses a duplicate, also from two requests at once.
 */
export const securityGroupsMigration: SchemaMigration = {
  name: '0004-security-groups',
  async up(db, dialect) {
    await db.schema
      .createTable('security_groups')
      .addColumn('group_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('group_name', binaryText(dialect), (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('security_groups_name', ['account_id', 'group_name'])
      .execute();

    await db.schema
      .createTable('security_group_rules')
      .addColumn('rule_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('group_id', binaryText(dialect), (col) => col.notNull().references('security_groups.group_id'))
      .addColumn('account_id', 'text', (col) => col.notNull())
      .addColumn('is_egress', 'integer', (col) => col.notNull())
      .addColumn('ip_protocol', 'text', (col) => col.notNull())
      .addColumn('from_port', 'integer', (col) => col.notNull())
      .addColumn('to_port', 'integer', (col) => col.notNull())
      .addColumn('cidr_ipv4', 'text')
      .addColumn('cidr_ipv6', 'text')
      .addColumn('referenced_group_id', binaryText(dialect))
      .addColumn('description', 'text')
      .addColumn('rule_key', binaryText(dialect), (col) => col.notNull())
      .addColumn('position', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('security_group_rules_key', ['group_id', 'rule_key'])
      .execute();
    await db.schema
      .createIndex('security_group_rules_account')
      .on('security_group_rules')
      .column('account_id')
      .execute();
    await db.schema
      .createIndex('security_group_rules_referenced')
      .on('security_group_rules')
      .column('referenced_group_id')
      .execute();

    await db.schema
      .createTable('security_group_members')
      .addColumn('group_id', binaryText(dialect), (col) => col.notNull().references('security_groups.group_id'))
      .addColumn('member_id', binaryText(dialect), (col) => col.notNull())
      .addColumn('account_id', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('security_group_members_pk', ['group_id', 'member_id'])
      .execute();
    await db.schema
      .createIndex('security_group_members_member')
      .on('security_group_members')
      .column('member_id')
      .execute();
  },
};
