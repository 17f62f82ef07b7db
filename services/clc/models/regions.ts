import type {
  AvailabilityZone,
  DescribeAvailabilityZonesInput,
  DescribeRegionsInput,
  Region,
} from '../../../src/aws/generated/ec2-types.js';
import { ec2Errors } from './ec2-errors.js';
import { filterItems, type FilterFields } from './filters.js';
import { availabilityOf, instanceTypes, type ZoneCapacity } from './instance-types.js';

/**
 * The cloud's one region and its availability zones as `DescribeRegions` and `DescribeAvailabilityZones` report
 * them, and Eucalyptus's `verbose` listing of what still fits in each zone.
 */

/** What these functions need to know of the cloud (a `CloudTopology` is one). */
export interface RegionTopology {
  region: string;
  zones: readonly { name: string }[];
  ec2Endpoint: string;
}

const optInNotRequired = 'opt-in-not-required';

export function describeRegions(cloud: RegionTopology, input: DescribeRegionsInput): Region[] {
  const region: Region = {
    RegionName: cloud.region,
    Endpoint: endpointHost(cloud.ec2Endpoint),
    OptInStatus: optInNotRequired,
  };
  for (const name of input.RegionNames ?? []) {
    if (name !== cloud.region) throw ec2Errors.invalidRegion(name);
  }
  return filterItems([region], input.Filters, regionFilters);
}

const regionFilters: FilterFields<Region> = {
  'region-name': (region) => region.RegionName,
  endpoint: (region) => region.Endpoint,
  'opt-in-status': (region) => region.OptInStatus,
};

/** AWS reports the endpoint's host (`ec2.us-east-1.amazonaws.com`); here the port is part of where it answers. */
function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

/**
 * A zone's id as AWS forms them (`use1-az1` for the first zone of us-east-1): the region's first word, the initial
 * of each middle word and its number (`mallee-1` gives `mallee1`), then the zone's place in name order.
 */
export function zoneIdOf(cloud: RegionTopology, zoneName: string): string | undefined {
  const index = cloud.zones.findIndex((zone) => zone.name === zoneName);
  if (index < 0) return undefined;
  return `${regionShortName(cloud.region)}-az${index + 1}`;
}

function regionShortName(region: string): string {
  const words = region.split('-');
  if (words.length < 2) return region;
  const first = words[0] ?? '';
  const last = words.at(-1) ?? '';
  return (
    first +
    words
      .slice(1, -1)
      .map((word) => word.charAt(0))
      .join('') +
    last
  );
}

/** Eucalyptus's keyword for the capacity listing, given where a zone name goes (`ZoneName.1=verbose`). */
export const verboseKeyword = 'verbose';

export interface DescribeZonesOptions {
  /** Whether the caller may see capacity (Eucalyptus shows it to cloud administrators only). */
  verboseAllowed: boolean;
  capacity?: ZoneCapacity;
}

export async function describeAvailabilityZones(
  cloud: RegionTopology,
  input: DescribeAvailabilityZonesInput,
  options: DescribeZonesOptions,
): Promise<AvailabilityZone[]> {
  // As Eucalyptus did: the keyword is taken out of the names, whoever sends it; only an administrator gets the listing.
  const names = (input.ZoneNames ?? []).filter((name) => name !== verboseKeyword);
  const verbose = options.verboseAllowed && names.length < (input.ZoneNames ?? []).length;
  const ids = input.ZoneIds ?? [];
  const zones = cloud.zones.map((zone) => zoneOf(cloud, zone.name));
  for (const name of names) {
    if (!zones.some((zone) => zone.ZoneName === name)) throw ec2Errors.invalidZone(name);
  }
  for (const id of ids) {
    if (!zones.some((zone) => zone.ZoneId === id)) throw ec2Errors.invalidZoneId(id);
  }
  const wanted =
    names.length === 0 && ids.length === 0
      ? zones
      : zones.filter((zone) => names.includes(zone.ZoneName ?? '') || ids.includes(zone.ZoneId ?? ''));
  const selected = filterItems(wanted, input.Filters, zoneFilters);
  if (!verbose) return selected;
  const listing: AvailabilityZone[] = [];
  for (const zone of selected) {
    listing.push(zone, ...(await capacityEntries(zone.ZoneName ?? '', options.capacity)));
  }
  return listing;
}

function zoneOf(cloud: RegionTopology, name: string): AvailabilityZone {
  return {
    State: 'available',
    OptInStatus: optInNotRequired,
    Messages: [],
    RegionName: cloud.region,
    ZoneName: name,
    ZoneId: zoneIdOf(cloud, name) ?? '',
    GroupName: cloud.region,
    NetworkBorderGroup: cloud.region,
    ZoneType: 'availability-zone',
  };
}

const zoneFilters: FilterFields<AvailabilityZone> = {
  'zone-name': (zone) => zone.ZoneName,
  'zone-id': (zone) => zone.ZoneId,
  state: (zone) => zone.State,
  'region-name': (zone) => zone.RegionName,
  'zone-type': (zone) => zone.ZoneType,
  'group-name': (zone) => zone.GroupName,
  'network-border-group': (zone) => zone.NetworkBorderGroup,
  'opt-in-status': (zone) => zone.OptInStatus,
  message: (zone) => (zone.Messages ?? []).map((message) => message.Message),
};

/**
 * Eucalyptus's listing, entry for entry: a header, then one pseudo-zone per type named `|- m1.small` whose state
 * reads `0002 / 0004   1    256     5` (free and max instances, vCPUs, MiB, GiB). euca2ools prints the state; the
 * same text is the entry's message for clients that show messages.
 */
async function capacityEntries(zone: string, capacity: ZoneCapacity | undefined): Promise<AvailabilityZone[]> {
  const resources = await capacity?.capacityOf(zone);
  const entry = (name: string, text: string): AvailabilityZone => ({
    ZoneName: `|- ${name}`,
    State: text,
    Messages: [{ Message: text }],
  });
  return [
    entry('vm types', 'free / max   cpu   ram  disk'),
    ...instanceTypes.map((spec) => {
      const { available, max } = availabilityOf(spec, resources);
      return entry(spec.name, capacityLine(available, max, spec.vcpus, spec.memoryMiB, spec.diskGiB));
    }),
  ];
}

/** Eucalyptus's `%04d / %04d  %2d   %4d  %4d`. */
export function capacityLine(available: number, max: number, cpu: number, memoryMiB: number, diskGiB: number): string {
  const zeros = (n: number) => String(n).padStart(4, '0');
  const spaces = (n: number, width: number) => String(n).padStart(width, ' ');
  return `${zeros(available)} / ${zeros(max)}  ${spaces(cpu, 2)}   ${spaces(memoryMiB, 4)}  ${spaces(diskGiB, 4)}`;
}
