import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { registerImage, type ImageKind } from '../../../src/cloud/images.js';

export default class ImagesRegister extends MalleeCommand {
  static override summary = 'Register an image already in Walrus, by its bucket/key.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name my-kernel --location images/vmlinuz --kind kernel',
    '<%= config.bin %> <%= command.id %> --name my-image --location images/disk.img --kernel eki-... --ramdisk eri-...',
  ];
  static override flags = {
    cloud: cloudFlag,
    name: Flags.string({ description: 'image name', required: true }),
    location: Flags.string({ description: 'bucket/key of the file in Walrus', required: true }),
    kind: Flags.option({ options: ['machine', 'kernel', 'ramdisk'] as const, default: 'machine' as ImageKind })(),
    kernel: Flags.string({ description: 'kernel image (eki-...) a machine image boots with' }),
    ramdisk: Flags.string({ description: 'ramdisk image (eri-...) a machine image boots with' }),
  };

  async run(): Promise<{ imageId: string }> {
    const { flags } = await this.parse(ImagesRegister);
    const { cloud } = loadCloud(flags.cloud);
    const imageId = await registerImage(cloud, {
      name: flags.name,
      location: flags.location,
      kind: flags.kind,
      kernelId: flags.kernel,
      ramdiskId: flags.ramdisk,
    });
    this.log(`Registered ${flags.kind} image ${imageId} (${flags.name}) from ${flags.location}.`);
    return { imageId };
  }
}
