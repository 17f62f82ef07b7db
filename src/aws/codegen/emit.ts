import type { ServiceModelSource, ShapeRefSource, StructureSource } from '../model/service-model.js';

/**
 * Writes the generated TypeScript: the runtime model module (one structure a line, so a model update reads as a
 * small diff) and the types module. Output is a pure function of the model: keys keep the model's order where order
 * matters on the wire (members) and are sorted everywhere else.
 */

export interface ServiceNames {
  /** Base of the file names: `ec2` gives `ec2-model.ts` and `ec2-types.ts`. */
  file: string;
  /** Exported model constant: `ec2Model`. */
  modelExport: string;
  /** Generated operation map: `Ec2Operations`. */
  operationsType: string;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

export function renderModelModule(source: ServiceModelSource, names: ServiceNames, header: string): string {
  const lines = [
    header,
    `import { loadServiceModel, type ServiceModelSource } from '../model/service-model.js';`,
    `import type { ${names.operationsType} } from './${names.file}-types.js';`,
    '',
    '// prettier-ignore',
    'const source: ServiceModelSource = {',
    `  metadata: ${literal(source.metadata)},`,
    '  operations: {',
    ...Object.entries(source.operations).map(([name, operation]) => `    ${key(name)}: ${literal(operation)},`),
    '  },',
    '  structures: {',
    ...Object.entries(source.structures).map(([name, structure]) => `    ${key(name)}: ${literal(structure)},`),
    '  },',
    '};',
    '',
    `export const ${names.modelExport} = loadServiceModel<${names.operationsType}>(source);`,
    '',
  ];
  return lines.join('\n');
}

export function renderTypesModule(source: ServiceModelSource, names: ServiceNames, header: string): string {
  const lines = [header];
  for (const [name, structure] of Object.entries(source.structures)) lines.push(renderStructure(name, structure));
  lines.push(`/** Every operation of the service with its input and output types. */`);
  lines.push(`export interface ${names.operationsType} {`);
  for (const [name, operation] of Object.entries(source.operations)) {
    const input = operation.input ?? 'Record<string, never>';
    const output = operation.output ?? 'void';
    const oneLine = `  ${key(name)}: { input: ${input}; output: ${output} };`;
    // The same layout prettier would choose, so `prettier --check` passes on generated files.
    if (oneLine.length <= 120) lines.push(oneLine);
    else lines.push(`  ${key(name)}: {`, `    input: ${input};`, `    output: ${output};`, '  };');
  }
  lines.push('}', '');
  return lines.join('\n');
}

function renderStructure(name: string, structure: StructureSource): string {
  const members = Object.entries(structure.members);
  // An empty interface reads as "any object" to the linter; an empty record says "nothing".
  if (members.length === 0) return `export type ${name} = Record<string, never>;\n`;
  const required = new Set(structure.required ?? []);
  const body = members.map(([member, ref]) => `  ${key(member)}${required.has(member) ? '' : '?'}: ${typeOf(ref)};`);
  return [`export interface ${name} {`, ...body, '}', ''].join('\n');
}

/** The TypeScript type of a value of `ref`, as handlers see it. */
export function typeOf(ref: ShapeRefSource): string {
  if (ref.shape !== undefined) return ref.shape;
  switch (ref.type) {
    case 'list': {
      const element = typeOf(ref.member as ShapeRefSource);
      return /^[\w$]+(\[\])*$/.test(element) ? `${element}[]` : `(${element})[]`;
    }
    case 'map':
      return `Record<string, ${typeOf(ref.value as ShapeRefSource)}>`;
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'Date';
    case 'blob':
      return 'Uint8Array';
    default:
      return ref.enum && ref.enum.length > 0 ? ref.enum.map((value) => quote(value)).join(' | ') : 'string';
  }
}

function key(name: string): string {
  return identifier.test(name) ? name : quote(name);
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** A compact one-line object literal. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${key(k)}: ${literal(v)}`).join(', ')} }`;
  }
  throw new Error(`cannot write ${String(value)} as a literal`);
}
