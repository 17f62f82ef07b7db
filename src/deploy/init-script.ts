import { shellQuote as q, type HostLayout } from './host-layout.js';
import { supervisorCommand, supervisorRunning, supervisorStopCommand } from './supervisor-command.js';
import { renderTemplate } from './templates.js';

/**
 * Where systemd is not PID 1, the host's init script (`layout.initScript`): at boot a sysvinit host runs its `start`,
 * which does what `cloudctl services start all --host HOST` does (libvirtd first when the host runs an nc on qemu,
 * then the supervisor of the release `current` names, which starts every daemon not held stopped); `stop` stops the
 * supervisor and its daemons; `status` says whether the supervisor runs. `service mallee-CLOUD start` works on any
 * such host, also where nothing runs init scripts at boot (a container).
 */
export function initScript(layout: HostLayout, cloud: string, options: { libvirtd: boolean }): string {
  return renderTemplate('sysvinit/mallee-cloud.init', {
    cloud,
    name: layout.initScriptName ?? `mallee-${cloud}`,
    start: supervisorCommand(layout, 'current', options),
    stop: supervisorStopCommand(layout),
    running: supervisorRunning(layout),
  });
}

/** The tools that link an init script into the runlevels: Debian's, then Red Hat's. */
const withRunlevelTool = (debian: string, redHat: string) =>
  [
    `if command -v update-rc.d >/dev/null 2>&1; then ${debian}`,
    `elif command -v chkconfig >/dev/null 2>&1; then ${redHat}; fi`,
  ].join('\n');

/** Shell that links the init script into the runlevels, so init runs it at boot; nothing for a prefixed install. */
export function registerInitScript(layout: HostLayout): string | undefined {
  const name = layout.initScriptName;
  return name && withRunlevelTool(`update-rc.d ${name} defaults >/dev/null`, `chkconfig --add ${name}`);
}

/** Shell test: the init script is linked to start at boot (true where no tool links it, or for a prefixed install). */
export function initScriptRegistered(layout: HostLayout): string {
  const name = layout.initScriptName;
  if (!name) return 'true';
  return withRunlevelTool(`ls /etc/rc2.d/S??${name} >/dev/null 2>&1`, `ls /etc/rc.d/rc3.d/S??${name} >/dev/null 2>&1`);
}

/** Shell that unlinks the init script from the runlevels and removes it; nothing where there is none (systemd). */
export function removeInitScript(layout: HostLayout): string {
  const name = layout.initScriptName;
  const unlink = name
    ? [withRunlevelTool(`update-rc.d -f ${name} remove >/dev/null 2>&1`, `chkconfig --del ${name} 2>/dev/null`)]
    : [];
  return [`if [ -e ${q(layout.initScript)} ]; then`, ...unlink, `rm -f ${q(layout.initScript)}`, 'fi'].join('\n');
}
