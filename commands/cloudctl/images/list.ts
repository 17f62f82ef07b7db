import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { imageColumns, listImages, type Image } from '../../../src/cloud/images.js';

export default class ImagesList extends MalleeCommand {
  static override summary = 'List the images the account can use: machine (EMI), kernel (EKI) and ramdisk (ERI).';
  static override examples = ['<%= config.bin %> <%= command.id %> --mine'];
  static override flags = {
    cloud: cloudFlag,
    mine: Flags.boolean({ description: "only the account's own images" }),
    output: outputFlag,
  };

  async run(): Promise<{ images: Image[] }> {
    const { flags } = await this.parse(ImagesList);
    const { cloud } = loadCloud(flags.cloud);
    const images = await listImages(cloud, flags.mine);
    this.log(renderList(images, imageColumns, flags.output, 'No images.'));
    return { images };
  }
}
