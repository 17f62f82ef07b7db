import type { ServiceProfile } from './types.js';

/** The endpoints Mallee verifies signatures for, each with the errors its AWS counterpart answers with. */
export const serviceProfiles = {
  /** EC2 Query and SOAP (`clc`). */
  ec2: { dialect: 'ec2', signingNames: ['ec2'] },
  /** IAM and STS on one Query endpoint: the scope's service name says which one a request is for. */
  query: { dialect: 'query', signingNames: ['iam', 'sts'] },
  iam: { dialect: 'query', signingNames: ['iam'] },
  sts: { dialect: 'query', signingNames: ['sts'] },
  /** S3 REST (`walrus`). */
  s3: { dialect: 's3', signingNames: ['s3'] },
} as const satisfies Record<string, ServiceProfile>;
