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
  const tarball = `${release}.tar.gz`;
  const q = shellQuote;
  const unpack = [
    `cd ${q(layout.releases)}`,
    `echo "${bundle.sha256 ?? '<sha256>'}  ${bundle.hash}.tar.gz" | sha256sum -c --quiet -`,
    `rm -rf ${bundle.hash}.tmp && mkdir ${bundle.hash}.tmp`,
    `tar -xzf ${bundle.hash}.tar.gz -C ${bundle.hash}.tmp`,
    `touch ${bundle.hash}.tmp/.mallee-release && rm -rf ${bundle.hash} && mv ${bundle.hash}.tmp ${bundle.hash}`,
    `rm -f ${bundle.hash}.tar.gz`,
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
      { kind: 'file', path: tarball, mode: 0o644, from: bundle.tarball },
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
        await operator.putFile(bundle.tarball, tarball, { mode: 0o644, sudo: true });
        progress('checking and unpacking');
        await operator.check(unpack, { sudo: true, timeoutMs: 10 * 60_000 });
      }
      await operator.check(activate, { sudo: true });
    },
  };
}
