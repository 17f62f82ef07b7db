import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// The EC2 tour with the aws CLIs (v2 from Debian, v1 from pip) against a whole local cloud on libvirt's simulated
// hypervisor, so instances really go pending -> running -> stopped -> running -> terminated. The script prints TAP:
// each step's output is asserted there, and each assertion shows here as a test point.
// About a hundred CLI runs at a second or two each (Python start-up), and the CLI waiters poll every 15 s.
t.setTimeout(600_000);
const cloud = await startLocalCloud(t);
const other = await cloud.newAccount('tour-other');

await t.spawn(
  'bash',
  [join(projectRoot, 'test', 'service', 'ec2-tour.sh')],
  {
    env: {
      ...process.env,
      ...cloud.awsEnv(),
      ENDPOINT: cloud.cloud.endpoints.ec2,
      REGION: cloud.cloud.region,
      ZONE: cloud.cloud.zone,
      S3_ENDPOINT: cloud.cloud.endpoints.s3,
      OWNER_ID: '000000000000',
      OTHER_ACCESS_KEY_ID: other.accessKeyId,
      OTHER_SECRET_ACCESS_KEY: other.secretAccessKey,
      OTHER_ACCOUNT_ID: other.accountId,
    },
    timeout: 540_000,
  },
  'ec2-tour.sh with aws CLI v2 and v1',
);
