export { planFromFacts, renderCloudYaml, writeCloudYaml } from './cloud-yaml-writer.js';
export { maxRangeSize, parseHostList } from './host-list.js';
