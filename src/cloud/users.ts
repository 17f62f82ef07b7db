import type { Column } from '../cli/list-output.js';
import { adminCall, asList } from './admin-client.js';
import type { CloudFile } from './cloud-file.js';

/** An IAM user as the clc's admin interface returns it (wsdl/admin.wsdl `User`). */
export interface AdminUser {
  accountName: string;
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createdAt: Date;
}

export async function listUsers(cloud: CloudFile, accountName: string): Promise<AdminUser[]> {
  return asList((await adminCall<{ users?: AdminUser | AdminUser[] }>(cloud, 'ListUsers', { accountName })).users);
}

export async function createUser(cloud: CloudFile, accountName: string, userName: string): Promise<AdminUser> {
  return (await adminCall<{ user: AdminUser }>(cloud, 'CreateUser', { accountName, userName })).user;
}

export async function deleteUser(
  cloud: CloudFile,
  accountName: string,
  userName: string,
  force: boolean,
): Promise<AdminUser> {
  return (await adminCall<{ user: AdminUser }>(cloud, 'DeleteUser', { accountName, userName, force })).user;
}

export const userColumns: Column<AdminUser>[] = [
  { header: 'USER', cell: (u) => u.userName },
  { header: 'USER ID', cell: (u) => u.userId },
  { header: 'ARN', cell: (u) => u.arn },
  { header: 'CREATED', cell: (u) => new Date(u.createdAt).toISOString() },
];
