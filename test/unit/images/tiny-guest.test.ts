import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { requireStaticBusybox } from '../../../src/images/tiny-guest.js';

// The smoke test's guest runs busybox as its init with no C library beside it: a dynamic busybox (Debian's `busybox`
// package) or none at all must stop the build with the package to install, not boot a guest that never prints.
const dir = mkdtempSync(join(tmpdir(), 'mallee-tiny-guest-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a statically linked busybox (busybox-static, installed by install.sh and CI) passes', async (t) => {
  t.doesNotThrow(() => requireStaticBusybox('/bin/busybox'));
});

t.test('a dynamically linked program is refused with the package that fixes it', async (t) => {
  t.throws(() => requireStaticBusybox('/bin/ls'), /\/bin\/ls is dynamic: install Debian's busybox-static/);
});

t.test('a missing busybox is refused with the package that fixes it', async (t) => {
  t.throws(
    () => requireStaticBusybox(join(dir, 'busybox')),
    /busybox, which is missing: install Debian's busybox-static/,
  );
});

t.test('a file that is not an ELF program says so', async (t) => {
  const script = join(dir, 'script');
  writeFileSync(script, '#!/bin/sh\necho hi\n');
  t.throws(() => requireStaticBusybox(script), /not a 64-bit little-endian ELF program/);
});
