import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// The EC2 tour with boto3 against a whole local cloud on libvirt's simulated hypervisor: Debian's python3 with its
// boto3 1.26, then the image's python3 with a current boto3, on the same cloud (each run names its own resources).
// The script prints TAP: each step's output is asserted there and shows here as a test point.
const cloud = await startLocalCloud(t);
const other = await cloud.newAccount('tour-other');

const pythons = [
  { python: '/usr/bin/python3', prefix: 'debian' },
  { python: 'python3', prefix: 'current' },
];
for (const { python, prefix } of pythons) {
  await t.spawn(
    python,
    [join(projectRoot, 'test', 'service', 'ec2_tour.py')],
    {
      env: {
        ...process.env,
        ...cloud.awsEnv(),
        PYTHONDONTWRITEBYTECODE: '1',
        ENDPOINT: cloud.cloud.endpoints.ec2,
        REGION: cloud.cloud.region,
        ZONE: cloud.cloud.zone,
        S3_ENDPOINT: cloud.cloud.endpoints.s3,
        OWNER_ID: '000000000000',
        PREFIX: prefix,
        OTHER_ACCESS_KEY_ID: other.accessKeyId,
        OTHER_SECRET_ACCESS_KEY: other.secretAccessKey,
        OTHER_ACCOUNT_ID: other.accountId,
      },
      timeout: 120_000,
    },
    `ec2_tour.py with ${python}`,
  );
}
