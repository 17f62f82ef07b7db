import { renderTable } from '../cli/table.js';
import type { AdminAccount } from './admin-client.js';

export function formatAccounts(accounts: AdminAccount[]): string {
  if (accounts.length === 0) return 'No accounts.';
  const rows = accounts.map((a) => [a.accountId, a.accountName, a.status, new Date(a.createdAt).toISOString()]);
  return renderTable(['ACCOUNT ID', 'NAME', 'STATUS', 'CREATED'], rows);
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
