import { join } from 'node:path';
import type { HostDeployment } from '../host-deployment.js';
import { hashOf, type DeployStep } from '../step.js';
import { filesInPlace, writeChangedFiles, type HostFile } from './config.js';

/**
 * The cloud CA, its revocation list and this host's certificate (issued on the installer side, from
 * ~/.mallee/CLOUD/pki); key 0600. A new revocation list changes the step's inputs, so every host gets it, and the
 * daemons restart on it (see start).
 */
export function certificatesStep(deployment: HostDeployment): DeployStep {
  const { layout, tls } = deployment;
  const files: HostFile[] = [
    { path: join(layout.tlsDir, 'ca.pem'), content: tls?.ca ?? '', mode: 0o644 },
    { path: join(layout.tlsDir, 'crl.pem'), content: tls?.crl ?? '', mode: 0o644 },
    { path: join(layout.tlsDir, 'host.pem'), content: tls?.cert ?? '', mode: 0o644 },
    { path: join(layout.tlsDir, 'host-key.pem'), content: tls?.key ?? '', mode: 0o600 },
  ];
  return {
    name: 'certificates',
    inputs: hashOf(files),
    actions: files.map((file) => ({ kind: 'file', path: file.path, mode: file.mode })),
    inPlace: (operator) => filesInPlace(operator, files),
    async apply(operator) {
      if (!tls) throw new Error('no certificates were issued for this host');
      if (!tls.crl) throw new Error('the cloud CA has no revocation list (crl.pem) to give this host');
      return (await writeChangedFiles(operator, files)) > 0 ? 'changed' : 'unchanged';
    },
  };
}
