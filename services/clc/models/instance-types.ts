import type { DescribeInstanceTypesInput, InstanceType } from '../../../src/aws/generated/ec2-types.js';
import { ec2Errors } from './ec2-errors.js';
import { filterItems, paginate, type FilterFields } from './filters.js';

/**
 * The instance types this cloud offers: what an instance of each gets (vCPUs, memory, disk), how `DescribeInstanceTypes`
 * describes them, and how many more of each fit in a zone. The classic names and sizes are Eucalyptus's defaults
 * (small, because Eucalyptus clouds ran on modest hosts), in Eucalyptus's order (smallest first); the current-generation
 * names are there because today's tools and templates default to them.
 */

export interface InstanceTypeSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** The instance's disk (root and ephemeral together, as Eucalyptus sized it). */
  diskGiB: number;
  currentGeneration: boolean;
  /** Classic types boot paravirtual images (an EKI and ERI) as well as hvm ones. */
  paravirtual: boolean;
  burstable: boolean;
}

const classic = (name: string, vcpus: number, memoryMiB: number, diskGiB: number, burstable = false) =>
  ({ name, vcpus, memoryMiB, diskGiB, currentGeneration: false, paravirtual: true, burstable }) as const;
const current = (name: string, vcpus: number, memoryMiB: number, diskGiB: number, burstable = false) =>
  ({ name, vcpus, memoryMiB, diskGiB, currentGeneration: true, paravirtual: false, burstable }) as const;

export const instanceTypes: readonly InstanceTypeSpec[] = [
  classic('m1.small', 1, 256, 5),
  classic('t1.micro', 1, 256, 5, true),
  classic('m1.medium', 1, 512, 10),
  classic('c1.medium', 2, 512, 10),
  classic('m1.large', 2, 512, 10),
  classic('m1.xlarge', 2, 1024, 10),
  current('t3.micro', 2, 1024, 10, true),
  classic('c1.xlarge', 2, 2048, 10),
  classic('m2.xlarge', 2, 2048, 10),
  current('t3.small', 2, 2048, 10, true),
  classic('m3.xlarge', 4, 2048, 15),
  classic('m2.2xlarge', 2, 4096, 30),
  current('t3.medium', 2, 4096, 20, true),
  classic('m3.2xlarge', 4, 4096, 30),
  classic('cc1.4xlarge', 8, 3072, 60),
  classic('m2.4xlarge', 8, 4096, 60),
  current('m5.large', 2, 8192, 30),
  classic('cc2.8xlarge', 16, 6144, 120),
  classic('cr1.8xlarge', 16, 16384, 240),
];

const byName = new Map(instanceTypes.map((spec) => [spec.name, spec]));

/** The type `RunInstances` names; an unknown one is refused as EC2 refuses it. */
export function instanceTypeSpec(name: string): InstanceTypeSpec {
  const spec = byName.get(name);
  if (!spec) throw ec2Errors.invalidParameterValue(`Invalid value '${name}' for InstanceType.`);
  return spec;
}

/** `DescribeInstanceTypes`'s description of one type. */
export function describeInstanceType(spec: InstanceTypeSpec): InstanceType {
  return {
    InstanceType: spec.name,
    CurrentGeneration: spec.currentGeneration,
    FreeTierEligible: false,
    SupportedUsageClasses: ['on-demand'],
    // Instances boot from images in the object store; EBS roots come with the storage controller.
    SupportedRootDeviceTypes: ['instance-store'],
    SupportedVirtualizationTypes: spec.paravirtual ? ['hvm', 'paravirtual'] : ['hvm'],
    BareMetal: false,
    // The model allows `nitro` or `xen`; nitro is AWS's KVM-based hypervisor, and the nodes run KVM.
    Hypervisor: 'nitro',
    ProcessorInfo: { SupportedArchitectures: spec.paravirtual ? ['i386', 'x86_64'] : ['x86_64'] },
    VCpuInfo: { DefaultVCpus: spec.vcpus, DefaultCores: spec.vcpus, DefaultThreadsPerCore: 1 },
    MemoryInfo: { SizeInMiB: spec.memoryMiB },
    InstanceStorageSupported: true,
    InstanceStorageInfo: {
      TotalSizeInGB: spec.diskGiB,
      Disks: [{ SizeInGB: spec.diskGiB, Count: 1, Type: 'hdd' }],
      NvmeSupport: 'unsupported',
    },
    EbsInfo: { EbsOptimizedSupport: 'unsupported', EncryptionSupport: 'unsupported', NvmeSupport: 'unsupported' },
    NetworkInfo: {
      NetworkPerformance: 'Moderate',
      MaximumNetworkInterfaces: 1,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      Ipv4AddressesPerInterface: 1,
      Ipv6AddressesPerInterface: 0,
      Ipv6Supported: false,
      EnaSupport: 'unsupported',
      EfaSupported: false,
    },
    HibernationSupported: false,
    BurstablePerformanceSupported: spec.burstable,
    DedicatedHostsSupported: false,
    AutoRecoverySupported: false,
    SupportedBootModes: ['legacy-bios'],
  };
}

const instanceTypeFilters: FilterFields<InstanceType> = {
  'instance-type': (t) => t.InstanceType,
  'current-generation': (t) => t.CurrentGeneration,
  'free-tier-eligible': (t) => t.FreeTierEligible,
  'bare-metal': (t) => t.BareMetal,
  'burstable-performance-supported': (t) => t.BurstablePerformanceSupported,
  'hibernation-supported': (t) => t.HibernationSupported,
  hypervisor: (t) => t.Hypervisor,
  'instance-storage-supported': (t) => t.InstanceStorageSupported,
  'instance-storage-info.total-size-in-gb': (t) => t.InstanceStorageInfo?.TotalSizeInGB,
  'memory-info.size-in-mib': (t) => t.MemoryInfo?.SizeInMiB,
  'processor-info.supported-architecture': (t) => t.ProcessorInfo?.SupportedArchitectures ?? [],
  'supported-boot-mode': (t) => t.SupportedBootModes ?? [],
  'supported-root-device-type': (t) => t.SupportedRootDeviceTypes ?? [],
  'supported-usage-class': (t) => t.SupportedUsageClasses ?? [],
  'supported-virtualization-type': (t) => t.SupportedVirtualizationTypes ?? [],
  'vcpu-info.default-cores': (t) => t.VCpuInfo?.DefaultCores,
  'vcpu-info.default-threads-per-core': (t) => t.VCpuInfo?.DefaultThreadsPerCore,
  'vcpu-info.default-vcpus': (t) => t.VCpuInfo?.DefaultVCpus,
};

/** `DescribeInstanceTypes`: in name order (what its pages are keyed by); every unknown name named in the error. */
export function describeInstanceTypes(input: DescribeInstanceTypesInput): {
  InstanceTypes: InstanceType[];
  NextToken?: string;
} {
  const names = input.InstanceTypes ?? [];
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) throw ec2Errors.instanceTypesNotFound(unknown);
  const wanted = new Set(names);
  const specs = [...instanceTypes]
    .filter((spec) => wanted.size === 0 || wanted.has(spec.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const described = filterItems(specs.map(describeInstanceType), input.Filters, instanceTypeFilters);
  const page = paginate(described, (t) => t.InstanceType ?? '', input, { min: 5, max: 100 });
  return { InstanceTypes: page.items, ...(page.NextToken !== undefined && { NextToken: page.NextToken }) };
}

/** Cores, memory and disk: what a node or zone has, or has free. */
export interface Resources {
  cores: number;
  memoryMiB: number;
  diskGiB: number;
}

/**
 * A zone's resources as its cluster controller reports them. With `nodes`, counts are worked out per node (an
 * instance never spans nodes, so two half-free nodes do not make room for one large instance); without, from the
 * totals alone.
 */
export interface ZoneResources {
  free: Resources;
  total: Resources;
  nodes?: readonly { free: Resources; total: Resources }[];
}

/**
 * Where zone resources come from: the zone's cluster controller, once one is registered. `undefined` for a zone
 * with nothing to report (no cluster controller, or no nodes yet).
 */
export interface ZoneCapacity {
  capacityOf(zone: string): Promise<ZoneResources | undefined>;
}

/** How many more instances of a type fit (`available`) and how many would on empty nodes (`max`). */
export interface TypeAvailability {
  available: number;
  max: number;
}

/** Instances of `spec` that fit in `resources`. */
export function instancesThatFit(spec: InstanceTypeSpec, resources: Resources): number {
  const fit = Math.min(
    Math.floor(resources.cores / spec.vcpus),
    Math.floor(resources.memoryMiB / spec.memoryMiB),
    Math.floor(resources.diskGiB / spec.diskGiB),
  );
  return Number.isFinite(fit) && fit > 0 ? fit : 0;
}

/** Eucalyptus's free / max pair for one type; a zone with nothing to report has room for none. */
export function availabilityOf(spec: InstanceTypeSpec, resources: ZoneResources | undefined): TypeAvailability {
  if (!resources) return { available: 0, max: 0 };
  const nodes = resources.nodes ?? [{ free: resources.free, total: resources.total }];
  let available = 0;
  let max = 0;
  for (const node of nodes) {
    available += instancesThatFit(spec, node.free);
    max += instancesThatFit(spec, node.total);
  }
  return { available, max };
}
