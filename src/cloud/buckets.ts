import { CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import type { Column } from '../cli/list-output.js';
import { awsCall, s3Client } from './aws-clients.js';
import type { CloudFile } from './cloud-file.js';

export interface Bucket {
  name: string;
  createdAt?: Date;
}

export async function listBuckets(cloud: CloudFile): Promise<Bucket[]> {
  const answer = await awsCall('ListBuckets', () => s3Client(cloud).send(new ListBucketsCommand({})));
  return (answer.Buckets ?? []).map((bucket) => ({ name: bucket.Name ?? '', createdAt: bucket.CreationDate }));
}

export async function createBucket(cloud: CloudFile, name: string): Promise<Bucket> {
  await awsCall('CreateBucket', () => s3Client(cloud).send(new CreateBucketCommand({ Bucket: name })));
  return { name };
}

export async function deleteBucket(cloud: CloudFile, name: string): Promise<Bucket> {
  await awsCall('DeleteBucket', () => s3Client(cloud).send(new DeleteBucketCommand({ Bucket: name })));
  return { name };
}

export const bucketColumns: Column<Bucket>[] = [
  { header: 'NAME', cell: (b) => b.name },
  { header: 'CREATED', cell: (b) => b.createdAt?.toISOString() },
];
