import type { Kysely, Selectable } from 'kysely';
import type {
  BlockDeviceMapping,
  DescribeImageAttributeOutput,
  DescribeImagesInput,
  Image,
  LaunchPermission,
  ModifyImageAttributeInput,
  RegisterImageInput,
} from '../../../src/aws/generated/ec2-types.js';
import { commonErrors } from '../../../src/aws/service-error.js';
import type { Database, ImagesTable, ImageType } from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { isResourceId, newResourceId, resourceTypes, type ResourceType } from './ec2-ids.js';
import { filterItems, paginate, type FilterFields } from './filters.js';
import { applyTagSpecifications, registerResource, tagsOf, unregisterResource } from './resources.js';

/**
 * Images, as Eucalyptus had them: machine images (EMI) and the kernels (EKI) and ramdisks (ERI) paravirtual machine
 * images boot with, each a bundle in the object store. Ids carry AWS's prefixes (`ami-`, `aki-`, `ari-`) because
 * real clients check for them.
 *
 * An image is visible to its owner, to every account when public, and to the accounts it is shared with; an image
 * visible to no one else is reported missing, exactly as one that does not exist. Only the owner changes it; another
 * account that can see it is refused with `AuthFailure`, as EC2 does.
 *
 * EC2's `RegisterImage` has no member for the image type. Eucalyptus's `euca-register --kernel true` and
 * `--ramdisk true` sent `KernelId=true` and `RamdiskId=true`, and that convention holds here: `KernelId=true`
 * registers a kernel, `RamdiskId=true` a ramdisk, anything else a machine image.
 */

type Db = Kysely<Database>;
type ImageRow = Selectable<ImagesTable>;

/**
 * The object store's side of registration: whether the bundle named by `ImageLocation` is there for the account to
 * read. The clc supplies one once Walrus is registered; without one, any well-formed location is taken on trust.
 */
export interface ImageStore {
  objectExists(bucket: string, key: string, accountId: string): Promise<boolean>;
}

/** What `RunInstances` needs of an image. */
export interface LaunchableImage {
  imageId: string;
  imageType: ImageType;
  ownerId: string;
  /** `bucket/key` in the object store. */
  imageLocation: string | null;
  kernelId: string | null;
  ramdiskId: string | null;
  architecture: string;
  virtualizationType: string;
  rootDeviceType: string;
  rootDeviceName: string | null;
  blockDeviceMappings: BlockDeviceMapping[];
  state: string;
}

/** Who may launch everyone's public images. */
const publicGrantee = 'all';

const idTypes: Record<ImageType, ResourceType> = { machine: 'image', kernel: 'kernel', ramdisk: 'ramdisk' };

export const architectures = ['i386', 'x86_64', 'arm64'] as const;
export const virtualizationTypes = ['hvm', 'paravirtual'] as const;

/** EC2's limits. */
export const imageLimits = { descriptionLength: 255, locationLength: 1024 } as const;

/** The image type an id names by its prefix, if it is an image id at all. */
export function imageTypeOfId(id: string): ImageType | undefined {
  for (const [type, resourceType] of Object.entries(idTypes)) {
    if (isResourceId(resourceType, id)) return type as ImageType;
  }
  return undefined;
}

function assertImageId(id: string): ImageType {
  const type = imageTypeOfId(id);
  if (!type) throw ec2Errors.malformed(resourceTypes.image.malformed, id);
  return type;
}

export async function registerImage(
  db: Db,
  accountId: string,
  input: RegisterImageInput,
  options: { imageStore?: ImageStore } = {},
): Promise<{ ImageId: string }> {
  const plan = planRegistration(input);
  if (plan.location && options.imageStore) {
    const { bucket, key } = plan.location;
    if (!(await options.imageStore.objectExists(bucket, key, accountId))) {
      throw ec2Errors.invalidManifest(`${bucket}/${key}`);
    }
  }
  try {
    return await withTransaction(db, async (trx) => {
      const existing = await imageIdByName(trx, accountId, input.Name);
      if (existing) throw ec2Errors.imageNameDuplicate(input.Name, existing);
      if (plan.kernelId) await requireBootImage(trx, accountId, plan.kernelId, 'kernel');
      if (plan.ramdiskId) await requireBootImage(trx, accountId, plan.ramdiskId, 'ramdisk');
      const row: ImageRow = {
        image_id: newResourceId(idTypes[plan.imageType]),
        account_id: accountId,
        name: input.Name,
        image_type: plan.imageType,
        image_location: plan.location ? `${plan.location.bucket}/${plan.location.key}` : null,
        architecture: plan.architecture,
        virtualization_type: plan.virtualizationType,
        root_device_type: 'instance-store',
        root_device_name: plan.rootDeviceName,
        kernel_id: plan.kernelId,
        ramdisk_id: plan.ramdiskId,
        description: input.Description ?? null,
        block_device_mappings: JSON.stringify(plan.blockDeviceMappings),
        // Eucalyptus showed `pending` while it decrypted a bundle; images are used as uploaded here.
        state: 'available',
        created_at: new Date().toISOString(),
      };
      // Every image type is an `image` to tags and `DescribeTags`, as on EC2.
      await registerResource(trx, accountId, 'image', row.image_id);
      await trx.insertInto('images').values(row).execute();
      await applyTagSpecifications(trx, accountId, 'image', row.image_id, input.TagSpecifications);
      return { ImageId: row.image_id };
    });
  } catch (error) {
    // A concurrent registration of the same name won the unique constraint.
    if (isUniqueViolation(error)) {
      const winner = await imageIdByName(db, accountId, input.Name);
      if (winner) throw ec2Errors.imageNameDuplicate(input.Name, winner);
    }
    throw error;
  }
}

interface RegistrationPlan {
  imageType: ImageType;
  location?: { bucket: string; key: string };
  architecture: string;
  virtualizationType: string;
  rootDeviceName: string | null;
  kernelId: string | null;
  ramdiskId: string | null;
  blockDeviceMappings: BlockDeviceMapping[];
}

/** Everything about a registration that needs no database: the input's form and how its members combine. */
function planRegistration(input: RegisterImageInput): RegistrationPlan {
  checkImageName(input.Name);
  if (input.Description !== undefined && input.Description.length > imageLimits.descriptionLength) {
    throw commonErrors.invalidParameterValue(
      'Description',
      input.Description,
      `Descriptions are at most ${imageLimits.descriptionLength} characters.`,
    );
  }
  if (input.ImageLocation === undefined) {
    if (input.RootDeviceName !== undefined || (input.BlockDeviceMappings ?? []).some((m) => m.Ebs)) {
      throw ec2Errors.unsupported(
        'Registering EBS-backed images is not supported by this cloud yet: bundle the image, upload it to the ' +
          'object store and register the bundle with ImageLocation.',
      );
    }
    throw commonErrors.missingParameter('ImageLocation');
  }
  const location = parseImageLocation(input.ImageLocation);
  const mappings = (input.BlockDeviceMappings ?? []).map(checkMapping);
  const architecture = input.Architecture ?? 'x86_64';
  if (!(architectures as readonly string[]).includes(architecture)) {
    throw commonErrors.invalidParameterValue(
      'Architecture',
      architecture,
      `Valid values: ${architectures.join(', ')}.`,
    );
  }
  if (
    input.VirtualizationType !== undefined &&
    !(virtualizationTypes as readonly string[]).includes(input.VirtualizationType)
  ) {
    throw commonErrors.invalidParameterValue(
      'VirtualizationType',
      input.VirtualizationType,
      `Valid values: ${virtualizationTypes.join(', ')}.`,
    );
  }

  const isKernel = isFlag(input.KernelId);
  const isRamdisk = isFlag(input.RamdiskId);
  if (isKernel || isRamdisk) {
    if (isKernel && isRamdisk) {
      throw commonErrors.invalidParameterCombination(
        'An image is a kernel or a ramdisk, not both: give KernelId=true or RamdiskId=true.',
      );
    }
    const other = isKernel ? input.RamdiskId : input.KernelId;
    if (other !== undefined) {
      throw commonErrors.invalidParameterCombination(
        'A kernel or ramdisk image boots with no kernel or ramdisk of its own.',
      );
    }
    if (input.VirtualizationType === 'hvm') {
      throw commonErrors.invalidParameterCombination('Kernel and ramdisk images are for paravirtual instances.');
    }
    if (mappings.length > 0 || input.RootDeviceName !== undefined) {
      throw commonErrors.invalidParameterCombination('Kernel and ramdisk images have no block devices.');
    }
    return {
      imageType: isKernel ? 'kernel' : 'ramdisk',
      location,
      architecture,
      virtualizationType: 'paravirtual',
      rootDeviceName: null,
      kernelId: null,
      ramdiskId: null,
      blockDeviceMappings: [],
    };
  }

  const kernelId = input.KernelId ?? null;
  const ramdiskId = input.RamdiskId ?? null;
  // A machine image with a kernel of its own choosing boots paravirtual, as on Eucalyptus; otherwise from its disk.
  const virtualizationType = input.VirtualizationType ?? (kernelId !== null ? 'paravirtual' : 'hvm');
  if (virtualizationType === 'hvm' && (kernelId !== null || ramdiskId !== null)) {
    throw commonErrors.invalidParameterCombination(
      'An hvm image boots from its own disk: KernelId and RamdiskId need VirtualizationType paravirtual.',
    );
  }
  return {
    imageType: 'machine',
    location,
    architecture,
    virtualizationType,
    rootDeviceName: input.RootDeviceName ?? '/dev/sda1',
    kernelId,
    ramdiskId,
    blockDeviceMappings: mappings,
  };
}

function isFlag(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

/** EC2's rule: 3 to 128 of letters, digits, `( ) [ ] . / - ' @ _` and space. */
function checkImageName(name: string): void {
  if (!/^[A-Za-z0-9()[\] ./'@_-]{3,128}$/.test(name)) throw ec2Errors.imageNameMalformed();
}

/** `bucket/key`: a bucket name as S3 (and Walrus, which allowed capitals) takes them, then a non-empty key. */
export function parseImageLocation(location: string): { bucket: string; key: string } {
  const slash = location.indexOf('/');
  const bucket = slash < 0 ? location : location.slice(0, slash);
  const key = slash < 0 ? '' : location.slice(slash + 1);
  if (
    location.length > imageLimits.locationLength ||
    !/^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$/.test(bucket) ||
    key.length === 0 ||
    key.startsWith('/')
  ) {
    throw commonErrors.invalidParameterValue(
      'ImageLocation',
      location,
      'Expecting bucket/key of the image bundle manifest in the object store.',
    );
  }
  return { bucket, key };
}

/** Instance-store mappings (`ephemeral0`, or a suppressed device); EBS volumes come with the storage controller. */
function checkMapping(mapping: BlockDeviceMapping): BlockDeviceMapping {
  if (mapping.Ebs) {
    throw ec2Errors.unsupported('EBS volumes in image block device mappings are not supported by this cloud yet.');
  }
  if (mapping.DeviceName === undefined || mapping.DeviceName === '') {
    throw commonErrors.missingParameter('BlockDeviceMapping.DeviceName');
  }
  if (mapping.VirtualName !== undefined && !/^ephemeral\d+$/.test(mapping.VirtualName)) {
    throw commonErrors.invalidParameterValue(
      'BlockDeviceMapping.VirtualName',
      mapping.VirtualName,
      'Expecting ephemeral0, ephemeral1 ...',
    );
  }
  return {
    DeviceName: mapping.DeviceName,
    ...(mapping.VirtualName !== undefined && { VirtualName: mapping.VirtualName }),
    ...(mapping.NoDevice !== undefined && { NoDevice: mapping.NoDevice }),
  };
}

async function imageIdByName(db: Db, accountId: string, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('images')
    .select('image_id')
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.image_id;
}

/** A kernel or ramdisk a machine image is registered with: one the caller may launch, of the right type. */
async function requireBootImage(db: Db, accountId: string, id: string, type: 'kernel' | 'ramdisk'): Promise<void> {
  const parameter = type === 'kernel' ? 'KernelId' : 'RamdiskId';
  const idType = imageTypeOfId(id);
  if (!idType) throw ec2Errors.malformed(resourceTypes[type].malformed, id);
  if (idType !== type) throw commonErrors.invalidParameterValue(parameter, id, `The image is not a ${type} image.`);
  const rows = await visibleImages(db, accountId, [id]);
  if (rows.length === 0) throw ec2Errors.imageNotFound([id]);
}

/** The images the account may see (and launch), or those of `ids` among them. */
async function visibleImages(db: Db, accountId: string, ids?: readonly string[]): Promise<ImageRow[]> {
  let query = db
    .selectFrom('images')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('account_id', '=', accountId),
        eb(
          'image_id',
          'in',
          eb
            .selectFrom('image_launch_permissions')
            .select('image_launch_permissions.image_id')
            .where('grantee', 'in', [accountId, publicGrantee]),
        ),
      ]),
    );
  if (ids !== undefined) {
    if (ids.length === 0) return [];
    query = query.where('image_id', 'in', [...ids]);
  }
  return query.orderBy('image_id').execute();
}

/** The grantees of each image, in byte order (account ids, then `all`). */
async function granteesOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('image_launch_permissions')
      .select(['image_id', 'grantee'])
      .where('image_id', 'in', ids.slice(i, i + 500))
      .orderBy('grantee')
      .execute();
    for (const row of rows) result.get(row.image_id)?.push(row.grantee);
  }
  return result;
}

interface DescribedImage {
  image: Image;
  grantees: readonly string[];
}

const imageFilters: FilterFields<Image> = {
  'image-id': (image) => image.ImageId,
  name: (image) => image.Name,
  state: (image) => image.State,
  'owner-id': (image) => image.OwnerId,
  'owner-alias': (image) => image.ImageOwnerAlias,
  'image-type': (image) => image.ImageType,
  architecture: (image) => image.Architecture,
  'is-public': (image) => image.Public,
  'kernel-id': (image) => image.KernelId,
  'ramdisk-id': (image) => image.RamdiskId,
  description: (image) => image.Description,
  'manifest-location': (image) => image.ImageLocation,
  'root-device-type': (image) => image.RootDeviceType,
  'root-device-name': (image) => image.RootDeviceName,
  'virtualization-type': (image) => image.VirtualizationType,
  hypervisor: (image) => image.Hypervisor,
  'creation-date': (image) => image.CreationDate,
  'platform-details': (image) => image.PlatformDetails,
  'block-device-mapping.device-name': (image) => (image.BlockDeviceMappings ?? []).map((m) => m.DeviceName),
};

/** Aliases of AWS-owned images: valid owners, owning nothing here. */
const awsOwnerAliases = new Set(['amazon', 'aws-marketplace', 'aws-backup-vault']);

/**
 * `DescribeImages`: the images the account may see, narrowed by `ImageIds` (each must be visible), `Owners`
 * (`self`, account ids), `ExecutableUsers` (`self` or an account id: shared with that account; `all`: public) and
 * filters; in id order, paged.
 */
export async function describeImages(
  db: Db,
  accountId: string,
  input: DescribeImagesInput,
): Promise<{ Images: Image[]; NextToken?: string }> {
  const ids = input.ImageIds ?? [];
  for (const id of ids) assertImageId(id);
  if (ids.length > 0 && input.MaxResults !== undefined) throw ec2Errors.idsWithMaxResults('imageIds');
  const owners = ownerSet(input.Owners, accountId);
  const executableBy = (input.ExecutableUsers ?? []).map((user) => accountOrAlias(user, accountId, ['all']));

  const rows = await visibleImages(db, accountId, ids.length > 0 ? [...new Set(ids)] : undefined);
  if (ids.length > 0) {
    const found = new Set(rows.map((row) => row.image_id));
    const missing = [...new Set(ids)].filter((id) => !found.has(id));
    if (missing.length > 0) throw ec2Errors.imageNotFound(missing);
  }
  const described = await describeRows(db, accountId, rows);
  const narrowed = described.filter(
    ({ image, grantees }) =>
      (owners === undefined || owners.has(image.OwnerId ?? '')) &&
      (executableBy.length === 0 || executableBy.some((user) => grantees.includes(user))),
  );
  const images = filterItems(
    narrowed.map((entry) => entry.image),
    input.Filters,
    imageFilters,
    { tagsOf: (image) => image.Tags },
  );
  const page = paginate(images, (image) => image.ImageId ?? '', input, { min: 5, max: 1000 });
  return { Images: page.items, ...(page.NextToken !== undefined && { NextToken: page.NextToken }) };
}

function ownerSet(owners: readonly string[] | undefined, accountId: string): Set<string> | undefined {
  if (!owners || owners.length === 0) return undefined;
  const result = new Set<string>();
  for (const owner of owners) {
    if (awsOwnerAliases.has(owner)) continue;
    result.add(accountOrAlias(owner, accountId, []));
  }
  return result;
}

/** `self` as the caller's id, an account id as itself, one of `aliases` as itself; anything else is refused. */
function accountOrAlias(value: string, accountId: string, aliases: readonly string[]): string {
  if (value === 'self') return accountId;
  if (/^\d{12}$/.test(value) || aliases.includes(value)) return value;
  throw ec2Errors.invalidUserId(value);
}

async function describeRows(db: Db, accountId: string, rows: readonly ImageRow[]): Promise<DescribedImage[]> {
  const ids = rows.map((row) => row.image_id);
  const grantees = await granteesOf(db, ids);
  // Tags are the owner's: another account sees none on a shared image, as on EC2.
  const tags = await tagsOf(
    db,
    accountId,
    rows.filter((row) => row.account_id === accountId).map((row) => row.image_id),
  );
  return rows.map((row) => {
    const granted = grantees.get(row.image_id) ?? [];
    return { image: toImage(row, granted, tags.get(row.image_id) ?? []), grantees: granted };
  });
}

function toImage(row: ImageRow, grantees: readonly string[], tags: Image['Tags']): Image {
  return {
    ImageId: row.image_id,
    ...(row.image_location !== null && { ImageLocation: row.image_location }),
    State: row.state,
    OwnerId: row.account_id,
    CreationDate: row.created_at,
    Public: grantees.includes(publicGrantee),
    Architecture: row.architecture,
    ImageType: row.image_type,
    ...(row.kernel_id !== null && { KernelId: row.kernel_id }),
    ...(row.ramdisk_id !== null && { RamdiskId: row.ramdisk_id }),
    Name: row.name,
    ...(row.description !== null && { Description: row.description }),
    RootDeviceType: row.root_device_type,
    ...(row.root_device_name !== null && { RootDeviceName: row.root_device_name }),
    BlockDeviceMappings: mappingsOf(row),
    VirtualizationType: row.virtualization_type,
    // The model's image hypervisors are `ovm` and `xen`; EC2 reports `xen` for every image, nitro-run ones too.
    Hypervisor: 'xen',
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    Tags: tags ?? [],
  };
}

function mappingsOf(row: ImageRow): BlockDeviceMapping[] {
  return JSON.parse(row.block_device_mappings) as BlockDeviceMapping[];
}

/**
 * The image for `RunInstances`: one the account may launch (its own, a public one or one shared with it); any other
 * is `InvalidAMIID.NotFound`. The caller checks the type (a kernel is no machine to run).
 */
export async function requireLaunchableImage(db: Db, accountId: string, imageId: string): Promise<LaunchableImage> {
  assertImageId(imageId);
  const [row] = await visibleImages(db, accountId, [imageId]);
  if (!row) throw ec2Errors.imageNotFound([imageId]);
  return {
    imageId: row.image_id,
    imageType: row.image_type,
    ownerId: row.account_id,
    imageLocation: row.image_location,
    kernelId: row.kernel_id,
    ramdiskId: row.ramdisk_id,
    architecture: row.architecture,
    virtualizationType: row.virtualization_type,
    rootDeviceType: row.root_device_type,
    rootDeviceName: row.root_device_name,
    blockDeviceMappings: mappingsOf(row),
    state: row.state,
  };
}

/** The account's own image; one it can see but not own is `AuthFailure`, one it cannot see is missing. */
async function requireOwnedImage(db: Db, accountId: string, imageId: string): Promise<ImageRow> {
  assertImageId(imageId);
  const [row] = await visibleImages(db, accountId, [imageId]);
  if (!row) throw ec2Errors.imageNotFound([imageId]);
  if (row.account_id !== accountId) throw ec2Errors.imageNotAuthorized(imageId);
  return row;
}

/** Forgets an image, its launch permissions and tags. Instances running from it are not affected. */
export async function deregisterImage(db: Db, accountId: string, imageId: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    await requireOwnedImage(trx, accountId, imageId);
    await trx.deleteFrom('image_launch_permissions').where('image_id', '=', imageId).execute();
    await trx.deleteFrom('images').where('image_id', '=', imageId).execute();
    await unregisterResource(trx, imageId);
  });
}

/** The attribute names `DescribeImageAttribute` takes; those this cloud has nothing for answer with the id alone. */
const describableAttributes = new Set([
  'description',
  'kernel',
  'ramdisk',
  'launchPermission',
  'productCodes',
  'blockDeviceMapping',
  'sriovNetSupport',
  'bootMode',
  'tpmSupport',
  'uefiData',
  'lastLaunchedTime',
  'imdsSupport',
  'deregistrationProtection',
]);

export async function describeImageAttribute(
  db: Db,
  accountId: string,
  input: { ImageId: string; Attribute: string },
): Promise<DescribeImageAttributeOutput> {
  if (!describableAttributes.has(input.Attribute)) {
    throw commonErrors.invalidParameterValue('Attribute', input.Attribute, 'Unknown attribute.');
  }
  const row = await requireOwnedImage(db, accountId, input.ImageId);
  const value = (text: string | null) => (text === null ? {} : { Value: text });
  const output: DescribeImageAttributeOutput = { ImageId: row.image_id };
  switch (input.Attribute) {
    case 'description':
      return { ...output, Description: value(row.description) };
    case 'kernel':
      return { ...output, KernelId: value(row.kernel_id) };
    case 'ramdisk':
      return { ...output, RamdiskId: value(row.ramdisk_id) };
    case 'blockDeviceMapping':
      return { ...output, BlockDeviceMappings: mappingsOf(row) };
    case 'productCodes':
      return { ...output, ProductCodes: [] };
    case 'launchPermission': {
      const grantees = (await granteesOf(db, [row.image_id])).get(row.image_id) ?? [];
      return { ...output, LaunchPermissions: grantees.map(launchPermissionOf) };
    }
    default:
      return output;
  }
}

function launchPermissionOf(grantee: string): LaunchPermission {
  return grantee === publicGrantee ? { Group: publicGrantee } : { UserId: grantee };
}

/**
 * `ModifyImageAttribute`: launch permissions added and removed (`LaunchPermission.Add/Remove`, or the older
 * `Attribute=launchPermission` with `OperationType` and `UserId.N` / `UserGroup.N`), or the description.
 */
export async function modifyImageAttribute(db: Db, accountId: string, input: ModifyImageAttributeInput): Promise<void> {
  const attribute = input.Attribute;
  if (attribute !== undefined && attribute !== 'launchPermission' && attribute !== 'description') {
    throw commonErrors.invalidParameterValue('Attribute', attribute, 'Valid values: description, launchPermission.');
  }
  if ((input.ProductCodes ?? []).length > 0 || input.ImdsSupport !== undefined) {
    throw ec2Errors.unsupported('Product codes and IMDS settings of images are not supported by this cloud.');
  }
  if ((input.OrganizationArns ?? []).length > 0 || (input.OrganizationalUnitArns ?? []).length > 0) {
    throw ec2Errors.unsupported('Sharing images with organizations is not supported by this cloud.');
  }
  const adds = (input.LaunchPermission?.Add ?? []).map(granteeOf);
  const removes = (input.LaunchPermission?.Remove ?? []).map(granteeOf);
  const legacy = [
    ...(input.UserIds ?? []).map((id) => checkUserId(id)),
    ...(input.UserGroups ?? []).map((group) => checkGroup(group)),
  ];
  if (legacy.length > 0 || input.OperationType !== undefined) {
    if (attribute === 'description') {
      throw commonErrors.invalidParameterCombination('OperationType, UserId and UserGroup go with launchPermission.');
    }
    if (input.OperationType === 'add') adds.push(...legacy);
    else if (input.OperationType === 'remove') removes.push(...legacy);
    else if (input.OperationType === undefined) throw commonErrors.missingParameter('OperationType');
    else throw commonErrors.invalidParameterValue('OperationType', input.OperationType, 'Valid values: add, remove.');
  }
  const description = input.Description?.Value ?? (attribute === 'description' ? input.Value : undefined);
  if (description !== undefined && description.length > imageLimits.descriptionLength) {
    throw commonErrors.invalidParameterValue(
      'Description',
      description,
      `Descriptions are at most ${imageLimits.descriptionLength} characters.`,
    );
  }
  if (adds.length === 0 && removes.length === 0 && description === undefined) {
    throw commonErrors.invalidParameterCombination('No attributes specified.');
  }
  await withTransaction(db, async (trx) => {
    const row = await requireOwnedImage(trx, accountId, input.ImageId);
    if (description !== undefined) {
      await trx.updateTable('images').set({ description }).where('image_id', '=', row.image_id).execute();
    }
    for (const grantee of new Set(adds)) {
      await trx
        .insertInto('image_launch_permissions')
        .values({ image_id: row.image_id, grantee })
        .onConflict((oc) => oc.columns(['image_id', 'grantee']).doNothing())
        .execute();
    }
    if (removes.length > 0) {
      await trx
        .deleteFrom('image_launch_permissions')
        .where('image_id', '=', row.image_id)
        .where('grantee', 'in', [...new Set(removes)])
        .execute();
    }
  });
}

function granteeOf(permission: LaunchPermission): string {
  if (permission.OrganizationArn !== undefined || permission.OrganizationalUnitArn !== undefined) {
    throw ec2Errors.unsupported('Sharing images with organizations is not supported by this cloud.');
  }
  if (permission.Group !== undefined && permission.UserId !== undefined) {
    throw commonErrors.invalidParameterCombination('A launch permission names a UserId or a Group, not both.');
  }
  if (permission.Group !== undefined) return checkGroup(permission.Group);
  if (permission.UserId !== undefined) return checkUserId(permission.UserId);
  throw commonErrors.missingParameter('LaunchPermission.UserId');
}

function checkUserId(id: string): string {
  if (!/^\d{12}$/.test(id)) throw ec2Errors.imageAttributeItemInvalid(id, 'userId');
  return id;
}

function checkGroup(group: string): string {
  if (group !== publicGrantee) throw ec2Errors.imageAttributeItemInvalid(group, 'group');
  return group;
}

/** `ResetImageAttribute`: only launch permissions reset (to none: the image becomes private). */
export async function resetImageAttribute(
  db: Db,
  accountId: string,
  input: { ImageId: string; Attribute: string },
): Promise<void> {
  if (input.Attribute !== 'launchPermission') {
    throw commonErrors.invalidParameterValue('Attribute', input.Attribute, 'Only launchPermission can be reset.');
  }
  await withTransaction(db, async (trx) => {
    const row = await requireOwnedImage(trx, accountId, input.ImageId);
    await trx.deleteFrom('image_launch_permissions').where('image_id', '=', row.image_id).execute();
  });
}
