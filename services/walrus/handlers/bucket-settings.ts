import type { S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import { s3Errors, type S3Error } from '../s3-errors.js';
import { requireBucketOwner, type WalrusContext } from './context.js';

/**
 * Bucket settings Walrus does not keep: policies, lifecycle rules in the old form (GetBucketLifecycle), website
 * hosting, default encryption, replication, logging, notifications, acceleration, requester pays, analytics, metrics,
 * inventory and Intelligent-Tiering configurations. Public access blocks, ownership controls, CORS, lifecycle rules
 * and Object Lock are kept (handlers/buckets.ts, handlers/objects.ts). Each read answers as S3 does for a bucket with
 * none configured, which every Walrus bucket is, and deleting one that is not there succeeds, as on S3: so clients
 * that read them all (Terraform's aws_s3_bucket, s3fs, Cyberduck) work unchanged. Setting one stays S3's
 * `NotImplemented` (501): Walrus would not enforce it. Like S3, only the bucket's owner may read or delete them; a
 * missing bucket is `NoSuchBucket`.
 */
type Unconfigured = { refusal: () => S3Error } | { answer: Record<string, unknown> };

const unconfigured: Partial<Record<keyof S3Operations, Unconfigured>> = {
  GetBucketPolicy: { refusal: s3Errors.noSuchBucketPolicy },
  GetBucketPolicyStatus: { refusal: s3Errors.noSuchBucketPolicy },
  GetBucketLifecycle: { refusal: s3Errors.noSuchLifecycleConfiguration },
  GetBucketWebsite: { refusal: s3Errors.noSuchWebsiteConfiguration },
  GetBucketEncryption: { refusal: s3Errors.noEncryptionConfiguration },
  GetBucketReplication: { refusal: s3Errors.noReplicationConfiguration },
  GetBucketAnalyticsConfiguration: { refusal: s3Errors.noSuchConfiguration },
  GetBucketMetricsConfiguration: { refusal: s3Errors.noSuchConfiguration },
  GetBucketInventoryConfiguration: { refusal: s3Errors.noSuchConfiguration },
  GetBucketIntelligentTieringConfiguration: { refusal: s3Errors.noSuchConfiguration },
  GetBucketLogging: { answer: {} },
  GetBucketNotification: { answer: {} },
  GetBucketNotificationConfiguration: { answer: {} },
  GetBucketAccelerateConfiguration: { answer: {} },
  GetBucketRequestPayment: { answer: { Payer: 'BucketOwner' } },
  ListBucketAnalyticsConfigurations: { answer: { IsTruncated: false } },
  ListBucketMetricsConfigurations: { answer: { IsTruncated: false } },
  ListBucketInventoryConfigurations: { answer: { IsTruncated: false } },
  ListBucketIntelligentTieringConfigurations: { answer: { IsTruncated: false } },
  DeleteBucketPolicy: { answer: {} },
  DeleteBucketWebsite: { answer: {} },
  DeleteBucketEncryption: { answer: {} },
  DeleteBucketReplication: { answer: {} },
  // A configuration named by its id, which cannot exist here.
  DeleteBucketAnalyticsConfiguration: { refusal: s3Errors.noSuchConfiguration },
  DeleteBucketMetricsConfiguration: { refusal: s3Errors.noSuchConfiguration },
  DeleteBucketInventoryConfiguration: { refusal: s3Errors.noSuchConfiguration },
  DeleteBucketIntelligentTieringConfiguration: { refusal: s3Errors.noSuchConfiguration },
};

export const bucketSettingHandlers = Object.fromEntries(
  Object.entries(unconfigured).map(([operation, result]) => [
    operation,
    async (input: { Bucket: string }, context: WalrusContext) => {
      requireBucketOwner(context, input.Bucket);
      if ('refusal' in result) throw result.refusal();
      return result.answer;
    },
  ]),
) as QueryHandlers<S3Operations, WalrusContext>;
