import type { RuntimePlatform } from '../bundle.js';
import type { HostDeployment } from '../host-deployment.js';
import { shellQuote } from '../host-layout.js';
import { hashOf, type DeployStep } from '../step.js';

/**
 * Finds up front what would make the deploy fail later: no root, a missing tool, a port some other program holds, a
 * CPU or C library the bundle's binaries cannot run on (discovery found those too, but `--config` skips it). A port
 * held by one of this cloud's own daemons (its command line names this cloud's config folder) is fine.
 */
export function precheckStep(deployment: HostDeployment): DeployStep {
  const ports = deployment.daemons.map((daemon) => daemon.component.port);
  const ownMark = shellQuote(`${deployment.layout.configDir}/`);
  const runtime = deployment.bundle.runtime;
  const command = [
    `[ "$(id -u)" = 0 ] || { echo "needs root (or passwordless sudo)" >&2; exit 1; }`,
    ...(runtime ? platformChecks(runtime) : []),
    `for tool in tar gzip sha256sum setsid; do command -v $tool >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }; done`,
    `busy=''`,
    `for port in ${ports.join(' ')}; do`,
    `  line=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1); [ -n "$line" ] || continue`,
    `  pid=$(printf '%s' "$line" | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p')`,
    `  [ -n "$pid" ] && tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -qF ${ownMark} && continue`,
    `  busy="$busy $port ($(cat /proc/$pid/comm 2>/dev/null || echo unknown) pid \${pid:-?})"`,
    `done`,
    `[ -z "$busy" ] || { echo "port in use:$busy" >&2; exit 1; }`,
  ].join('\n');
  return {
    name: 'precheck',
    inputs: hashOf(ports, deployment.layout.configDir, runtime ?? null),
    actions: [{ kind: 'run', command }],
    async apply(operator) {
      await operator.check(command, { sudo: true });
    },
  };
}

/** Shell lines that fail, saying why, on a host whose CPU or glibc cannot run the bundle's binaries. */
export function platformChecks(runtime: RuntimePlatform): string[] {
  const needs = `the bundle's Node runtime and native modules need ${runtime.machine} and glibc ${runtime.glibc} or newer`;
  return [
    `machine=$(uname -m); [ "$machine" = ${shellQuote(runtime.machine)} ] || { echo "this host is $machine; ${needs}" >&2; exit 1; }`,
    `glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)`,
    `[ -n "$glibc" ] || { echo "no glibc here (musl?); ${needs}" >&2; exit 1; }`,
    `[ "$(printf '%s\\n%s\\n' ${runtime.glibc} "$glibc" | sort -V | head -n 1)" = ${runtime.glibc} ] || { echo "glibc $glibc here; ${needs}" >&2; exit 1; }`,
  ];
}
