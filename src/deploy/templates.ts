import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { malleePackage } from '../runtime/package-root.js';

/** Fills `{{name}}` placeholders of a file in templates/; a placeholder without a value is an error, not a blank. */
export function renderTemplate(relativePath: string, values: Record<string, string>): string {
  const text = readFileSync(join(malleePackage().root, 'templates', relativePath), 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`templates/${relativePath}: no value for {{${key}}}`);
    return value;
  });
}
