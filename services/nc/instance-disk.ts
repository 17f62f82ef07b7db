import { execa } from 'execa';

/**
 * The instance's copy-on-write root disk: a qcow2 overlay on the cached image, grown to the instance type's size
 * when that is larger than the image (qemu-img refuses nothing here; the guest grows its filesystem itself).
 */
export async function createOverlay(input: {
  base: string;
  baseFormat: 'raw' | 'qcow2';
  path: string;
  sizeGiB: number;
}): Promise<void> {
  const info = await execa('qemu-img', ['info', '--output=json', '-f', input.baseFormat, input.base]);
  const virtualSize = Number((JSON.parse(info.stdout) as { 'virtual-size': number })['virtual-size']);
  const wanted = input.sizeGiB * 2 ** 30;
  const size = wanted > virtualSize ? [String(wanted)] : [];
  await execa('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-b',
    input.base,
    '-F',
    input.baseFormat,
    input.path,
    ...size,
  ]);
}
