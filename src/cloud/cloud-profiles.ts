import { existsSync } from 'node:fs';
import { CliError } from '../cli/cli-error.js';
import type { Column } from '../cli/list-output.js';
import {
  listNamedClouds,
  malleeHome,
  namedCloudPath,
  readCloudFile,
  selectCloud,
  type CloudSelectionReason,
} from './cloud-file.js';

/** One cloud cloudctl knows: a folder under ~/.mallee (or the file `--cloud` names), and whether it is selected. */
export interface CloudProfile {
  name: string;
  path: string;
  region?: string;
  ec2Endpoint?: string;
  selected: boolean;
  /** Why this one is selected: `--cloud`, `MALLEE_CLOUD`, or it is the only one. */
  selectedBy?: CloudSelectionReason;
  /** The cloud.json could not be read. */
  problem?: string;
}

export interface CloudProfiles {
  home: string;
  clouds: CloudProfile[];
  /** Why none is selected, when none is. */
  noSelection?: string;
}

/** The clouds under ~/.mallee (and the one `--cloud` or `MALLEE_CLOUD` names, if it lives elsewhere). */
export function listCloudProfiles(flag?: string): CloudProfiles {
  let selection: ReturnType<typeof selectCloud> | undefined;
  let noSelection: string | undefined;
  try {
    selection = selectCloud(flag);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    noSelection = error.message;
  }
  const paths = listNamedClouds().map((name) => ({ name, path: namedCloudPath(name) }));
  if (selection && !paths.some((entry) => entry.path === selection.path)) {
    paths.push({ name: '', path: selection.path });
  }
  const clouds = paths.map(({ name, path }): CloudProfile => {
    const selected = selection?.path === path;
    const base = { path, selected, ...(selected && { selectedBy: selection!.reason }) };
    if (!existsSync(path)) return { name, ...base, problem: 'no cloud.json' };
    try {
      const cloud = readCloudFile(path);
      return { name: name || cloud.name, ...base, region: cloud.region, ec2Endpoint: cloud.endpoints.ec2 };
    } catch (error) {
      return { name, ...base, problem: (error as Error).message };
    }
  });
  return { home: malleeHome(), clouds, ...(noSelection && { noSelection }) };
}

const selectionWording: Record<CloudSelectionReason, string> = {
  flag: 'selected (--cloud)',
  MALLEE_CLOUD: 'selected (MALLEE_CLOUD)',
  only: 'selected (the only one)',
};

export const cloudProfileColumns: Column<CloudProfile>[] = [
  { header: 'NAME', cell: (cloud) => cloud.name },
  { header: 'SELECTED', cell: (cloud) => (cloud.selectedBy ? selectionWording[cloud.selectedBy] : '') },
  { header: 'REGION', cell: (cloud) => cloud.region },
  { header: 'EC2 ENDPOINT', cell: (cloud) => cloud.ec2Endpoint ?? cloud.problem },
  { header: 'FILE', cell: (cloud) => cloud.path },
];
