import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { didYouMean } from './did-you-mean.js';
import type { Shape } from './schema.js';
import type { Problem } from './types.js';
import {
  describeActual,
  entryLabel,
  fieldLabel,
  problemMessages,
  type Owner,
  type ProblemCode,
  type ValueKind,
} from './validation-messages.js';

type KindValue = { string: string; integer: number; boolean: boolean; list: YAMLSeq; mapping: YAMLMap };

/** A value that passed its type check, with the nodes to point at when a later check fails. */
export interface Field<T> {
  value: T;
  node: Node;
  keyNode: Node;
}

export type Fields<S extends Shape> = { [K in keyof S]?: Field<KindValue[S[K]['kind']]> };

export interface Position {
  line: number;
  column: number;
}

/**
 * Walks a parsed cloud.yaml and collects problems, each at the 1-based position of the node it is about.
 * It never stops at the first problem: a value of the wrong type is left out of the result and the walk goes on.
 */
export class YamlReader {
  readonly problems: Problem[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  position(at: Node | number): Position {
    const offset = typeof at === 'number' ? at : (at.range?.[0] ?? 0);
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  line(node: Node): number {
    return this.position(node).line;
  }

  report<C extends ProblemCode>(code: C, at: Node | number, ...params: Parameters<(typeof problemMessages)[C]>): void {
    const render = problemMessages[code] as (...args: unknown[]) => { message: string; hint: string };
    this.problems.push({ file: this.file, ...this.position(at), code, ...render(...params) });
  }

  /** Follows an alias to its anchored node. An alias without an anchor is reported and gives `false`. */
  resolve(node: unknown): Node | undefined | false {
    if (!isAlias(node)) return (node ?? undefined) as Node | undefined;
    const target = node.resolve(this.doc);
    if (target) return target;
    this.report('yaml-syntax', node, { detail: `alias "*${node.source}" has no anchor`, yamlCode: 'UNRESOLVED_ALIAS' });
    return false;
  }

  /**
   * Reads the keys of one mapping against its shape: duplicate and unknown keys, values of the wrong type and
   * missing required keys are reported; an empty value (`key:`) counts as absent.
   */
  readMapping<S extends Shape>(map: YAMLMap, shape: S, owner: Owner, ownerKind: string): Fields<S> {
    const fields: Record<string, Field<unknown>> = {};
    const seen = new Map<string, Node>();
    // A misspelt key is reported once, as unknown with its suggestion, not again as a missing required key.
    const suggested = new Set<string>();
    for (const pair of map.items) {
      const keyNode = this.resolve(pair.key);
      if (!keyNode) continue;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const first = seen.get(key);
      if (first) {
        this.report('duplicate-key', keyNode, { key, owner, firstLine: this.line(first) });
        continue;
      }
      seen.set(key, keyNode);
      const spec = shape[key];
      if (!spec) {
        const allowed = Object.keys(shape);
        const suggestion = didYouMean(key, allowed);
        if (suggestion) suggested.add(suggestion);
        this.report('unknown-key', keyNode, { key, owner, allowed, suggestion });
        continue;
      }
      const valueNode = this.resolve(pair.value);
      if (valueNode === false) continue;
      if (!valueNode || (isScalar(valueNode) && valueNode.value === null)) {
        if (spec.required) this.report('missing-field', keyNode, { key, owner, ownerKind, empty: true });
        continue;
      }
      const value = this.valueOfKind(valueNode, spec.kind, fieldLabel(key, owner));
      if (value !== undefined) fields[key] = { value, node: valueNode, keyNode };
    }
    for (const [key, spec] of Object.entries(shape)) {
      if (spec.required && !seen.has(key) && !suggested.has(key))
        this.report('missing-field', map, { key, owner, ownerKind, empty: false });
    }
    return fields as Fields<S>;
  }

  /** The mappings of a list such as `hosts`; an entry that is not a mapping is reported and skipped. */
  mappingEntries(list: Field<YAMLSeq> | undefined, key: string): { map: YAMLMap; index: number }[] {
    const entries: { map: YAMLMap; index: number }[] = [];
    list?.value.items.forEach((item, index) => {
      const node = this.resolve(item);
      if (!node) return;
      if (this.valueOfKind(node, 'mapping', entryLabel(key, index + 1, undefined)) !== undefined) {
        entries.push({ map: node as YAMLMap, index });
      }
    });
    return entries;
  }

  /** The strings of a list such as `dnsServers`; an entry that is not a string is reported and skipped. */
  stringEntries(list: Field<YAMLSeq> | undefined, key: string, owner: Owner): { value: string; node: Node }[] {
    const entries: { value: string; node: Node }[] = [];
    list?.value.items.forEach((item, index) => {
      const node = this.resolve(item);
      if (!node) return;
      const value = this.valueOfKind(node, 'string', entryLabel(key, index + 1, owner));
      if (value !== undefined) entries.push({ value: value as string, node });
    });
    return entries;
  }

  /** A string-valued key of a mapping, looked at before the mapping is read (to name it in messages). */
  peekString(map: YAMLMap, key: string): string | undefined {
    const value = map.get(key);
    return typeof value === 'string' ? value : undefined;
  }

  private valueOfKind(node: Node, kind: ValueKind, field: string): unknown {
    const scalar = isScalar(node) ? node.value : undefined;
    const matches =
      (kind === 'string' && typeof scalar === 'string') ||
      (kind === 'integer' && typeof scalar === 'number' && Number.isInteger(scalar)) ||
      (kind === 'boolean' && typeof scalar === 'boolean') ||
      (kind === 'list' && isSeq(node)) ||
      (kind === 'mapping' && isMap(node));
    if (matches) return isScalar(node) ? scalar : node;
    const actual = describeActual(scalar ?? null, isSeq(node) ? 'list' : isMap(node) ? 'mapping' : 'scalar');
    this.report('wrong-type', node, { field, expected: kind, actual });
    return undefined;
  }
}
