import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Operator } from '../../operators/operator.js';
import { unpackCommand, type Bundle } from '../bundle.js';
import type { HostDeployment } from '../host-deployment.js';
import { shellQuote, type HostLayout } from '../host-layout.js';
import type { DeployStep } from '../step.js';

/** How a release gets onto a host and becomes its `current` one: shell commands, each safe to repeat. */
export function releaseCommands(layout: HostLayout, bundle: Bundle) {
  const release = join(layout.releases, bundle.hash);
  // Names of this run's own upload and unpack folder: a killed earlier run may still be unpacking beside it.
  const run = randomBytes(4).toString('hex');
  const upload = `${bundle.hash}.${run}.bundle`;
  const unpacking = `${bundle.hash}.${run}.tmp`;
  const q = shellQuote;
  const unpack = [
    `cd ${q(layout.releases)}`,
    // openssl (there with ca-certificates) hashes with the CPU's SHA instructions, several times sha256sum's speed.
    `sum=$(if command -v openssl >/dev/null; then openssl dgst -sha256 -r ${upload}; else sha256sum ${upload}; fi | cut -d' ' -f1)`,
    `{ [ "$sum" = "${bundle.sha256 ?? '<sha256>'}" ] || { echo "${upload}: sha256 $sum, not the bundle's ${bundle.sha256 ?? '<sha256>'}" >&2; exit 1; }; }`,
    `mkdir ${unpacking} && ${unpackCommand(bundle.tarball, upload, unpacking)} && rm -f ${upload}`,
    `touch ${unpacking}/.mallee-release`,
    `if [ -f ${bundle.hash}/.mallee-release ]; then rm -rf ${unpacking}; else rm -rf ${bundle.hash} && mv -T ${unpacking} ${bundle.hash}; fi`,
  ].join(' && ');
  const activate = [
    `previous=$(readlink ${q(layout.current)} 2>/dev/null | xargs -r basename)`,
    `ln -sfn ${q(release)} ${q(layout.current)}.tmp && mv -T ${q(layout.current)}.tmp ${q(layout.current)}`,
    `for old in ${q(layout.releases)}/*; do case "$(basename "$old")" in ${bundle.hash}|"$previous") ;; *) rm -rf "$old" ;; esac; done`,
    // Copies an interrupted run left half-written (the operator writes a file under a hidden temp name first).
    `rm -f ${q(layout.releases)}/.*.mallee-*.tmp`,
  ].join('\n');
  const isUnpacked = `test -f ${q(release)}/.mallee-release`;
  return { release, upload, unpack, activate, isUnpacked };
}

/**
 * Copies the release to the host and unpacks it beside the others (nothing when it is already there), without
 * making it `current` or removing any release: what an upgrade does on every host before it restarts anything.
 */
export async function stageRelease(
  operator: Operator,
  layout: HostLayout,
  bundle: Bundle,
  progress: (line: string) => void = () => undefined,
): Promise<void> {
  const { upload, unpack, isUnpacked } = releaseCommands(layout, bundle);
  if ((await operator.run(isUnpacked)).exitCode === 0) return;
  await operator.check(`mkdir -p ${shellQuote(layout.releases)}`, { sudo: true });
  progress(`copying the bundle ${bundle.hash}`);
  await operator.putFile(bundle.tarball, join(layout.releases, upload), { mode: 0o644, sudo: true });
  progress('checking and unpacking');
  await operator.check(unpack, { sudo: true, timeoutMs: 10 * 60_000 });
}

/** Points `current` at the release and removes releases other than it and the one `current` named before. */
export async function activateRelease(operator: Operator, layout: HostLayout, bundle: Bundle): Promise<void> {
  await operator.check(releaseCommands(layout, bundle).activate, { sudo: true });
}

/**
 * Puts the release on the host: copies the tarball (skipped when the release is already unpacked), checks its
 * sha256, unpacks it beside its final name and renames it into place, then points `current` at it. Every stage is
 * safe to repeat after a kill; releases other than the new and the previous one are removed.
 */
export function bundleStep(deployment: HostDeployment): DeployStep {
  const { layout, bundle } = deployment;
  const { release, upload, unpack, activate, isUnpacked } = releaseCommands(layout, bundle);
  const q = shellQuote;
  return {
    name: 'bundle',
    inputs: bundle.hash,
    actions: [
      { kind: 'run', command: isUnpacked },
      { kind: 'file', path: join(layout.releases, upload), mode: 0o644, from: bundle.tarball },
      { kind: 'run', command: unpack },
      { kind: 'run', command: activate },
    ],
    async inPlace(operator) {
      const target = await operator.run(`readlink ${q(layout.current)}`);
      return target.stdout.trim() === release && (await operator.run(isUnpacked)).exitCode === 0;
    },
    async apply(operator, progress) {
      await stageRelease(operator, layout, bundle, progress);
      await activateRelease(operator, layout, bundle);
    },
  };
}
