/**
 * The libvirt domain of an instance. A TypeScript template rather than a file under templates/: every value goes
 * through `xml()` escaping, and the optional parts (kernel boot, config drive, network kind) read as code.
 *
 * The `<metadata>` element carries what the node must know about an instance after a restart (reservation, account,
 * type, launch time, images), so that libvirt alone is the truth about what runs here.
 */

export const malleeMetadataNamespace = 'urn:mallee:nc:2026-11';

export interface InstanceMetadata {
  reservationId: string;
  accountId: string;
  instanceType: string;
  launchTime: Date;
  diskGiB: number;
  keyName?: string;
  /** Cache keys of the images the instance uses, so the cache never evicts them while it exists. */
  images: { machine: string; kernel?: string; ramdisk?: string };
}

export interface DomainTemplateInput {
  /** The instance id: domains are named after their instances. */
  name: string;
  /** `kvm` where libvirt offers it, else `qemu` (software emulation). */
  domainType: 'kvm' | 'qemu' | 'test';
  cores: number;
  memoryMiB: number;
  /** The instance's copy-on-write qcow2 disk. */
  disk: string;
  /** The NoCloud ISO (label `cidata`). */
  configDrive?: string;
  /** Eucalyptus-style boot: the kernel and ramdisk from the cache; without them the disk boots itself. */
  kernel?: string;
  ramdisk?: string;
  /** Where the serial console (ttyS0) is written, for GetConsoleOutput. */
  consoleLog: string;
  macAddress: string;
  /** `user`: qemu's own NAT (no host setup); otherwise the name of a libvirt network. */
  network: string;
  metadata: InstanceMetadata;
}

export const kernelCommandLine = 'console=ttyS0 root=/dev/vda';

/** The domain XML of an instance. */
export function renderDomainXml(input: DomainTemplateInput): string {
  const { metadata } = input;
  const images = (['machine', 'kernel', 'ramdisk'] as const)
    .filter((kind) => metadata.images[kind] !== undefined)
    .map((kind) => `      <mallee:image kind="${kind}" id="${xml(metadata.images[kind] ?? '')}"/>`);
  const boot = input.kernel
    ? [
        `    <kernel>${xml(input.kernel)}</kernel>`,
        ...(input.ramdisk ? [`    <initrd>${xml(input.ramdisk)}</initrd>`] : []),
        `    <cmdline>${kernelCommandLine}</cmdline>`,
      ]
    : ["    <boot dev='hd'/>"];
  const configDrive = input.configDrive
    ? [
        "    <disk type='file' device='cdrom'>",
        "      <driver name='qemu' type='raw'/>",
        `      <source file='${xml(input.configDrive)}'/>`,
        "      <target dev='sda' bus='sata'/>",
        '      <readonly/>',
        '    </disk>',
      ]
    : [];
  const network =
    input.network === 'user'
      ? ["    <interface type='user'>"]
      : ["    <interface type='network'>", `      <source network='${xml(input.network)}'/>`];
  return [
    `<domain type='${input.domainType}'>`,
    `  <name>${xml(input.name)}</name>`,
    '  <metadata>',
    `    <mallee:instance xmlns:mallee="${malleeMetadataNamespace}">`,
    `      <mallee:reservationId>${xml(metadata.reservationId)}</mallee:reservationId>`,
    `      <mallee:accountId>${xml(metadata.accountId)}</mallee:accountId>`,
    `      <mallee:instanceType>${xml(metadata.instanceType)}</mallee:instanceType>`,
    `      <mallee:launchTime>${metadata.launchTime.toISOString()}</mallee:launchTime>`,
    `      <mallee:diskGiB>${integer(metadata.diskGiB)}</mallee:diskGiB>`,
    ...(metadata.keyName !== undefined ? [`      <mallee:keyName>${xml(metadata.keyName)}</mallee:keyName>`] : []),
    ...images,
    '    </mallee:instance>',
    '  </metadata>',
    `  <memory unit='MiB'>${integer(input.memoryMiB)}</memory>`,
    `  <vcpu>${integer(input.cores)}</vcpu>`,
    '  <os>',
    "    <type arch='x86_64'>hvm</type>",
    ...boot,
    '  </os>',
    '  <features><acpi/><apic/></features>',
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    "    <disk type='file' device='disk'>",
    "      <driver name='qemu' type='qcow2'/>",
    `      <source file='${xml(input.disk)}'/>`,
    "      <target dev='vda' bus='virtio'/>",
    '    </disk>',
    ...configDrive,
    ...network,
    `      <mac address='${xml(input.macAddress)}'/>`,
    "      <model type='virtio'/>",
    '    </interface>',
    // append: the console keeps what earlier boots printed across stop/start and reboot.
    "    <serial type='file'>",
    `      <source path='${xml(input.consoleLog)}' append='on'/>`,
    "      <target port='0'/>",
    '    </serial>',
    "    <memballoon model='none'/>",
    '  </devices>',
    '</domain>',
    '',
  ].join('\n');
}

/** A volume attached as a virtio disk; its serial is the volume id without the dash (20 characters, as AWS does). */
export function renderVolumeDiskXml(input: {
  volumeId: string;
  target: string;
  targetDev: string;
  blockDevice: boolean;
}): string {
  const source = input.blockDevice ? `<source dev='${xml(input.target)}'/>` : `<source file='${xml(input.target)}'/>`;
  return [
    `<disk type='${input.blockDevice ? 'block' : 'file'}' device='disk'>`,
    "  <driver name='qemu' type='raw' cache='none'/>",
    `  ${source}`,
    `  <target dev='${xml(input.targetDev)}' bus='virtio'/>`,
    `  <serial>${xml(volumeSerial(input.volumeId))}</serial>`,
    '</disk>',
    '',
  ].join('\n');
}

export function volumeSerial(volumeId: string): string {
  return volumeId.replace(/^vol-/, 'vol');
}

export function volumeIdFromSerial(serial: string): string | undefined {
  return /^vol[0-9a-f]{8,17}$/.test(serial) ? `vol-${serial.slice(3)}` : undefined;
}

/** EC2 device names (`/dev/sdf`, `xvdf`, `/dev/vdf`) as the virtio target libvirt is given (`vdf`). */
export function virtioTargetOf(device: string): string | undefined {
  const match = /^(?:\/dev\/)?(?:sd|xvd|vd|hd)([b-z])$/.exec(device);
  return match ? `vd${match[1]}` : undefined;
}

function xml(value: string): string {
  return value.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function integer(value: number): string {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`not a whole number: ${value}`);
  return String(value);
}
