import type { HostDeployment } from '../host-deployment.js';
import { hashOf, type DeployStep } from '../step.js';

/** System packages by package manager: what every host needs, what an nc needs, and what real VMs need. */
const packageSets = {
  'apt-get': {
    base: ['ca-certificates', 'tar', 'gzip', 'zstd', 'iproute2'],
    node: ['libvirt0', 'genisoimage'],
    vms: ['libvirt-daemon-system', 'libvirt-clients', 'qemu-system-x86', 'qemu-utils'],
  },
  dnf: {
    base: ['ca-certificates', 'tar', 'gzip', 'zstd', 'iproute'],
    node: ['libvirt-libs', 'genisoimage'],
    vms: ['libvirt-daemon-kvm', 'libvirt-client', 'qemu-kvm', 'qemu-img'],
  },
} as const;

export function packagesFor(deployment: HostDeployment): string[] {
  const manager = deployment.probe.packageManager ?? 'apt-get';
  const sets = packageSets[manager];
  const nodes = deployment.daemons.filter((daemon) => daemon.component.component === 'nc');
  const vms = nodes.some(
    (daemon) => 'hypervisor' in daemon.component && daemon.component.hypervisor.startsWith('qemu'),
  );
  return [...sets.base, ...(nodes.length > 0 ? sets.node : []), ...(vms ? sets.vms : [])];
}

/** Installs only the packages that are missing, with apt-get or dnf; nothing to do when all are there. */
export function packagesStep(deployment: HostDeployment): DeployStep {
  const manager = deployment.probe.packageManager ?? 'apt-get';
  const packages = packagesFor(deployment);
  // One dpkg-query (or rpm) for every package, not one per package: this runs on every re-run.
  const missingCommand =
    manager === 'apt-get'
      ? [
          `installed=" $(dpkg-query -W -f='\${Package} \${Status}\n' ${packages.join(' ')} 2>/dev/null | sed -n 's/ install ok installed$//p' | tr '\n' ' ') "`,
          `for p in ${packages.join(' ')}; do case "$installed" in *" $p "*) ;; *) echo $p ;; esac; done`,
        ].join('\n')
      : `rpm -q --qf '%{NAME}\n' ${packages.join(' ')} >/dev/null 2>&1 || for p in ${packages.join(' ')}; do rpm -q --quiet $p || echo $p; done`;
  const install = (missing: string[]) =>
    manager === 'apt-get'
      ? `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${missing.join(' ')} || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${missing.join(' ')}; }`
      : `dnf install -y -q ${missing.join(' ')}`;
  const missingOn = async (operator: Parameters<DeployStep['apply']>[0]) =>
    (await operator.check(missingCommand)).stdout.split('\n').filter(Boolean);
  return {
    name: 'packages',
    inputs: hashOf(manager, packages),
    actions: [
      { kind: 'run', command: missingCommand },
      { kind: 'run', command: install(['<each missing package>']) },
    ],
    async inPlace(operator) {
      return (await missingOn(operator)).length === 0;
    },
    async apply(operator, progress) {
      const missing = await missingOn(operator);
      if (missing.length === 0) return 'unchanged';
      if (!deployment.probe.packageManager) {
        throw new Error(`no apt-get or dnf to install ${missing.join(', ')}`);
      }
      progress(`installing ${missing.join(' ')}`);
      await operator.check(install(missing), { sudo: true, timeoutMs: 15 * 60_000 });
    },
  };
}
