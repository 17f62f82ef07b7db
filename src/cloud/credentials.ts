import { randomBytes, randomInt } from 'node:crypto';

const keyIdAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key in AWS's shape: a 20-character id starting `AKIA` and a 40-character secret. */
export function generateAccessKey(): { accessKeyId: string; secretAccessKey: string } {
  let id = 'AKIA';
  while (id.length < 20) id += keyIdAlphabet[randomInt(keyIdAlphabet.length)];
  const secretAccessKey = randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
  return { accessKeyId: id, secretAccessKey };
}
