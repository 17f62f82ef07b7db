import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hypervisor } from '@unraid/libvirt';
import t from 'tap';
import type { NodeInstanceSpec } from '../../src/clients/node-controller.js';
import { ensureLibvirtd } from '../../src/local/libvirtd.js';
import { createCloudCa, issueHostCertificate } from '../../src/pki/certificate-authority.js';
import { curl, httpStatus, projectRoot, runCommand, temporaryDir } from '../helpers/cli.js';
import { startNc } from '../helpers/nc.js';

// A real nc daemon on libvirt's simulated hypervisor, driven through NodeControllerClient over mutual TLS.
const images = temporaryDir('nc-images');
function imageFile(imageId: string, bytes: Buffer) {
  const path = join(images, imageId);
  writeFileSync(path, bytes);
  return { imageId, url: pathToFileURL(path).toString(), sha256: createHash('sha256').update(bytes).digest('hex') };
}
const machine = imageFile('ami-0000000000000001', randomBytes(64 * 1024));
const kernel = imageFile('aki-0000000000000001', randomBytes(4096));
const ramdisk = imageFile('ari-0000000000000001', randomBytes(4096));

function spec(instanceId: string, extra: Partial<NodeInstanceSpec> = {}): NodeInstanceSpec {
  return {
    instanceId,
    reservationId: 'r-0123456789abcdef0',
    accountId: '123456789012',
    instanceType: 't2.micro',
    cores: 1,
    memoryMiB: 128,
    diskGiB: 1,
    machine,
    ...extra,
  };
}

t.test('instances on test:///default: run, describe, stop, start, reboot, console, volumes, terminate', async (t) => {
  const nc = await startNc(t, { settings: { stopTimeoutSeconds: 5 } });
  const peer = { ca: nc.caBundle, cert: join(nc.dir, 'host.pem'), key: join(nc.dir, 'host-key.pem') };
  const client = await nc.client();
  const userData = Buffer.from('#cloud-config\nhostname: first\n').toString('base64');

  const first = await client.runInstance(
    spec('i-00000000000000001', { kernel, ramdisk, publicKey: 'ssh-ed25519 AAAA test', keyName: 'k', userData }),
  );
  t.match(first, {
    instanceId: 'i-00000000000000001',
    reservationId: 'r-0123456789abcdef0',
    accountId: '123456789012',
    state: 'running',
    instanceType: 't2.micro',
    macAddress: /^52:54:00(:[0-9a-f]{2}){3}$/,
  });
  t.type(first.launchTime, Date);
  const second = await client.runInstance(spec('i-00000000000000002'));
  t.equal(second.state, 'running');

  const instanceDir = join(nc.dataDir, 'instances', 'i-00000000000000001');
  t.same(readdirSync(instanceDir).sort(), ['cidata.iso', 'disk.qcow2', 'domain.xml']);
  const disk = await runCommand('qemu-img', ['info', '--output=json', join(instanceDir, 'disk.qcow2')]);
  const info = JSON.parse(disk.stdout) as Record<string, unknown>;
  t.equal(info.format, 'qcow2');
  t.equal(info['backing-filename'], join(nc.dataDir, 'images', machine.imageId));
  t.equal(info['backing-filename-format'], 'raw');
  t.equal(info['virtual-size'], 2 ** 30, 'grown to the instance type disk');
  const userDataOnDrive = await runCommand('isoinfo', [
    '-J',
    '-i',
    join(instanceDir, 'cidata.iso'),
    '-x',
    '/user-data',
  ]);
  t.equal(userDataOnDrive.stdout, '#cloud-config\nhostname: first\n');
  const domainXml = readFileSync(join(instanceDir, 'domain.xml'), 'utf8');
  t.match(domainXml, `<kernel>${join(nc.dataDir, 'images', kernel.imageId)}</kernel>`);

  t.test('a second run with the same id changes nothing', async (t) => {
    const again = await client.runInstance(spec('i-00000000000000001', { instanceType: 'm1.large' }));
    t.equal(again.instanceType, 't2.micro');
    t.same(again.launchTime, first.launchTime);
    t.equal((await client.describeInstances()).length, 2);
  });

  t.test('describe lists both from libvirt, and only those asked for', async (t) => {
    const all = await client.describeInstances();
    t.same(
      all.map((instance) => [instance.instanceId, instance.state]),
      [
        ['i-00000000000000001', 'running'],
        ['i-00000000000000002', 'running'],
      ],
    );
    const one = await client.describeInstances(['i-00000000000000002']);
    t.same(
      one.map((instance) => instance.instanceId),
      ['i-00000000000000002'],
    );
    t.same(await client.describeInstances(['i-0000000000000dead']), []);
  });

  t.test('resources: the host as the kernel reports it, minus what runs', async (t) => {
    const resource = await client.describeResource();
    t.match(resource, { nodeName: 'nc-test', virtualization: 'test', enabled: true, instances: 2 });
    t.equal(resource.memoryMiB.total - resource.memoryMiB.free, 256);
    t.ok(resource.cores.total >= 1 && resource.diskGiB.total > 0);
  });

  t.test('stop keeps the instance defined; start brings it back; reboot keeps it running', async (t) => {
    const stopped = await client.stopInstance('i-00000000000000002');
    t.equal(stopped.state, 'stopped');
    t.equal((await client.describeInstances(['i-00000000000000002']))[0]?.state, 'stopped');
    t.equal((await client.describeResource()).memoryMiB.total - (await client.describeResource()).memoryMiB.free, 128);
    await t.rejects(client.rebootInstance('i-00000000000000002'), { code: 'IncorrectInstanceState' });
    const started = await client.startInstance('i-00000000000000002');
    t.equal(started.state, 'running');
    await client.rebootInstance('i-00000000000000002');
    t.equal((await client.describeInstances(['i-00000000000000002']))[0]?.state, 'running');
  });

  t.test('console output: the last 64 KiB of the serial log, base64', async (t) => {
    const empty = await client.getConsoleOutput('i-00000000000000002');
    t.equal(empty.output, '', 'the simulated guest prints nothing');
    t.type(empty.timestamp, Date);
    // Stand in for the guest: what qemu would have written to the serial file.
    const printed = Buffer.concat([
      Buffer.alloc(10_000, 'x'),
      Buffer.from('MALLEE_GUEST_READY\n'),
      randomBytes(64 * 1024 - 19),
    ]);
    writeFileSync(join(nc.dataDir, 'instances', 'i-00000000000000002', 'console.log'), printed);
    const console = await client.getConsoleOutput('i-00000000000000002');
    const bytes = Buffer.from(console.output, 'base64');
    t.equal(bytes.length, 64 * 1024);
    t.ok(bytes.equals(printed.subarray(printed.length - 64 * 1024)));
    t.match(bytes.toString('latin1'), /MALLEE_GUEST_READY/);
    await t.rejects(client.getConsoleOutput('i-0000000000000dead'), {
      name: 'SoapFaultError',
      code: 'InvalidInstanceID.NotFound',
    });
  });

  t.test('volumes attach as virtio disks and detach again', async (t) => {
    const target = join(nc.dir, 'vol.img');
    writeFileSync(target, Buffer.alloc(1024 * 1024));
    const volume = { instanceId: 'i-00000000000000001', volumeId: 'vol-0123456789abcdef0', device: '/dev/sdf', target };
    await client.attachVolume(volume);
    t.same((await client.describeInstances(['i-00000000000000001']))[0]?.volumes, [
      { volumeId: 'vol-0123456789abcdef0', device: '/dev/vdf' },
    ]);
    await client.attachVolume(volume);
    await t.rejects(client.attachVolume({ ...volume, volumeId: 'vol-0123456789abcdef1' }), {
      code: 'InvalidParameterValue',
      message: /Attachment point \/dev\/sdf is already in use/,
    });
    await t.rejects(client.attachVolume({ ...volume, device: '/dev/sda' }), { code: 'InvalidParameterValue' });
    await client.detachVolume({ instanceId: volume.instanceId, volumeId: volume.volumeId });
    t.same((await client.describeInstances(['i-00000000000000001']))[0]?.volumes ?? [], []);
    await t.rejects(client.detachVolume({ instanceId: volume.instanceId, volumeId: volume.volumeId }), {
      code: 'InvalidAttachment.NotFound',
    });
  });

  t.test('a disabled node keeps its instances and takes no new ones', async (t) => {
    const disabled = await client.modifyNode({ enabled: false });
    t.equal(disabled.enabled, false);
    await t.rejects(client.runInstance(spec('i-00000000000000003')), { code: 'NodeDisabled' });
    t.equal((await client.runInstance(spec('i-00000000000000001'))).state, 'running', 'its own still answer');
    t.equal((await client.modifyNode({ enabled: true })).enabled, true);
  });

  t.test('a bad image ends the launch with a state reason, not a daemon error', async (t) => {
    const failed = await client.runInstance(
      spec('i-00000000000000004', { machine: { ...machine, sha256: '00'.repeat(32) } }),
    );
    t.match(failed, { state: 'terminated', stateReason: { code: 'Server.ImageFetchFailure', message: /sha256/ } });
    t.notOk(existsSync(join(nc.dataDir, 'instances', 'i-00000000000000004')));
    const missing = await client.runInstance(
      spec('i-00000000000000005', { machine: { imageId: 'ami-0000000000000009', url: 'file:///nonexistent/image' } }),
    );
    t.match(missing, { state: 'terminated', stateReason: { code: 'Server.ImageFetchFailure' } });
    await t.rejects(client.runInstance(spec('not-an-id')), { code: 'InvalidParameterValue' });
  });

  t.test('terminate removes the domain, its disk and its config drive', async (t) => {
    const terminated = await client.terminateInstance('i-00000000000000001');
    t.match(terminated, {
      instanceId: 'i-00000000000000001',
      state: 'terminated',
      reservationId: 'r-0123456789abcdef0',
    });
    t.notOk(existsSync(instanceDir), 'disk and config drive are gone');
    t.equal((await client.terminateInstance('i-00000000000000001')).state, 'terminated', 'again: still terminated');
    const described = await client.describeInstances();
    t.same(
      described.map((instance) => [instance.instanceId, instance.state]),
      [
        ['i-00000000000000001', 'terminated'],
        ['i-00000000000000002', 'running'],
        ['i-00000000000000004', 'terminated'],
        ['i-00000000000000005', 'terminated'],
      ],
    );
    await t.rejects(client.terminateInstance('i-0000000000000dead'), { code: 'InvalidInstanceID.NotFound' });
  });

  t.test('only cloud peers reach the interface; ?wsdl serves the contract', async (t) => {
    const wsdl = await curl(`${nc.url}/internal/nc?wsdl`, peer);
    t.match(wsdl.stdout, /<wsdl:definitions name="MalleeNode"/);
    const stranger = await issueHostCertificate(await createCloudCa({ cloudName: 'other' }), {
      hostName: 'cc',
      addresses: [],
    });
    writeFileSync(join(nc.dir, 'stranger.pem'), stranger.certPem);
    writeFileSync(join(nc.dir, 'stranger-key.pem'), stranger.keyPem);
    for (const extra of [[], ['--cert', join(nc.dir, 'stranger.pem'), '--key', join(nc.dir, 'stranger-key.pem')]]) {
      const refused = { stdout: String(await httpStatus(`${nc.url}/internal/nc?wsdl`, { ca: nc.caBundle }, extra)) };
      t.equal(refused.stdout, '403');
    }
  });

  t.test("contract: the node's answers validate against nc.wsdl's schema (xmllint)", async (t) => {
    const wsdl = readFileSync(join(projectRoot, 'wsdl', 'nc.wsdl'), 'utf8');
    const schema = /<xsd:schema[\s\S]*<\/xsd:schema>/.exec(wsdl)?.[0] ?? '';
    const xsd = join(nc.dir, 'nc.xsd');
    writeFileSync(
      xsd,
      schema.replace(
        '<xsd:schema ',
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:mallee:nc:2026-11" ',
      ),
    );
    const call = async (operation: string, body = '') => {
      const envelope =
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:nc="urn:mallee:nc:2026-11">' +
        `<soap:Body><nc:${operation}><nc:correlationId>contract-1</nc:correlationId><nc:userId>xmllint</nc:userId>` +
        `${body}</nc:${operation}></soap:Body></soap:Envelope>`;
      const answer = await curl(`${nc.url}/internal/nc`, peer, [
        '-H',
        'content-type: text/xml; charset=utf-8',
        '-H',
        `SOAPAction: "urn:mallee:nc:2026-11#${operation}"`,
        '--data-binary',
        envelope,
      ]);
      return answer.stdout;
    };
    /** The Body's payload (or a fault's detail) as its own document, validated with xmllint. */
    const validate = async (answer: string, element: string) => {
      const envelope = /^[\s\S]*?<(\w+:)?Envelope([^>]*)>/.exec(answer);
      const payload = new RegExp(`<(\\w+:)?${element}[\\s>][\\s\\S]*</(\\w+:)?${element}>`).exec(answer)?.[0];
      t.ok(payload, `${element} in ${answer.slice(0, 300)}`);
      const namespaces = (envelope?.[2] ?? '').match(/xmlns:\w+="[^"]*"/g) ?? [];
      const document = (payload ?? '').replace(/^<([\w:]+)/, `<$1 ${namespaces.join(' ')}`);
      const file = join(nc.dir, `${element}.xml`);
      writeFileSync(file, document);
      const lint = await runCommand('xmllint', ['--noout', '--schema', xsd, file]);
      t.equal(lint.code, 0, `${element}: ${lint.stderr}`);
      return document;
    };
    await validate(await call('ncDescribeResource'), 'ncDescribeResourceResponse');
    const described = await validate(await call('ncDescribeInstances'), 'ncDescribeInstancesResponse');
    t.match(described, /i-00000000000000002/);
    await validate(
      await call('ncGetConsoleOutput', '<nc:instanceId>i-00000000000000002</nc:instanceId>'),
      'ncGetConsoleOutputResponse',
    );
    const fault = await validate(
      await call('ncStopInstance', '<nc:instanceId>i-0000000000000dead</nc:instanceId>'),
      'NodeFault',
    );
    t.match(fault, /InvalidInstanceID\.NotFound/);
  });

  t.test('healthz reports the hypervisor', async (t) => {
    const health = await curl(`${nc.url}/healthz`, { ca: nc.caBundle });
    t.match(JSON.parse(health.stdout), { status: 'ok', hypervisor: { uri: 'test:///default', domains: Number } });
  });
});

t.test('kill -9 of the nc: the instances keep running and are found again', async (t) => {
  // test:///default lives in the nc's own process and dies with it; libvirtd's copy of the simulated driver
  // (test+unix:///default) outlives the nc as long as someone holds a connection, as a real hypervisor does.
  await ensureLibvirtd();
  const holder = new Hypervisor({ uri: 'test+unix:///default' });
  await holder.connectOpen();
  t.teardown(() => holder.connectClose());
  const nc = await startNc(t, { hypervisor: 'test+unix:///default' });
  const before = await nc.client();
  await before.runInstance(spec('i-00000000000000011'));
  await before.runInstance(spec('i-00000000000000012'));
  nc.kill();
  await nc.restart();
  const client = await nc.client();
  const after = await client.describeInstances();
  t.same(
    after.map((instance) => [instance.instanceId, instance.state]),
    [
      ['i-00000000000000011', 'running'],
      ['i-00000000000000012', 'running'],
    ],
  );
  t.ok(existsSync(join(nc.dataDir, 'instances', 'i-00000000000000011', 'disk.qcow2')), 'their disks are kept');
  const target = join(nc.dir, 'vol.img');
  writeFileSync(target, Buffer.alloc(1024 * 1024));
  await client.attachVolume({
    instanceId: 'i-00000000000000011',
    volumeId: 'vol-00000000000000011',
    device: '/dev/sdg',
    target,
  });
  t.same((await client.describeInstances(['i-00000000000000011']))[0]?.volumes, [
    { volumeId: 'vol-00000000000000011', device: '/dev/vdg' },
  ]);
  await client.detachVolume({ instanceId: 'i-00000000000000011', volumeId: 'vol-00000000000000011' });
  for (const id of ['i-00000000000000011', 'i-00000000000000012']) await client.terminateInstance(id);
  const left = await runCommand('virsh', ['-c', 'test+unix:///default', 'list', '--all', '--name']);
  t.notMatch(left.stdout, /i-0000000000000001[12]/, 'libvirt has neither domain any more');
});

t.test('libvirt not answering: health says why, and a launch is refused with that reason', async (t) => {
  const nc = await startNc(t, { hypervisor: 'test+unix:///default?socket=/run/mallee-no-such-libvirtd.sock' });
  const health = await curl(`${nc.url}/healthz`, { ca: nc.caBundle }, ['-w', '\n%{http_code}']);
  const [body, status] = health.stdout.split('\n');
  t.equal(status, '503');
  t.match(JSON.parse(body ?? '{}'), { status: 'unhealthy', error: /^cannot reach libvirt at test\+unix:/ });
  const client = await nc.client();
  await t.rejects(client.runInstance(spec('i-0000000000000dead')), {
    name: 'SoapFaultError',
    code: 'HypervisorUnavailable',
    message: /cannot reach libvirt at test\+unix:\/\/\/default\?socket=\/run\/mallee-no-such-libvirtd\.sock/,
  });
});
