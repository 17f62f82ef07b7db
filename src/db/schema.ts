/**
 * The cloud controller's tables as Kysely sees them. Column names are snake_case, as they are in SQL; every type is
 * one both SQLite and PostgreSQL store the same way: text for ids, names and enums, ISO 8601 text (UTC, milliseconds)
 * for times, so they sort as text and need no dialect-specific date handling. Each migration that adds a table adds
 * its interface here.
 */
export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  access_keys: AccessKeysTable;
}

/** Account states, as AWS Organizations spells them. */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED';

/** Access key states, as IAM spells them. */
export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccountsTable {
  /** 12 digits. */
  account_id: string;
  /** Unique across the cloud. */
  account_name: string;
  status: AccountStatus;
  created_at: string;
}

export interface UsersTable {
  /** `AIDA` and 17 characters; unique across the cloud, as IAM's are. */
  user_id: string;
  account_id: string;
  /** As the user was created. */
  user_name: string;
  /** Lower-cased: IAM names are unique regardless of case. Unique per account; also the listing order. */
  user_name_key: string;
  path: string;
  created_at: string;
}

export interface AccessKeysTable {
  access_key_id: string;
  account_id: string;
  /** `null` for the account's root keys. */
  user_id: string | null;
  secret_access_key: string;
  status: AccessKeyStatus;
  created_at: string;
}
