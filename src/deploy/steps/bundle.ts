import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { HostDeployment } from '../host-deployment.js';
import { shellQuote } from '../host-layout.js';
import type { DeployStep } from '../step.js';

/**
 * Puts the release on the host: copies the tarball (skipped when the release is already unpacked), checks its
 * sha256, unpacks it beside its final name and renames it into place, then points `current` at it. Every stage is
 * safe to repeat after a kill; releases other than the new and the previous one are removed.
 */
export function bundleStep(deployment: HostDeployment): DeployStep {
  const { layout, bundle } = deployment;
  const release = join(layout.releases, bundle.hash);
  // Names of this run's own upload and unpack folder: a killed earlier run may still be unpacking beside it.
  const run = randomBytes(4).toString('hex');
  const upload = `${bundle.hash}.${run}.tar.gz`;
  const unpacking = `${bundle.hash}.${run}.tmp`;
  const q = shellQuote;
  const unpack = [
    `cd ${q(layout.releases)}`,
    `echo "${bundle.sha256 ?? '<sha256>'}  ${upload}" | sha256sum -c --quiet -`,
    `mkdir ${unpacking} && tar -xzf ${upload} -C ${unpacking} && rm -f ${upload}`,
    `touch ${unpacking}/.mallee-release`,
    `if [ -f ${bundle.hash}/.mallee-release ]; then rm -rf ${unpacking}; else rm -rf ${bundle.hash} && mv -T ${unpacking} ${bundle.hash}; fi`,
  ].join(' && ');
  const activate = [
    `previous=$(readlink ${q(layout.current)} 2>/dev/null | xargs -r basename)`,
    `ln -sfn ${q(release)} ${q(layout.current)}.tmp && mv -T ${q(layout.current)}.tmp ${q(layout.current)}`,
    `for old in ${q(layout.releases)}/*; do case "$(basename "$old")" in ${bundle.hash}|"$previous") ;; *) rm -rf "$old" ;; esac; done`,
  ].join('\n');
  const isUnpacked = `test -f ${q(release)}/.mallee-release`;
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
      if ((await operator.run(isUnpacked)).exitCode !== 0) {
        await operator.check(`mkdir -p ${q(layout.releases)}`, { sudo: true });
        progress(`copying the bundle ${bundle.hash}`);
        await operator.putFile(bundle.tarball, join(layout.releases, upload), { mode: 0o644, sudo: true });
        progress('checking and unpacking');
        await operator.check(unpack, { sudo: true, timeoutMs: 10 * 60_000 });
      }
      await operator.check(activate, { sudo: true });
    },
  };
}
