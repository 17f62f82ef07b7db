import { randomInt } from 'node:crypto';
import { generateAccessKey } from '../../../src/cloud/credentials.js';

export { generateAccessKey };

/** IAM's unique ids and access key ids use the RFC 4648 base32 alphabet. */
const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 12 random digits. */
export function generateAccountId(): string {
  return String(randomInt(0, 1e12)).padStart(12, '0');
}

/** `AIDA` and 17 base32 characters, the form of an IAM user's `UserId`. */
export function generateUserId(): string {
  let id = 'AIDA';
  while (id.length < 21) id += base32[randomInt(base32.length)];
  return id;
}

export function userArn(accountId: string, path: string, userName: string): string {
  return `arn:aws:iam::${accountId}:user${path}${userName}`;
}

export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}
