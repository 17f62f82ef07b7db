import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { createBucket, type Bucket } from '../../../src/cloud/buckets.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class BucketsCreate extends MalleeCommand {
  static override summary = 'Create a bucket in Walrus.';
  static override examples = ['<%= config.bin %> <%= command.id %> images'];
  static override args = { name: Args.string({ description: 'bucket name', required: true }) };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<{ bucket: Bucket }> {
    const { args, flags } = await this.parse(BucketsCreate);
    const { cloud } = loadCloud(flags.cloud);
    const bucket = await createBucket(cloud, args.name);
    this.log(`Created bucket ${bucket.name}.`);
    return { bucket };
  }
}
