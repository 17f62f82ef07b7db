/**
 * Shell printing PID 1's name, then `inittab` when /etc/inittab exists and each runlevel tool present (update-rc.d,
 * chkconfig): what `classifyInit` reads. Read-only; always exits 0.
 */
export const initProbe = [
  'cat /proc/1/comm 2>/dev/null',
  '[ -f /etc/inittab ] && echo inittab',
  'for tool in update-rc.d chkconfig; do command -v $tool >/dev/null 2>&1 && echo $tool; done; true',
].join('; ');

/**
 * What starts Mallee's daemons when the host boots: systemd (PID 1; the installer gives it units), sysvinit (PID 1
 * is init with an inittab, and update-rc.d or chkconfig links the init script the installer writes into the
 * runlevels), or nothing (a container whose PID 1 is something else, busybox's init): there, only a command does.
 */
export type BootStarter = 'systemd' | 'sysvinit' | 'none';

/** Reads `initProbe`'s lines (PID 1's name first; other lines after them are ignored). */
export function classifyInit(lines: readonly string[]): { pid1?: string; bootStarter: BootStarter } {
  const pid1 = lines[0]?.trim() || undefined;
  const has = (word: string) => lines.slice(1).some((line) => line.trim() === word);
  const bootStarter =
    pid1 === 'systemd'
      ? 'systemd'
      : pid1 === 'init' && has('inittab') && (has('update-rc.d') || has('chkconfig'))
        ? 'sysvinit'
        : 'none';
  return { ...(pid1 && { pid1 }), bootStarter };
}
