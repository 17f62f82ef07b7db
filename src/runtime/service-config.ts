import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const componentNames = ['clc', 'walrus', 'cc', 'sc', 'nc'] as const;
export type ComponentName = (typeof componentNames)[number];

/**
 * The file each daemon starts from (`main.js --config FILE`), written by `cloudctl local up` or the installer.
 * Paths are absolute. YAML or JSON.
 */
export interface ServiceConfig {
  component: ComponentName;
  /** This daemon's name in logs and status, e.g. `cc-zone-a`. */
  name: string;
  /** Port 0 picks a free port; the daemon reports the one it got (see ready message). */
  listen: { host: string; port: number };
  /**
   * PEM files: the cloud CA, this host's certificate and key (signed by that CA), and the CA's revocation list, which
   * peers' certificates are checked against when it is given.
   */
  tls: { ca: string; cert: string; key: string; crl?: string };
  dataDir: string;
  region: string;
  /** cc, sc and nc serve one zone. */
  zone?: string;
  /** nc only: the libvirt URI. */
  hypervisor?: string;
  /** URLs of the components this one talks to, by role. */
  peers?: Partial<Record<ComponentName, string | string[]>>;
  /** How long in-flight requests may take to finish after SIGTERM. */
  shutdownGraceSeconds?: number;
  /**
   * How long a client may send nothing while its request's body is still due (default 60): then it is answered
   * RequestTimeout, as S3 does. A request as a whole has no deadline: a large upload takes what its link needs.
   */
  requestIdleSeconds?: number;
  logLevel?: string;
  /** Component-specific settings (credentials of the first admin, database URL ...). */
  settings?: Record<string, unknown>;
}

export class ServiceConfigError extends Error {}

export function readServiceConfig(path: string): ServiceConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ServiceConfigError(`cannot read service config ${path}: ${(error as Error).message}`);
  }
  const config = raw as Partial<ServiceConfig> | null;
  const missing = (['component', 'name', 'listen', 'tls', 'dataDir', 'region'] as const).filter(
    (key) => config?.[key] === undefined,
  );
  if (!config || missing.length > 0) {
    throw new ServiceConfigError(`service config ${path} lacks ${missing.join(', ')}`);
  }
  if (!componentNames.includes(config.component as ComponentName)) {
    throw new ServiceConfigError(`service config ${path}: unknown component "${config.component}"`);
  }
  return config as ServiceConfig;
}
