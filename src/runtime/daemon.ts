import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { createLogger, startService, type ComponentDefinition } from './service.js';
import { readServiceConfig } from './service-config.js';

/** What a daemon tells the process that launched it (over the IPC channel, when there is one). */
export type ReadyMessage = { ready: true; url: string; port: number; pid: number } | { ready: false; error: string };

/**
 * The `main` of every daemon in services/: `node services/NAME/main.js --config FILE`. Starts the component,
 * reports readiness to a launching supervisor, and on SIGTERM or SIGINT finishes in-flight requests and exits 0.
 */
export async function runDaemon(component: ComponentDefinition): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) {
    process.stderr.write(`usage: main.js --config FILE\n${component.describe}\n`);
    process.exit(2);
  }
  let log: Logger | undefined;
  try {
    const config = readServiceConfig(values.config);
    log = createLogger(config);
    const service = await startService(config, component, log);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        service.shutdown(signal).then(
          () => process.exit(0),
          (error: Error) => {
            service.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
    tellLauncher({ ready: true, url: service.url, port: service.port, pid: process.pid });
  } catch (error) {
    const message = (error as Error).message;
    if (log) log.fatal({ err: error }, 'failed to start');
    else process.stderr.write(`failed to start: ${message}\n`);
    tellLauncher({ ready: false, error: message });
    process.exitCode = 1;
  }
}

function tellLauncher(message: ReadyMessage): void {
  if (!process.send) return;
  process.send(message, () => process.disconnect());
}
