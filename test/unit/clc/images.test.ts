import type { Kysely } from 'kysely';
import t from 'tap';
import type { RegisterImageInput } from '../../../src/aws/generated/ec2-types.js';
import type { Database } from '../../../src/db/schema.js';
import { createAccount } from '../../../services/clc/models/accounts.js';
import {
  deregisterImage,
  describeImageAttribute,
  describeImages,
  modifyImageAttribute,
  registerImage,
  requireLaunchableImage,
  resetImageAttribute,
  type ImageStore,
} from '../../../services/clc/models/images.js';
import { createTags, listTagDescriptions } from '../../../services/clc/models/resources.js';
import { backends } from '../db/backends.js';
import { expectServiceError } from '../../helpers/clc-models.js';

const notFound = (...ids: string[]) => ({
  code: 'InvalidAMIID.NotFound',
  message: `The image id '[${ids.join(', ')}]' does not exist`,
});
const notAuthorized = (id: string) => ({ code: 'AuthFailure', message: `Not authorized for image:${id}` });

const machine = (name: string, extra: Partial<RegisterImageInput> = {}): RegisterImageInput => ({
  Name: name,
  ImageLocation: `images/${name}.img.manifest.xml`,
  ...extra,
});

async function twoAccounts(db: Kysely<Database>): Promise<{ alice: string; bob: string; carol: string }> {
  const [alice, bob, carol] = await Promise.all(
    ['alice', 'bob', 'carol'].map(async (accountName) => (await createAccount(db, { accountName })).account.accountId),
  );
  return { alice: alice ?? '', bob: bob ?? '', carol: carol ?? '' };
}

const ids = (result: { Images: { ImageId?: string }[] }) => result.Images.map((image) => image.ImageId).sort();

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('RegisterImage: a machine image from the object store', async (t) => {
      const db = await backend.fresh(t);
      const { alice } = await twoAccounts(db);
      const { ImageId } = await registerImage(
        db,
        alice,
        machine('ubuntu-24.04', {
          Description: 'Ubuntu for tests',
          BlockDeviceMappings: [{ DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' }],
          TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'os', Value: 'ubuntu' }] }],
        }),
      );
      t.match(ImageId, /^ami-[0-9a-f]{17}$/);
      const { Images } = await describeImages(db, alice, { ImageIds: [ImageId] });
      t.equal(Images.length, 1);
      t.match(Images[0], {
        ImageId,
        ImageLocation: 'images/ubuntu-24.04.img.manifest.xml',
        State: 'available',
        OwnerId: alice,
        Public: false,
        Architecture: 'x86_64',
        ImageType: 'machine',
        Name: 'ubuntu-24.04',
        Description: 'Ubuntu for tests',
        RootDeviceType: 'instance-store',
        RootDeviceName: '/dev/sda1',
        BlockDeviceMappings: [{ DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' }],
        VirtualizationType: 'hvm',
        Hypervisor: 'xen',
        Tags: [{ Key: 'os', Value: 'ubuntu' }],
      });
      t.notOk('KernelId' in (Images[0] ?? {}), 'no kernel for an hvm image');
      t.ok(Date.parse(Images[0]?.CreationDate ?? '') > 0, 'a creation date');
      t.same(
        (await listTagDescriptions(db, alice)).map((tag) => tag.ResourceType),
        ['image'],
        'registered for tags as an image',
      );

      await expectServiceError(t, registerImage(db, alice, machine('ubuntu-24.04')), {
        code: 'InvalidAMIName.Duplicate',
        message: `AMI name ubuntu-24.04 is already in use by AMI ${ImageId}`,
      });
      const badName = {
        code: 'InvalidAMIName.Malformed',
        message:
          "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', " +
          "'-', '/' and '_'",
      };
      for (const name of ['ab', 'x'.repeat(129), 'semi;colon', 'star*']) {
        await expectServiceError(t, registerImage(db, alice, machine('fine', { Name: name })), badName);
      }
      for (const location of ['nobucket', '/leading/slash', 'bucket/', 'bu/ck et/', 'a/key', 'bucket//key']) {
        await expectServiceError(t, registerImage(db, alice, machine('loc', { ImageLocation: location })), {
          code: 'InvalidParameterValue',
          message: `Value (${location}) for parameter ImageLocation is invalid. Expecting bucket/key of the image bundle manifest in the object store.`,
        });
      }
      await expectServiceError(t, registerImage(db, alice, { Name: 'nowhere' }), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter ImageLocation',
      });
      await expectServiceError(
        t,
        registerImage(db, alice, {
          Name: 'ebs-backed',
          RootDeviceName: '/dev/sda1',
          BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: 'snap-0123456789abcdef0' } }],
        }),
        {
          code: 'UnsupportedOperation',
          message:
            'Registering EBS-backed images is not supported by this cloud yet: bundle the image, upload it to the ' +
            'object store and register the bundle with ImageLocation.',
        },
      );
      await expectServiceError(t, registerImage(db, alice, machine('sparc', { Architecture: 'sparc' })), {
        code: 'InvalidParameterValue',
        message: 'Value (sparc) for parameter Architecture is invalid. Valid values: i386, x86_64, arm64.',
      });
      await expectServiceError(t, registerImage(db, alice, machine('pv-image', { VirtualizationType: 'full' })), {
        code: 'InvalidParameterValue',
        message: 'Value (full) for parameter VirtualizationType is invalid. Valid values: hvm, paravirtual.',
      });
      await expectServiceError(t, registerImage(db, alice, machine('long', { Description: 'd'.repeat(256) })), {
        code: 'InvalidParameterValue',
        message: `Value (${'d'.repeat(256)}) for parameter Description is invalid. Descriptions are at most 255 characters.`,
      });
      t.same(ids(await describeImages(db, alice, {})), [ImageId], 'nothing refused was kept');
    });

    t.test('RegisterImage: kernels and ramdisks by the Eucalyptus convention', async (t) => {
      const db = await backend.fresh(t);
      const { alice, bob } = await twoAccounts(db);
      const kernel = (await registerImage(db, alice, machine('vmlinuz-6.1', { KernelId: 'true' }))).ImageId;
      const ramdisk = (await registerImage(db, alice, machine('initrd-6.1', { RamdiskId: 'true' }))).ImageId;
      t.match(kernel, /^aki-[0-9a-f]{17}$/);
      t.match(ramdisk, /^ari-[0-9a-f]{17}$/);
      const { Images } = await describeImages(db, alice, { ImageIds: [kernel, ramdisk] });
      t.same(
        Images.map((image) => [image.ImageId, image.ImageType, image.VirtualizationType]),
        [
          [kernel, 'kernel', 'paravirtual'],
          [ramdisk, 'ramdisk', 'paravirtual'],
        ],
      );

      const emi = (await registerImage(db, alice, machine('debian-pv', { KernelId: kernel, RamdiskId: ramdisk })))
        .ImageId;
      t.match((await describeImages(db, alice, { ImageIds: [emi] })).Images[0], {
        ImageType: 'machine',
        KernelId: kernel,
        RamdiskId: ramdisk,
        VirtualizationType: 'paravirtual',
      });
      t.same(
        ids(await describeImages(db, alice, { Filters: [{ Name: 'image-type', Values: ['kernel', 'ramdisk'] }] })),
        [kernel, ramdisk].sort(),
      );
      t.same(ids(await describeImages(db, alice, { Filters: [{ Name: 'kernel-id', Values: [kernel] }] })), [emi]);

      await expectServiceError(t, registerImage(db, alice, machine('both', { KernelId: 'true', RamdiskId: 'true' })), {
        code: 'InvalidParameterCombination',
        message: 'An image is a kernel or a ramdisk, not both: give KernelId=true or RamdiskId=true.',
      });
      await expectServiceError(
        t,
        registerImage(db, alice, machine('hvm-k', { KernelId: kernel, VirtualizationType: 'hvm' })),
        {
          code: 'InvalidParameterCombination',
          message: 'An hvm image boots from its own disk: KernelId and RamdiskId need VirtualizationType paravirtual.',
        },
      );
      await expectServiceError(t, registerImage(db, alice, machine('wrong', { KernelId: ramdisk })), {
        code: 'InvalidParameterValue',
        message: `Value (${ramdisk}) for parameter KernelId is invalid. The image is not a kernel image.`,
      });
      await expectServiceError(
        t,
        registerImage(db, alice, machine('gone', { KernelId: 'aki-0123456789abcdef0' })),
        notFound('aki-0123456789abcdef0'),
      );
      await expectServiceError(t, registerImage(db, alice, machine('bad', { KernelId: 'vmlinuz' })), {
        code: 'InvalidAMIID.Malformed',
        message: 'Invalid id: "vmlinuz"',
      });

      // Another account may boot with a kernel only once it may launch it.
      await expectServiceError(t, registerImage(db, bob, machine('bobs', { KernelId: kernel })), notFound(kernel));
      await modifyImageAttribute(db, alice, { ImageId: kernel, LaunchPermission: { Add: [{ UserId: bob }] } });
      const bobs = (await registerImage(db, bob, machine('bobs', { KernelId: kernel }))).ImageId;
      t.match((await requireLaunchableImage(db, bob, bobs)).kernelId, kernel);
    });

    t.test('the image store is asked when there is one', async (t) => {
      const db = await backend.fresh(t);
      const { alice } = await twoAccounts(db);
      const asked: string[][] = [];
      const imageStore: ImageStore = {
        async objectExists(bucket, key, accountId) {
          asked.push([bucket, key, accountId]);
          return key === 'there.manifest.xml';
        },
      };
      await registerImage(db, alice, { Name: 'there', ImageLocation: 'walrus/there.manifest.xml' }, { imageStore });
      await expectServiceError(
        t,
        registerImage(db, alice, { Name: 'missing', ImageLocation: 'walrus/dir/missing.manifest.xml' }, { imageStore }),
        {
          code: 'InvalidManifest',
          message:
            'The specified AMI has an unparsable manifest, or you may not have access to the location of the ' +
            'manifest file: walrus/dir/missing.manifest.xml',
        },
      );
      t.same(asked, [
        ['walrus', 'there.manifest.xml', alice],
        ['walrus', 'dir/missing.manifest.xml', alice],
      ]);
      t.equal((await describeImages(db, alice, {})).Images.length, 1);
    });

    t.test('visibility: private, shared, public', async (t) => {
      const db = await backend.fresh(t);
      const { alice, bob, carol } = await twoAccounts(db);
      const image = (
        await registerImage(
          db,
          alice,
          machine('alices', { TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }] }),
        )
      ).ImageId;
      const bobsOwn = (await registerImage(db, bob, machine('bobs'))).ImageId;

      t.same(ids(await describeImages(db, bob, {})), [bobsOwn], 'a private image of another account is not listed');
      await expectServiceError(t, describeImages(db, bob, { ImageIds: [image] }), notFound(image));
      await expectServiceError(t, requireLaunchableImage(db, bob, image), notFound(image));
      await expectServiceError(t, deregisterImage(db, bob, image), notFound(image));
      await expectServiceError(
        t,
        modifyImageAttribute(db, bob, { ImageId: image, LaunchPermission: { Add: [{ Group: 'all' }] } }),
        notFound(image),
      );

      await modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Add: [{ UserId: bob }] } });
      t.same(ids(await describeImages(db, bob, {})), [image, bobsOwn].sort(), 'shared with bob');
      const seen = (await describeImages(db, bob, { ImageIds: [image] })).Images[0];
      t.match(seen, { OwnerId: alice, Public: false, Tags: [] }, "the owner's tags are the owner's");
      t.same(ids(await describeImages(db, bob, { ExecutableUsers: ['self'] })), [image]);
      t.same(ids(await describeImages(db, bob, { Owners: ['self'] })), [bobsOwn]);
      t.same(ids(await describeImages(db, bob, { Owners: [alice] })), [image]);
      t.same(ids(await describeImages(db, bob, { Owners: ['amazon'] })), []);
      t.same(ids(await describeImages(db, alice, { ExecutableUsers: [bob] })), [image]);
      t.same(ids(await describeImages(db, carol, {})), [], 'not shared with carol');
      t.equal((await requireLaunchableImage(db, bob, image)).ownerId, alice);
      await expectServiceError(t, deregisterImage(db, bob, image), notAuthorized(image));
      await expectServiceError(
        t,
        describeImageAttribute(db, bob, { ImageId: image, Attribute: 'launchPermission' }),
        notAuthorized(image),
      );
      await expectServiceError(
        t,
        resetImageAttribute(db, bob, { ImageId: image, Attribute: 'launchPermission' }),
        notAuthorized(image),
      );
      await expectServiceError(t, createTags(db, bob, [image], [{ Key: 'mine', Value: 'no' }]), {
        code: 'InvalidAMIID.NotFound',
        message: `The image id '${image}' does not exist`,
      });

      await modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Add: [{ Group: 'all' }] } });
      t.same(ids(await describeImages(db, carol, {})), [image], 'public');
      t.same(ids(await describeImages(db, carol, { ExecutableUsers: ['all'] })), [image]);
      t.same(ids(await describeImages(db, carol, { ExecutableUsers: ['self'] })), [], 'not shared with carol as such');
      t.same(ids(await describeImages(db, bob, { Filters: [{ Name: 'is-public', Values: ['true'] }] })), [image]);
      t.same(ids(await describeImages(db, bob, { Filters: [{ Name: 'is-public', Values: ['false'] }] })), [bobsOwn]);
      t.same(await describeImageAttribute(db, alice, { ImageId: image, Attribute: 'launchPermission' }), {
        ImageId: image,
        LaunchPermissions: [{ UserId: bob }, { Group: 'all' }],
      });

      await modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Remove: [{ Group: 'all' }] } });
      t.same(ids(await describeImages(db, carol, {})), [], 'private again');
      t.same(ids(await describeImages(db, bob, {})), [image, bobsOwn].sort(), 'still shared with bob');

      await resetImageAttribute(db, alice, { ImageId: image, Attribute: 'launchPermission' });
      t.same(ids(await describeImages(db, bob, {})), [bobsOwn], 'reset takes every grant away');
      t.same(await describeImageAttribute(db, alice, { ImageId: image, Attribute: 'launchPermission' }), {
        ImageId: image,
        LaunchPermissions: [],
      });
    });

    t.test('ModifyImageAttribute: the older form, descriptions and refusals', async (t) => {
      const db = await backend.fresh(t);
      const { alice, bob, carol } = await twoAccounts(db);
      const image = (await registerImage(db, alice, machine('legacy'))).ImageId;
      await modifyImageAttribute(db, alice, {
        ImageId: image,
        Attribute: 'launchPermission',
        OperationType: 'add',
        UserIds: [bob, carol],
      });
      t.same(ids(await describeImages(db, carol, {})), [image]);
      await modifyImageAttribute(db, alice, {
        ImageId: image,
        Attribute: 'launchPermission',
        OperationType: 'remove',
        UserIds: [carol],
      });
      t.same(ids(await describeImages(db, carol, {})), []);
      await modifyImageAttribute(db, alice, {
        ImageId: image,
        Attribute: 'launchPermission',
        OperationType: 'add',
        UserGroups: ['all'],
      });
      t.same(ids(await describeImages(db, carol, {})), [image]);

      await modifyImageAttribute(db, alice, { ImageId: image, Description: { Value: 'first' } });
      t.same(await describeImageAttribute(db, alice, { ImageId: image, Attribute: 'description' }), {
        ImageId: image,
        Description: { Value: 'first' },
      });
      await modifyImageAttribute(db, alice, { ImageId: image, Attribute: 'description', Value: 'second' });
      t.equal((await describeImages(db, alice, { ImageIds: [image] })).Images[0]?.Description, 'second');
      t.same(await describeImageAttribute(db, alice, { ImageId: image, Attribute: 'kernel' }), {
        ImageId: image,
        KernelId: {},
      });
      t.same(await describeImageAttribute(db, alice, { ImageId: image, Attribute: 'ramdisk' }), {
        ImageId: image,
        RamdiskId: {},
      });
      await expectServiceError(t, describeImageAttribute(db, alice, { ImageId: image, Attribute: 'colour' }), {
        code: 'InvalidParameterValue',
        message: 'Value (colour) for parameter Attribute is invalid. Unknown attribute.',
      });

      await expectServiceError(
        t,
        modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Add: [{ UserId: 'bob' }] } }),
        { code: 'InvalidAMIAttributeItemValue', message: 'Invalid attribute item value "bob" for userId item type.' },
      );
      await expectServiceError(
        t,
        modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Add: [{ Group: 'friends' }] } }),
        {
          code: 'InvalidAMIAttributeItemValue',
          message: 'Invalid attribute item value "friends" for group item type.',
        },
      );
      await expectServiceError(
        t,
        modifyImageAttribute(db, alice, { ImageId: image, Attribute: 'launchPermission', UserIds: [bob] }),
        { code: 'MissingParameter', message: 'The request must contain the parameter OperationType' },
      );
      await expectServiceError(t, modifyImageAttribute(db, alice, { ImageId: image }), {
        code: 'InvalidParameterCombination',
        message: 'No attributes specified.',
      });
      await expectServiceError(
        t,
        modifyImageAttribute(db, alice, { ImageId: image, Attribute: 'kernel', Value: 'aki-1' }),
        {
          code: 'InvalidParameterValue',
          message: 'Value (kernel) for parameter Attribute is invalid. Valid values: description, launchPermission.',
        },
      );
      await expectServiceError(t, resetImageAttribute(db, alice, { ImageId: image, Attribute: 'description' }), {
        code: 'InvalidParameterValue',
        message: 'Value (description) for parameter Attribute is invalid. Only launchPermission can be reset.',
      });
      await expectServiceError(
        t,
        modifyImageAttribute(db, alice, { ImageId: 'ami-12345', Description: { Value: 'x' } }),
        {
          code: 'InvalidAMIID.Malformed',
          message: 'Invalid id: "ami-12345"',
        },
      );
    });

    t.test('DeregisterImage forgets the image, its grants and tags', async (t) => {
      const db = await backend.fresh(t);
      const { alice, bob } = await twoAccounts(db);
      const image = (
        await registerImage(
          db,
          alice,
          machine('short-lived', { TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }] }),
        )
      ).ImageId;
      await modifyImageAttribute(db, alice, { ImageId: image, LaunchPermission: { Add: [{ UserId: bob }] } });
      await deregisterImage(db, alice, image);
      t.same((await describeImages(db, alice, {})).Images, []);
      t.same((await describeImages(db, bob, {})).Images, []);
      t.same(await listTagDescriptions(db, alice), []);
      t.same(await db.selectFrom('image_launch_permissions').selectAll().execute(), []);
      await expectServiceError(t, deregisterImage(db, alice, image), notFound(image));
      const again = (await registerImage(db, alice, machine('short-lived'))).ImageId;
      t.not(again, image, 'the name is free again, under a new id');
    });

    t.test('DescribeImages: ids, owners, filters and pages', async (t) => {
      const db = await backend.fresh(t);
      const { alice } = await twoAccounts(db);
      const registered: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { ImageId } = await registerImage(
          db,
          alice,
          machine(`web-${i}`, {
            Architecture: i % 2 === 0 ? 'x86_64' : 'i386',
            TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'tier', Value: i < 3 ? 'front' : 'back' }] }],
          }),
        );
        registered.push(ImageId);
      }
      registered.sort();
      t.same(ids(await describeImages(db, alice, {})), registered);
      t.same(
        (await describeImages(db, alice, { Filters: [{ Name: 'architecture', Values: ['i386'] }] })).Images.map(
          (image) => image.Name,
        ).sort(),
        ['web-1', 'web-3', 'web-5'],
      );
      t.equal(
        (await describeImages(db, alice, { Filters: [{ Name: 'tag:tier', Values: ['front'] }] })).Images.length,
        3,
      );
      t.equal((await describeImages(db, alice, { Filters: [{ Name: 'name', Values: ['web-?'] }] })).Images.length, 7);
      t.equal(
        (
          await describeImages(db, alice, {
            Filters: [
              { Name: 'owner-id', Values: [alice] },
              { Name: 'state', Values: ['available'] },
            ],
          })
        ).Images.length,
        7,
      );
      t.same(ids(await describeImages(db, alice, { Filters: [{ Name: 'image-id', Values: [registered[2] ?? ''] }] })), [
        registered[2],
      ]);
      await expectServiceError(t, describeImages(db, alice, { Filters: [{ Name: 'colour', Values: ['red'] }] }), {
        code: 'InvalidParameterValue',
        message: "The filter 'colour' is invalid",
      });
      await expectServiceError(t, describeImages(db, alice, { Owners: ['nobody'] }), {
        code: 'InvalidUserID.Malformed',
        message: 'Invalid user id: "nobody"',
      });
      await expectServiceError(
        t,
        describeImages(db, alice, {
          ImageIds: [registered[0] ?? '', 'ami-0000000000000000a', 'ari-0000000000000000b'],
        }),
        notFound('ami-0000000000000000a', 'ari-0000000000000000b'),
      );
      await expectServiceError(t, describeImages(db, alice, { ImageIds: ['emi-12345678'] }), {
        code: 'InvalidAMIID.Malformed',
        message: 'Invalid id: "emi-12345678"',
      });
      await expectServiceError(t, describeImages(db, alice, { ImageIds: [registered[0] ?? ''], MaxResults: 5 }), {
        code: 'InvalidParameterCombination',
        message: 'The parameter imageIds cannot be used with the parameter maxResults',
      });

      const first = await describeImages(db, alice, { MaxResults: 5 });
      t.equal(first.Images.length, 5);
      t.ok(first.NextToken);
      const second = await describeImages(db, alice, { MaxResults: 5, NextToken: first.NextToken });
      t.same([...ids(first), ...ids(second)], registered);
      t.equal(second.NextToken, undefined);
    });
  });
}
