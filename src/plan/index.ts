export { planFromFacts, renderCloudYaml, writeCloudYaml } from './cloud-yaml-writer.js';
export { parseHostList, toHostConfigs } from './host-list.js';
