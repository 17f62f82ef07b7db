import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { bucketColumns, listBuckets, type Bucket } from '../../../src/cloud/buckets.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class BucketsList extends MalleeCommand {
  static override summary = 'List the buckets of the account in Walrus.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<{ buckets: Bucket[] }> {
    const { flags } = await this.parse(BucketsList);
    const { cloud } = loadCloud(flags.cloud);
    const buckets = await listBuckets(cloud);
    this.log(renderList(buckets, bucketColumns, flags.output, 'No buckets.'));
    return { buckets };
  }
}
