export { componentDefaults, cloudDefaults } from './component-defaults.js';
export { formatProblem } from './format-problem.js';
export {
  checkCloudYamlFile,
  loadCloudConfig,
  validateCloudYamlFile,
  type CloudYamlReport,
} from './load-cloud-config.js';
export { validateCloudYaml, type ValidationResult } from './validate-cloud-yaml.js';
export { problemMessages, summaries, type ProblemCode } from './validation-messages.js';
export * from './types.js';
