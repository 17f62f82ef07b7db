import { renderList, type Column, type ListFormat } from '../cli/list-output.js';
import type { AdminAccount } from './admin-client.js';

export const accountColumns: Column<AdminAccount>[] = [
  { header: 'ACCOUNT ID', cell: (a) => a.accountId },
  { header: 'NAME', cell: (a) => a.accountName },
  { header: 'STATUS', cell: (a) => a.status },
  { header: 'CREATED', cell: (a) => new Date(a.createdAt).toISOString() },
];

export function formatAccounts(accounts: AdminAccount[], format: ListFormat = 'table'): string {
  return renderList(accounts, accountColumns, format, 'No accounts.');
}

export function formatCreatedAccount(
  account: AdminAccount,
  key: { accessKeyId: string; secretAccessKey: string },
): string {
  return [
    `Created account ${account.accountName} (${account.accountId}).`,
    'Its root access key (shown once; keep the secret safe):',
    `  access key id      ${key.accessKeyId}`,
    `  secret access key  ${key.secretAccessKey}`,
  ].join('\n');
}
