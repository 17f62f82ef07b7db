import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { DescribeImagesCommand, RegisterImageCommand, type Image as Ec2Image } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CliError } from '../cli/cli-error.js';
import type { Column } from '../cli/list-output.js';
import { awsCall, ec2Client, s3Client } from './aws-clients.js';
import type { CloudFile } from './cloud-file.js';

/** Eucalyptus's three kinds: a machine image (EMI, a disk), a kernel (EKI) and a ramdisk (ERI). */
export type ImageKind = 'machine' | 'kernel' | 'ramdisk';

export interface Image {
  imageId: string;
  kind: string;
  name: string;
  location: string;
  state: string;
  owner: string;
  isPublic: boolean;
  kernelId?: string;
  ramdiskId?: string;
}

function toImage(image: Ec2Image): Image {
  return {
    imageId: image.ImageId ?? '',
    kind: image.ImageType ?? '',
    name: image.Name ?? '',
    location: image.ImageLocation ?? '',
    state: image.State ?? '',
    owner: image.OwnerId ?? '',
    isPublic: image.Public ?? false,
    kernelId: image.KernelId,
    ramdiskId: image.RamdiskId,
  };
}

export async function listImages(cloud: CloudFile, ownedOnly: boolean): Promise<Image[]> {
  const answer = await awsCall('DescribeImages', () =>
    ec2Client(cloud).send(new DescribeImagesCommand(ownedOnly ? { Owners: ['self'] } : {})),
  );
  return (answer.Images ?? []).map(toImage).sort((a, b) => a.imageId.localeCompare(b.imageId));
}

export interface RegisterRequest {
  name: string;
  /** `bucket/key` in Walrus. */
  location: string;
  kind: ImageKind;
  kernelId?: string;
  ramdiskId?: string;
}

/** Kernels and ramdisks are registered as Eucalyptus did: `KernelId=true` or `RamdiskId=true` marks the kind. */
export async function registerImage(cloud: CloudFile, request: RegisterRequest): Promise<string> {
  const kindMark =
    request.kind === 'kernel'
      ? { KernelId: 'true' }
      : request.kind === 'ramdisk'
        ? { RamdiskId: 'true' }
        : { KernelId: request.kernelId, RamdiskId: request.ramdiskId };
  const answer = await awsCall(`RegisterImage ${request.name}`, () =>
    ec2Client(cloud).send(
      new RegisterImageCommand({ Name: request.name, ImageLocation: request.location, ...kindMark }),
    ),
  );
  return answer.ImageId ?? '';
}

export interface ImportRequest {
  name: string;
  bucket: string;
  disk: string;
  kernel?: string;
  ramdisk?: string;
}

export interface ImportResult {
  bucket: string;
  imageId: string;
  kernelId?: string;
  ramdiskId?: string;
  uploaded: { file: string; location: string; sizeBytes: number }[];
}

/**
 * Uploads a disk (and a kernel and ramdisk, when given) to Walrus under `BUCKET/NAME/`, then registers the kernel
 * (EKI) and ramdisk (ERI) and a machine image (EMI) that boots with them.
 */
export async function importImage(cloud: CloudFile, request: ImportRequest): Promise<ImportResult> {
  if ((request.kernel === undefined) !== (request.ramdisk === undefined)) {
    throw new CliError('usage', 'Give both --kernel and --ramdisk, or neither (a disk that boots by itself).');
  }
  const s3 = s3Client(cloud);
  const bucketExists = await s3.send(new HeadBucketCommand({ Bucket: request.bucket })).then(
    () => true,
    () => false,
  );
  if (!bucketExists) {
    await awsCall(`CreateBucket ${request.bucket}`, () => s3.send(new CreateBucketCommand({ Bucket: request.bucket })));
  }
  const uploaded: ImportResult['uploaded'] = [];
  const upload = async (file: string): Promise<string> => {
    let sizeBytes: number;
    try {
      sizeBytes = statSync(file).size;
    } catch (error) {
      throw new CliError('notFound', `Cannot read ${file}: ${(error as Error).message}`);
    }
    const key = `${request.name}/${basename(file)}`;
    await awsCall(`PutObject ${request.bucket}/${key}`, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: request.bucket,
          Key: key,
          Body: createReadStream(file),
          ContentLength: sizeBytes,
        }),
      ),
    );
    const location = `${request.bucket}/${key}`;
    uploaded.push({ file, location, sizeBytes });
    return location;
  };
  const register = (
    kind: ImageKind,
    location: string,
    suffix: string,
    boot?: { kernelId: string; ramdiskId: string },
  ) => registerImage(cloud, { name: `${request.name}${suffix}`, location, kind, ...boot });

  let boot: { kernelId: string; ramdiskId: string } | undefined;
  if (request.kernel !== undefined && request.ramdisk !== undefined) {
    const kernelId = await register('kernel', await upload(request.kernel), '-kernel');
    const ramdiskId = await register('ramdisk', await upload(request.ramdisk), '-ramdisk');
    boot = { kernelId, ramdiskId };
  }
  const imageId = await register('machine', await upload(request.disk), '', boot);
  return { bucket: request.bucket, imageId, ...boot, uploaded };
}

export const imageColumns: Column<Image>[] = [
  { header: 'IMAGE', cell: (i) => i.imageId },
  { header: 'KIND', cell: (i) => i.kind },
  { header: 'NAME', cell: (i) => i.name },
  { header: 'LOCATION', cell: (i) => i.location },
  { header: 'STATE', cell: (i) => i.state },
  { header: 'OWNER', cell: (i) => i.owner },
  { header: 'PUBLIC', cell: (i) => (i.isPublic ? 'yes' : 'no') },
];
