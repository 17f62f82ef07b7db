import { Flags } from '@oclif/core';

/** `--cloud`: which cloud a cloudctl command talks to; resolve it with `loadCloud` from src/cloud/cloud-file.ts. */
export const cloudFlag = Flags.string({
  description: 'the cloud: a name under ~/.mallee or the path of a cloud.json',
  helpValue: 'NAME|PATH',
});

/** `--dir`: the folder of a local all-in-one cloud. */
export const localDirFlag = Flags.string({
  description: 'folder of the local cloud: its certificates, configs, data, logs and cloud.json',
  default: '.mallee-local',
  helpValue: 'DIR',
});
