import type { S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import { s3Errors, type S3Error } from '../s3-errors.js';
import { requireBucketAccess, type WalrusContext } from './context.js';

/**
 * Bucket settings Walrus does not keep: lifecycle rules in the old form (GetBucketLifecycle), website hosting,
 * replication, logging, notifications, acceleration, requester pays, analytics, metrics, inventory and
 * Intelligent-Tiering configurations. Policies, public access blocks, ownership controls, CORS, lifecycle rules,
 * default encryption and Object Lock are kept (handlers/buckets.ts, handlers/objects.ts). Each read answers as S3 does
 * for a bucket with none configured, which every Walrus bucket is, and deleting one that is not there succeeds, as on S3: so clients
 * that read them all (Terraform's aws_s3_bucket, s3fs, Cyberduck) work unchanged. Setting one stays S3's
 * `NotImplemented` (501): Walrus would not enforce it (but for setting it to what it is, below). Like S3, only the
 * bucket's owner may read or delete them (or whom the bucket's policy allows); a missing bucket is `NoSuchBucket`.
 */
/** Each with IAM's action for it, which the bucket's policy may grant or deny. */
type Unconfigured = { action: string } & ({ refusal: () => S3Error } | { answer: Record<string, unknown> });

const unconfigured: Partial<Record<keyof S3Operations, Unconfigured>> = {
  GetBucketLifecycle: { action: 's3:GetLifecycleConfiguration', refusal: s3Errors.noSuchLifecycleConfiguration },
  GetBucketWebsite: { action: 's3:GetBucketWebsite', refusal: s3Errors.noSuchWebsiteConfiguration },
  GetBucketReplication: { action: 's3:GetReplicationConfiguration', refusal: s3Errors.noReplicationConfiguration },
  GetBucketAnalyticsConfiguration: { action: 's3:GetAnalyticsConfiguration', refusal: s3Errors.noSuchConfiguration },
  GetBucketMetricsConfiguration: { action: 's3:GetMetricsConfiguration', refusal: s3Errors.noSuchConfiguration },
  GetBucketInventoryConfiguration: { action: 's3:GetInventoryConfiguration', refusal: s3Errors.noSuchConfiguration },
  GetBucketIntelligentTieringConfiguration: {
    action: 's3:GetIntelligentTieringConfiguration',
    refusal: s3Errors.noSuchConfiguration,
  },
  GetBucketLogging: { action: 's3:GetBucketLogging', answer: {} },
  GetBucketNotification: { action: 's3:GetBucketNotification', answer: {} },
  GetBucketNotificationConfiguration: { action: 's3:GetBucketNotification', answer: {} },
  GetBucketAccelerateConfiguration: { action: 's3:GetAccelerateConfiguration', answer: {} },
  GetBucketRequestPayment: { action: 's3:GetBucketRequestPayment', answer: { Payer: 'BucketOwner' } },
  ListBucketAnalyticsConfigurations: { action: 's3:GetAnalyticsConfiguration', answer: { IsTruncated: false } },
  ListBucketMetricsConfigurations: { action: 's3:GetMetricsConfiguration', answer: { IsTruncated: false } },
  ListBucketInventoryConfigurations: { action: 's3:GetInventoryConfiguration', answer: { IsTruncated: false } },
  ListBucketIntelligentTieringConfigurations: {
    action: 's3:GetIntelligentTieringConfiguration',
    answer: { IsTruncated: false },
  },
  DeleteBucketWebsite: { action: 's3:DeleteBucketWebsite', answer: {} },
  DeleteBucketReplication: { action: 's3:PutReplicationConfiguration', answer: {} },
  // A configuration named by its id, which cannot exist here.
  DeleteBucketAnalyticsConfiguration: { action: 's3:PutAnalyticsConfiguration', refusal: s3Errors.noSuchConfiguration },
  DeleteBucketMetricsConfiguration: { action: 's3:PutMetricsConfiguration', refusal: s3Errors.noSuchConfiguration },
  DeleteBucketInventoryConfiguration: { action: 's3:PutInventoryConfiguration', refusal: s3Errors.noSuchConfiguration },
  DeleteBucketIntelligentTieringConfiguration: {
    action: 's3:PutIntelligentTieringConfiguration',
    refusal: s3Errors.noSuchConfiguration,
  },
};

/**
 * Settings that can be set to what every Walrus bucket has (none, or S3's default), so that tools which set them
 * explicitly (Terraform's request payment, acceleration, notification and logging resources) work; any other value
 * is `NotImplemented`, with what Walrus does not offer.
 */
type DefaultOnly<Input> = { action: string; offered: (input: Input) => boolean; notOffered: string };

const defaultsOnly: {
  [Operation in keyof S3Operations]?: DefaultOnly<S3Operations[Operation]['input']>;
} = {
  PutBucketRequestPayment: {
    action: 's3:PutBucketRequestPayment',
    offered: (input) => input.RequestPaymentConfiguration?.Payer === 'BucketOwner',
    notOffered: 'Requester Pays buckets are not offered: the bucket owner pays',
  },
  PutBucketAccelerateConfiguration: {
    action: 's3:PutAccelerateConfiguration',
    offered: (input) => input.AccelerateConfiguration?.Status !== 'Enabled',
    notOffered: 'Transfer Acceleration is not offered',
  },
  PutBucketNotificationConfiguration: {
    action: 's3:PutBucketNotification',
    offered: (input) => Object.values(input.NotificationConfiguration ?? {}).every((value) => value === undefined),
    notOffered: 'Event notifications are not offered',
  },
  PutBucketLogging: {
    action: 's3:PutBucketLogging',
    offered: (input) => input.BucketLoggingStatus?.LoggingEnabled === undefined,
    notOffered: 'Server access logging is not offered',
  },
};

export const bucketSettingHandlers = {
  ...Object.fromEntries(
    Object.entries(unconfigured).map(([operation, result]) => [
      operation,
      async (input: { Bucket: string }, context: WalrusContext) => {
        requireBucketAccess(context, input.Bucket, result.action);
        if ('refusal' in result) throw result.refusal();
        return result.answer;
      },
    ]),
  ),
  ...Object.fromEntries(
    Object.entries(defaultsOnly).map(([operation, setting]) => [
      operation,
      async (input: { Bucket: string }, context: WalrusContext) => {
        requireBucketAccess(context, input.Bucket, setting.action);
        if (!(setting.offered as (given: unknown) => boolean)(input)) throw s3Errors.notImplemented(setting.notOffered);
        return {};
      },
    ]),
  ),
} as QueryHandlers<S3Operations, WalrusContext>;
