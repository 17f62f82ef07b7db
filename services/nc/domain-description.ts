import { XMLParser } from 'fast-xml-parser';
import { volumeIdFromSerial, type InstanceMetadata } from './domain-template.js';

/** What the node reads back from a domain's XML: libvirt is the truth, so this is all it knows after a restart. */
export interface DomainFacts {
  name: string;
  /** Absent for domains Mallee did not create: the node lists only its own. */
  metadata?: InstanceMetadata;
  memoryMiB: number;
  cores: number;
  macAddress?: string;
  consoleLog?: string;
  disks: { target: string; source?: string; serial?: string; device: string }[];
  volumes: { volumeId: string; target: string }[];
}

const repeated = new Set([
  'domain.devices.disk',
  'domain.devices.interface',
  'domain.devices.serial',
  'domain.metadata.instance.image',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Numeric references (&#39;) as the template writes them, besides the named ones libvirt writes.
  htmlEntities: true,
  isArray: (_name, jpath) => repeated.has(String(jpath)),
});

type Node = Record<string, unknown>;

export function describeDomainXml(xml: string): DomainFacts {
  const domain = (parser.parse(xml) as { domain?: Node }).domain;
  if (!domain) throw new Error('not a libvirt domain description');
  const devices = (domain.devices ?? {}) as Node;
  const disks = ((devices.disk ?? []) as Node[]).map((disk) => {
    const source = (disk.source ?? {}) as Node;
    return {
      device: String(disk['@device'] ?? 'disk'),
      target: String((disk.target as Node | undefined)?.['@dev'] ?? ''),
      source: (source['@file'] ?? source['@dev']) as string | undefined,
      serial: disk.serial === undefined ? undefined : text(disk.serial),
    };
  });
  const volumes = disks.flatMap((disk) => {
    const volumeId = disk.serial === undefined ? undefined : volumeIdFromSerial(disk.serial);
    return volumeId ? [{ volumeId, target: disk.target }] : [];
  });
  const firstInterface = ((devices.interface ?? []) as Node[])[0];
  const serial = ((devices.serial ?? []) as Node[]).find((item) => item['@type'] === 'file');
  return {
    name: text(domain.name),
    metadata: metadataOf((domain.metadata as Node | undefined)?.instance as Node | undefined),
    memoryMiB: memoryMiB(domain.memory),
    cores: Number(text(domain.vcpu)),
    macAddress: (firstInterface?.mac as Node | undefined)?.['@address'] as string | undefined,
    consoleLog: (serial?.source as Node | undefined)?.['@path'] as string | undefined,
    disks,
    volumes,
  };
}

function metadataOf(instance: Node | undefined): InstanceMetadata | undefined {
  if (!instance) return undefined;
  const images = Object.fromEntries(
    ((instance.image ?? []) as Node[]).map((image) => [String(image['@kind']), String(image['@id'])]),
  ) as InstanceMetadata['images'];
  return {
    reservationId: text(instance.reservationId),
    accountId: text(instance.accountId),
    instanceType: text(instance.instanceType),
    launchTime: new Date(text(instance.launchTime)),
    diskGiB: Number(text(instance.diskGiB ?? '0')),
    ...(instance.keyName !== undefined && { keyName: text(instance.keyName) }),
    images,
  };
}

function text(value: unknown): string {
  if (value && typeof value === 'object') return String((value as Node)['#text'] ?? '');
  return value === undefined || value === null ? '' : String(value);
}

/** libvirt writes `<memory unit='KiB'>`; read any unit it may use. */
function memoryMiB(value: unknown): number {
  const amount = Number(text(value));
  const unit = value && typeof value === 'object' ? String((value as Node)['@unit'] ?? 'KiB') : 'KiB';
  const bytes: Record<string, number> = {
    b: 1,
    bytes: 1,
    KiB: 1024,
    k: 1024,
    MiB: 2 ** 20,
    M: 2 ** 20,
    GiB: 2 ** 30,
    G: 2 ** 30,
  };
  return Math.round((amount * (bytes[unit] ?? 1024)) / 2 ** 20);
}
