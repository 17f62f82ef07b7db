import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { importImage, type ImportResult } from '../../../src/cloud/images.js';

export default class ImagesImport extends MalleeCommand {
  static override summary = 'Upload a disk (and a kernel and ramdisk) to Walrus and register them as EMI, EKI and ERI.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name tiny --disk disk.img --kernel vmlinuz --ramdisk initrd.img',
  ];
  static override flags = {
    cloud: cloudFlag,
    name: Flags.string({ description: 'image name (the kernel and ramdisk get -kernel and -ramdisk)', required: true }),
    disk: Flags.string({ description: 'disk image file', required: true }),
    kernel: Flags.string({ description: 'kernel file' }),
    ramdisk: Flags.string({ description: 'ramdisk (initrd) file' }),
    bucket: Flags.string({ description: 'Walrus bucket to upload to (created when missing)', default: 'images' }),
  };

  async run(): Promise<ImportResult> {
    const { flags } = await this.parse(ImagesImport);
    const { cloud } = loadCloud(flags.cloud);
    const imported = await importImage(cloud, {
      name: flags.name,
      bucket: flags.bucket,
      disk: flags.disk,
      kernel: flags.kernel,
      ramdisk: flags.ramdisk,
    });
    for (const file of imported.uploaded)
      this.log(`Uploaded ${file.file} to ${file.location} (${file.sizeBytes} bytes).`);
    const boot = imported.kernelId ? ` with kernel ${imported.kernelId} and ramdisk ${imported.ramdiskId}` : '';
    this.log(`Registered machine image ${imported.imageId}${boot}.`);
    return imported;
  }
}
