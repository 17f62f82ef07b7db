import { chmodSync, closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file that holds a secret (a private key, credentials): created 0600 from the start so it is never
 * readable by others, written to a temporary name, fsynced and renamed so a crash leaves the old file or the new one.
 */
export function writeSecretFile(path: string, contents: string | Uint8Array): void {
  writeFileAtomically(path, contents, 0o600);
}

export function writeFileAtomically(path: string, contents: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof contents === 'string' ? Buffer.from(contents) : contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

/**
 * The first half of replacing `path` with a file written some other way (a copy, a program's output): its temporary
 * sibling, created with `mode` so its bytes are never readable by others. `finishAtomically` puts it in place.
 */
export function startAtomically(path: string, mode: number): string {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  closeSync(openSync(temporary, 'w', mode));
  return temporary;
}

/** Flushes the written temporary file to disk and renames it over `path`: a crash leaves the old file or the new. */
export function finishAtomically(temporary: string, path: string, mode: number): void {
  const fd = openSync(temporary, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

/** `writeFileAtomically` of a file's contents, copied by the kernel rather than read into memory. */
export function copyFileAtomically(source: string, path: string, mode = 0o644): void {
  const temporary = startAtomically(path, mode);
  copyFileSync(source, temporary);
  finishAtomically(temporary, path, mode);
}
