import t from 'tap';
import { describeDomainXml } from '../../../services/nc/domain-description.js';
import {
  renderDomainXml,
  renderVolumeDiskXml,
  virtioTargetOf,
  volumeIdFromSerial,
  type DomainTemplateInput,
} from '../../../services/nc/domain-template.js';

const base: DomainTemplateInput = {
  name: 'i-0123456789abcdef0',
  domainType: 'qemu',
  cores: 2,
  memoryMiB: 256,
  disk: '/var/lib/mallee/nc/instances/i-0123456789abcdef0/disk.qcow2',
  configDrive: '/var/lib/mallee/nc/instances/i-0123456789abcdef0/cidata.iso',
  consoleLog: '/var/lib/mallee/nc/instances/i-0123456789abcdef0/console.log',
  macAddress: '52:54:00:aa:bb:cc',
  network: 'user',
  metadata: {
    reservationId: 'r-0123456789abcdef0',
    accountId: '123456789012',
    instanceType: 't2.micro',
    launchTime: new Date('2026-11-23T10:00:00Z'),
    diskGiB: 8,
    keyName: "o'brien <key>",
    images: { machine: 'ami-11111111', kernel: 'aki-22222222', ramdisk: 'ari-33333333' },
  },
};

t.test('kernel and ramdisk boot: kernel, initrd and a serial console on ttyS0', async (t) => {
  const xml = renderDomainXml({ ...base, kernel: '/cache/aki-22222222', ramdisk: '/cache/ari-33333333' });
  t.match(xml, /<domain type='qemu'>/);
  t.match(xml, /<kernel>\/cache\/aki-22222222<\/kernel>/);
  t.match(xml, /<initrd>\/cache\/ari-33333333<\/initrd>/);
  t.match(xml, /<cmdline>console=ttyS0[^<]*<\/cmdline>/);
  t.notMatch(xml, /<boot dev=/);
  t.match(xml, /<serial type='file'>\s*<source path='[^']*console\.log' append='on'\/>\s*<target port='0'\/>/);
  t.match(
    xml,
    /<driver name='qemu' type='qcow2'\/>\s*<source file='[^']*disk\.qcow2'\/>\s*<target dev='vda' bus='virtio'\/>/,
  );
  t.match(xml, /device='cdrom'>[\s\S]*cidata\.iso[\s\S]*<readonly\/>/);
  t.match(xml, /<interface type='user'>\s*<mac address='52:54:00:aa:bb:cc'\/>/);
  t.match(xml, /<memory unit='MiB'>256<\/memory>\s*<vcpu>2<\/vcpu>/);
});

t.test('without a kernel the disk boots itself; a libvirt network is named', async (t) => {
  const xml = renderDomainXml({ ...base, domainType: 'kvm', network: 'default' });
  t.match(xml, /<domain type='kvm'>/);
  t.match(xml, /<boot dev='hd'\/>/);
  t.notMatch(xml, /<kernel>|<initrd>|<cmdline>/);
  t.match(xml, /<interface type='network'>\s*<source network='default'\/>/);
});

t.test('values are escaped, and the metadata reads back as it went in', async (t) => {
  const xml = renderDomainXml(base);
  t.notMatch(xml, /o'brien/, 'the quote is escaped');
  const facts = describeDomainXml(xml);
  t.equal(facts.name, base.name);
  t.same(facts.metadata, base.metadata);
  t.equal(facts.memoryMiB, 256);
  t.equal(facts.cores, 2);
  t.equal(facts.macAddress, '52:54:00:aa:bb:cc');
  t.equal(facts.consoleLog, base.consoleLog);
  t.same(
    facts.disks.map((disk) => disk.target),
    ['vda', 'sda'],
  );
  t.same(facts.volumes, []);
});

t.test('what libvirt hands back (KiB, its own prefixes, extra elements) reads the same', async (t) => {
  const xml = `<domain type='qemu' id='3'>
  <name>i-0123456789abcdef0</name>
  <metadata>
    <ns0:instance xmlns:ns0="urn:mallee:nc:2026-11">
      <ns0:reservationId>r-1</ns0:reservationId><ns0:accountId>1</ns0:accountId>
      <ns0:instanceType>m1.small</ns0:instanceType><ns0:launchTime>2026-11-23T10:00:00.000Z</ns0:launchTime>
      <ns0:diskGiB>1</ns0:diskGiB><ns0:image kind="machine" id="ami-1"/>
    </ns0:instance>
  </metadata>
  <memory unit='KiB'>131072</memory><vcpu placement='static'>1</vcpu>
  <devices>
    <disk type='file' device='disk'><source file='/d.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='block' device='disk'><source dev='/dev/loop3'/><target dev='vdf' bus='virtio'/><serial>vol0123456789abcdef0</serial></disk>
    <serial type='file'><source path='/c.log' append='on'/><target type='isa-serial' port='0'/></serial>
    <console type='file'><source path='/c.log'/><target type='serial' port='0'/></console>
  </devices>
</domain>`;
  const facts = describeDomainXml(xml);
  t.equal(facts.memoryMiB, 128);
  t.same(facts.metadata?.images, { machine: 'ami-1' });
  t.same(facts.volumes, [{ volumeId: 'vol-0123456789abcdef0', target: 'vdf' }]);
  t.equal(facts.consoleLog, '/c.log');
  t.equal(
    describeDomainXml(`<domain type='test'><name>test</name><memory>1024</memory><vcpu>1</vcpu></domain>`).metadata,
    undefined,
  );
});

t.test('volumes: EC2 device names map to virtio targets; the serial carries the volume id', async (t) => {
  t.equal(virtioTargetOf('/dev/sdf'), 'vdf');
  t.equal(virtioTargetOf('xvdg'), 'vdg');
  t.equal(virtioTargetOf('/dev/vdh'), 'vdh');
  t.equal(virtioTargetOf('/dev/sda'), undefined, 'sda is the root disk');
  t.equal(virtioTargetOf('/dev/sdf1'), undefined);
  const disk = renderVolumeDiskXml({
    volumeId: 'vol-0123456789abcdef0',
    target: '/dev/loop0',
    targetDev: 'vdf',
    blockDevice: true,
  });
  t.match(disk, /<disk type='block' device='disk'>/);
  t.match(disk, /<source dev='\/dev\/loop0'\/>/);
  t.match(disk, /<serial>vol0123456789abcdef0<\/serial>/, '20 characters: what virtio-blk keeps');
  t.match(
    renderVolumeDiskXml({ volumeId: 'vol-1234abcd', target: '/v.img', targetDev: 'vdg', blockDevice: false }),
    /<source file='\/v\.img'\/>/,
  );
  t.equal(volumeIdFromSerial('vol0123456789abcdef0'), 'vol-0123456789abcdef0');
  t.equal(volumeIdFromSerial('QM00001'), undefined);
});
