import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { writeFileAtomically, writeSecretFile } from '../util/secret-file.js';
import { checkHostName, hostSubjectAltNames } from './addresses.js';
import {
  createCloudCa,
  createRevocationList,
  issueHostCertificate,
  type PemPair,
  type RevokedCertificate,
} from './certificate-authority.js';
import { describeCertificate, isSignedBy, type CertificateDescription } from './describe-certificate.js';

/** One certificate in the store, described. */
export interface CertInfo extends CertificateDescription {
  /** `ca` for the cloud CA, otherwise the host name. */
  name: string;
  kind: 'ca' | 'host';
  path: string;
}

export type HostCertificateAction = 'created' | 'renewed' | 'kept';

export interface EnsureHostResult {
  hostName: string;
  action: HostCertificateAction;
  /** Why the certificate was issued, renewed or kept, in a few words. */
  reason: string;
  certificate: CertInfo;
}

/** PEM strings in the shape `tls.createServer` and `https.request` take them. */
export interface HostCredentials {
  ca: string;
  cert: string;
  key: string;
  /** The CA's revocation list, when the store has one (every store `init` opened does). */
  crl?: string;
}

/** A revoked host certificate, as `revoked.json` records it. */
export interface RevokedHost extends RevokedCertificate {
  hostName: string;
}

export interface PkiStoreOptions {
  /** The clock; tests move it. */
  now?: () => Date;
  hostValidDays?: number;
}

/** A certificate that expires within this many days is renewed by `ensureHost`. */
export const RENEW_WITHIN_DAYS = 30;

/**
 * The cloud CA and the host certificates in one folder: `ca.pem`, `ca-key.pem`, `hosts/<name>.pem`,
 * `hosts/<name>-key.pem`. Keys are written 0600, certificates 0644. Each key is written before its certificate, so the
 * certificate file is the commit point: a crash in between leaves a pair that `ensureHost` notices and renews.
 * Revoked certificates are listed in `revoked.json`, and `crl.pem` is the CA's signed list of them, which every
 * daemon checks its peers' certificates against.
 */
export class PkiStore {
  private constructor(
    readonly dir: string,
    /** Whether `init` created the CA (false: an existing CA was kept). */
    readonly caCreated: boolean,
    private readonly options: PkiStoreOptions,
  ) {}

  /** Opens the store, creating the CA first if the folder has none. Never replaces an existing CA. */
  static async init(dir: string, cloudName: string, options: PkiStoreOptions = {}): Promise<PkiStore> {
    const caPath = join(dir, 'ca.pem');
    let created = false;
    if (!existsSync(caPath)) {
      const ca = await createCloudCa({ cloudName, now: options.now?.() });
      writeSecretFile(join(dir, 'ca-key.pem'), ca.keyPem);
      writeFileAtomically(caPath, ca.certPem);
      created = true;
    }
    const store = new PkiStore(dir, created, options);
    // A store from before revocation lists gets its (empty) one here.
    if (!existsSync(store.crlPath)) await store.writeRevocationList(store.revokedHosts());
    return store;
  }

  /** Opens a store that must already hold a CA. */
  static open(dir: string, options: PkiStoreOptions = {}): PkiStore {
    if (!existsSync(join(dir, 'ca.pem'))) {
      throw new CliError(
        'notFound',
        `No cloud CA in ${dir} (no ca.pem).`,
        'Create it with `faststart certs --dir DIR --cloud-name NAME --host NAME=ADDRESS`.',
      );
    }
    return new PkiStore(dir, false, options);
  }

  get caCertPath(): string {
    return join(this.dir, 'ca.pem');
  }

  caCertificatePem(): string {
    return readFileSync(this.caCertPath, 'utf8');
  }

  get crlPath(): string {
    return join(this.dir, 'crl.pem');
  }

  /** The certificates revoked so far, oldest first. */
  revokedHosts(): RevokedHost[] {
    const path = this.revokedPath;
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RevokedHost[]) : [];
  }

  /**
   * Revokes the certificate of a host that leaves the cloud: its serial joins the revocation list (the list is
   * written first), then its certificate and key are deleted here, which commits it. Peers refuse it once
   * they have the new list, which the installer's certificates step gives every host. Revoking a host that has no
   * certificate changes nothing; revoking one twice lists it once.
   */
  async revokeHost(hostName: string): Promise<RevokedHost | undefined> {
    checkHostName(hostName);
    const certPath = this.hostCertPath(hostName);
    if (!existsSync(certPath)) return undefined;
    const serialNumber = new NodeCertificate(readFileSync(certPath, 'utf8')).serialNumber.toLowerCase();
    const revoked = this.revokedHosts();
    let entry = revoked.find((known) => known.serialNumber === serialNumber);
    if (!entry) {
      entry = { hostName, serialNumber, revokedAt: this.now().toISOString() };
      revoked.push(entry);
    }
    await this.writeRevocationList(revoked);
    rmSync(this.hostKeyPath(hostName), { force: true });
    rmSync(certPath, { force: true });
    return entry;
  }

  /**
   * Makes sure `hostName` has a usable certificate for `addresses` (plus its own name and loopback): issues one if
   * there is none, renews it if it lacks an address, is not signed by this CA, does not match its key or expires
   * within RENEW_WITHIN_DAYS; otherwise keeps it.
   */
  async ensureHost(hostName: string, addresses: readonly string[]): Promise<EnsureHostResult> {
    checkHostName(hostName);
    const wanted = hostSubjectAltNames(hostName, addresses);
    const reason = this.reasonToReissue(hostName, wanted);
    if (reason === undefined) {
      const certificate = this.describeHost(hostName);
      return { hostName, action: 'kept', reason: `valid for ${certificate.daysLeft} more days`, certificate };
    }
    return this.writeHost(hostName, wanted, reason);
  }

  /**
   * Issues a new certificate for `hostName` whatever the state of the old one. Without addresses, the old
   * certificate's addresses are reused (a plain renewal).
   */
  async issueHost(hostName: string, addresses: readonly string[] = []): Promise<EnsureHostResult> {
    checkHostName(hostName);
    const existing = existsSync(this.hostCertPath(hostName)) ? this.describeHost(hostName) : undefined;
    if (addresses.length === 0 && !existing) {
      throw new CliError(
        'usage',
        `There is no certificate for "${hostName}" to renew, and no addresses were given for a new one.`,
        'Give the addresses the host is reached at, e.g. --address 10.0.0.5 --address node1.example.org.',
      );
    }
    const wanted = hostSubjectAltNames(hostName, addresses.length > 0 ? addresses : (existing?.sans ?? []));
    return this.writeHost(hostName, wanted, existing ? 'renewal asked for' : 'no certificate yet');
  }

  /** The CA, certificate and key of a host, ready for node:tls; fails if the pair is missing or mismatched. */
  hostCredentials(hostName: string): HostCredentials {
    checkHostName(hostName);
    const certPath = this.hostCertPath(hostName);
    const keyPath = this.hostKeyPath(hostName);
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      throw new CliError(
        'notFound',
        `No certificate for host "${hostName}" in ${this.dir}.`,
        `Issue one with \`cloudctl certs issue ${hostName} --address ADDRESS\`.`,
      );
    }
    const cert = readFileSync(certPath, 'utf8');
    const key = readFileSync(keyPath, 'utf8');
    if (!keyMatches(cert, key)) {
      throw new CliError(
        'invalidConfig',
        `The certificate and key of host "${hostName}" do not belong together.`,
        `Issue a new pair with \`cloudctl certs issue ${hostName}\`.`,
      );
    }
    const crl = existsSync(this.crlPath) ? readFileSync(this.crlPath, 'utf8') : undefined;
    return { ca: this.caCertificatePem(), cert, key, ...(crl !== undefined && { crl }) };
  }

  /** Host names that have a certificate, sorted. */
  hostNames(): string[] {
    const hostsDir = join(this.dir, 'hosts');
    if (!existsSync(hostsDir)) return [];
    return readdirSync(hostsDir)
      .filter((file) => file.endsWith('.pem') && !file.endsWith('-key.pem'))
      .map((file) => file.slice(0, -'.pem'.length))
      .sort();
  }

  /** The CA, then every host certificate by name. */
  list(): CertInfo[] {
    const caPem = this.caCertificatePem();
    const ca: CertInfo = {
      name: 'ca',
      kind: 'ca',
      path: this.caCertPath,
      ...describeCertificate(caPem, { caPem, now: this.now() }),
    };
    return [ca, ...this.hostNames().map((hostName) => this.describeHost(hostName, caPem))];
  }

  private reasonToReissue(hostName: string, wanted: string[]): string | undefined {
    const certPath = this.hostCertPath(hostName);
    if (!existsSync(certPath)) return 'no certificate yet';
    const certPem = readFileSync(certPath, 'utf8');
    const keyPath = this.hostKeyPath(hostName);
    if (!existsSync(keyPath) || !keyMatches(certPem, readFileSync(keyPath, 'utf8'))) return 'key missing or mismatched';
    if (!isSignedBy(new NodeCertificate(certPem), new NodeCertificate(this.caCertificatePem()))) {
      return 'not signed by this cloud CA';
    }
    const current = describeCertificate(certPem, { now: this.now() });
    const missing = wanted.filter((address) => !current.sans.includes(address));
    if (missing.length > 0) return `lacks ${missing.join(', ')}`;
    if (current.daysLeft < 0) return `expired ${-current.daysLeft} days ago`;
    if (current.daysLeft < RENEW_WITHIN_DAYS) return `expires in ${current.daysLeft} days`;
    return undefined;
  }

  private async writeHost(hostName: string, addresses: string[], reason: string): Promise<EnsureHostResult> {
    const certPath = this.hostCertPath(hostName);
    const action: HostCertificateAction = existsSync(certPath) ? 'renewed' : 'created';
    const pair = await issueHostCertificate(this.caPair(), {
      hostName,
      addresses,
      validDays: this.options.hostValidDays,
      now: this.now(),
    });
    writeSecretFile(this.hostKeyPath(hostName), pair.keyPem);
    writeFileAtomically(certPath, pair.certPem);
    return { hostName, action, reason, certificate: this.describeHost(hostName) };
  }

  /** `revoked.json`, then `crl.pem` from it (a crash in between: revoking the host again completes it). */
  private async writeRevocationList(revoked: readonly RevokedHost[]): Promise<void> {
    writeFileAtomically(this.revokedPath, `${JSON.stringify(revoked, null, 2)}\n`);
    writeFileAtomically(this.crlPath, await createRevocationList(this.caPair(), revoked, this.now()));
  }

  private get revokedPath(): string {
    return join(this.dir, 'revoked.json');
  }

  private caPair(): PemPair {
    const keyPath = join(this.dir, 'ca-key.pem');
    if (!existsSync(keyPath)) {
      throw new CliError(
        'notFound',
        `The cloud CA's private key (${keyPath}) is missing, so no certificate can be issued.`,
        'Run this on the host that holds ca-key.pem, or restore it from a backup.',
      );
    }
    return { certPem: this.caCertificatePem(), keyPem: readFileSync(keyPath, 'utf8') };
  }

  private describeHost(hostName: string, caPem = this.caCertificatePem()): CertInfo {
    const path = this.hostCertPath(hostName);
    const description = describeCertificate(readFileSync(path, 'utf8'), { caPem, now: this.now() });
    return { name: hostName, kind: 'host', path, ...description };
  }

  private hostCertPath(hostName: string): string {
    return join(this.dir, 'hosts', `${hostName}.pem`);
  }

  private hostKeyPath(hostName: string): string {
    return join(this.dir, 'hosts', `${hostName}-key.pem`);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = new NodeCertificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}
