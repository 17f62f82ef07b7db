import type { RuntimePlatform } from '../deploy/bundle.js';
import type { CloudYaml, ComponentName, HostYaml } from '../config/types.js';
import type { HostFacts } from '../discovery/host-facts.js';

/** What placement may be told besides the facts. Every field has a default. */
export interface PlacementOptions {
  /** The cloud's name (cloud.yaml `name`); default `mallee`. */
  cloudName?: string;
  region?: string;
  /** The cloud's data directory; default `/var/lib/mallee`. */
  dataDir?: string;
  /** The inventory the facts came from: each host's `ssh` and `dataDir` are copied into cloud.yaml. */
  inventory?: HostYaml[];
  /** libvirt URI for every nc; absent: cloud.yaml's default (`qemu:///system`). */
  hypervisor?: string;
  /** Place an sc in every zone (default true). */
  storageControllers?: boolean;
  /** Limits behind the memory, disk and clock problems. */
  limits?: Partial<PlacementLimits>;
  /** What a host needs to run the bundle (deploy/runtime-platform.ts); absent: not checked. */
  runtime?: RuntimePlatform;
}

export interface PlacementLimits {
  minMemoryMiB: number;
  minFreeDiskGiB: number;
  maxClockSkewSeconds: number;
}

export const defaultLimits: PlacementLimits = { minMemoryMiB: 2048, minFreeDiskGiB: 10, maxClockSkewSeconds: 5 };

/** Why one choice was made, as a sentence a person reads in the review and as a comment in cloud.yaml. */
export interface PlacementReason {
  /** What was decided: a component (with its zone for cc, sc and nc and its host for nc), a zone, or an unused host. */
  subject: { component: ComponentName; zone?: string; host: string } | { zone: string } | { unusedHost: string };
  text: string;
}

export type ProblemSeverity = 'error' | 'warning';

export const placementProblemCodes = [
  'unreachable',
  'no-sudo',
  'low-memory',
  'low-disk',
  'port-in-use',
  'clock-skew',
  'wrong-architecture',
  'old-glibc',
  'unknown-libc',
  'no-kvm',
  'no-boot-start',
  'no-route',
  'no-usable-host',
  'no-vm-host',
] as const;
export type PlacementProblemCode = (typeof placementProblemCodes)[number];

/** Something that would make the install fail (error) or the cloud worse (warning), with what to do about it. */
export interface PlacementProblem {
  host?: string;
  severity: ProblemSeverity;
  code: PlacementProblemCode;
  message: string;
  fix: string;
}

/** Moving a component: clc and walrus are named alone, cc and sc with their zone. */
export interface ComponentRef {
  component: ComponentName;
  zone?: string;
}

/** The user's edits, kept so that excluding a host can recompute the placement without losing the others. */
export interface PlacementEdits {
  excludedHosts: string[];
  /** Component slot (`clc`, `walrus`, `cc@SUBNET`, `sc@SUBNET`) -> host. Zones are keyed by subnet so renames don't matter. */
  moves: Record<string, string>;
  /** Zone key (its subnet, or `*` for hosts whose subnet is unknown) -> the name the user gave it. */
  zoneNames: Record<string, string>;
}

export interface Placement {
  /** The cloud as cloud.yaml will say it. */
  cloud: CloudYaml;
  reasons: PlacementReason[];
  problems: PlacementProblem[];
  /** What the placement was computed from: edits recompute from this, so a Placement is all an edit needs. */
  basis: { facts: HostFacts[]; options: PlacementOptions; edits: PlacementEdits };
}
