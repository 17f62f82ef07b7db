import { readFileSync } from 'node:fs';
import { CliError } from '../cli/cli-error.js';
import type { CloudConfig, Problem } from './types.js';
import { validateCloudYaml, type ValidationResult } from './validate-cloud-yaml.js';
import { summaries } from './validation-messages.js';

/** Reads and checks a cloud.yaml; a missing or unreadable file is a CliError, problems in it are returned. */
export function validateCloudYamlFile(path: string): ValidationResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') throw new CliError('notFound', summaries.notFound(path), summaries.notFoundHint);
    throw new CliError('failure', summaries.unreadable(path, message), summaries.unreadableHint);
  }
  return validateCloudYaml(text, path);
}

/** The normalised cloud described by a cloud.yaml; any problem is thrown as one `invalidConfig` CliError carrying all of them. */
export function loadCloudConfig(path: string): CloudConfig {
  const { config, problems } = validateCloudYamlFile(path);
  if (config) return config;
  throw new CliError('invalidConfig', summaries.loadFailed(path, problems), summaries.loadFailedHint(path), problems);
}

/** What `faststart validate` reports, and prints as JSON with --json. */
export interface CloudYamlReport {
  file: string;
  valid: boolean;
  problems: Problem[];
  summary?: { hosts: number; zones: number; components: number };
}

export function checkCloudYamlFile(path: string): CloudYamlReport {
  const { config, problems } = validateCloudYamlFile(path);
  if (!config) return { file: path, valid: false, problems };
  const summary = { hosts: config.hosts.length, zones: config.zones.length, components: config.components.length };
  return { file: path, valid: true, problems, summary };
}
