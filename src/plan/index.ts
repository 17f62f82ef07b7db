export { planFromFacts, renderCloudYaml, writeCloudYaml } from './cloud-yaml-writer.js';
export { parseHostList } from './host-list.js';
