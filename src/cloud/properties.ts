import type { Column } from '../cli/list-output.js';
import { adminCall, asList } from './admin-client.js';
import type { CloudFile } from './cloud-file.js';

/** A cloud property as the clc's admin interface returns it (wsdl/admin.wsdl `Property`). */
export interface CloudProperty {
  name: string;
  value: string;
  type: string;
  defaultValue: string;
  isDefault: boolean;
  description: string;
  updatedAt?: Date;
  updatedBy?: string;
}

export async function listProperties(cloud: CloudFile): Promise<CloudProperty[]> {
  return asList(
    (await adminCall<{ properties?: CloudProperty | CloudProperty[] }>(cloud, 'ListProperties')).properties,
  );
}

export async function getProperty(cloud: CloudFile, name: string): Promise<CloudProperty> {
  return (await adminCall<{ property: CloudProperty }>(cloud, 'GetProperty', { name })).property;
}

export function setProperty(
  cloud: CloudFile,
  name: string,
  value: string,
): Promise<{ property: CloudProperty; previousValue: string }> {
  return adminCall(cloud, 'SetProperty', { name, value });
}

export const propertyColumns: Column<CloudProperty>[] = [
  { header: 'NAME', cell: (p) => p.name },
  { header: 'VALUE', cell: (p) => p.value },
  { header: 'DEFAULT', cell: (p) => (p.isDefault ? '(default)' : p.defaultValue) },
  { header: 'DESCRIPTION', cell: (p) => p.description },
];

export function formatProperty(property: CloudProperty): string {
  return [
    `${property.name} = ${property.value}${property.isDefault ? ' (default)' : ''}`,
    `  ${property.description}`,
    `  type ${property.type}, default ${property.defaultValue}`,
    ...(property.updatedAt ? [`  set by ${property.updatedBy} at ${new Date(property.updatedAt).toISOString()}`] : []),
  ].join('\n');
}

export function formatPropertyChange(set: { property: CloudProperty; previousValue: string }): string {
  const { property, previousValue } = set;
  if (previousValue === property.value) return `${property.name} is already ${property.value}.`;
  return `${property.name}: ${previousValue} -> ${property.value}${property.isDefault ? ' (the default)' : ''}`;
}
