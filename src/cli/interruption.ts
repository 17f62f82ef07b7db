/**
 * Turns the first Ctrl-C (SIGINT) or SIGTERM into an aborted signal, whose reason is the signal's name, so a long
 * command can stop cleanly and say where it stopped. Its listeners are gone after the first one, so a second Ctrl-C
 * ends the process at once, as Node does by default.
 */
export function interruptionSignal(onFirst: (signal: NodeJS.Signals) => void): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const names = ['SIGINT', 'SIGTERM'] as const;
  const dispose = () => names.forEach((name) => process.off(name, interrupt));
  function interrupt(name: NodeJS.Signals) {
    dispose();
    onFirst(name);
    controller.abort(name);
  }
  names.forEach((name) => process.on(name, interrupt));
  return { signal: controller.signal, dispose };
}
