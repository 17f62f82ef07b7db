import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { deleteBucket, type Bucket } from '../../../src/cloud/buckets.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class BucketsDelete extends MalleeCommand {
  static override summary = 'Delete an empty bucket.';
  static override examples = ['<%= config.bin %> <%= command.id %> scratch --yes'];
  static override args = { name: Args.string({ description: 'bucket name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<{ bucket: Bucket }> {
    const { args, flags } = await this.parse(BucketsDelete);
    const { cloud } = loadCloud(flags.cloud);
    await confirmOrRefuse(`Delete bucket ${args.name}?`, flags.yes);
    const bucket = await deleteBucket(cloud, args.name);
    this.log(`Deleted bucket ${bucket.name}.`);
    return { bucket };
  }
}
