/**
 * Readable names for structures the minified models leave anonymous. A structure is named after how it is used: a
 * member `Placement` gives `Placement`, a list member `Reservations` gives `Reservation`. The structures that weigh
 * most choose first; one whose names are all taken is qualified by its parent (`RunInstancesInputMonitoring`). Ties go
 * by discovery order, so the same model always yields the same names.
 */

/** Where a structure appears: member `member` of `parent`, directly or as the element of a list or map value. */
export interface StructureUsage<N> {
  parent: N;
  member: string;
  via: 'member' | 'list' | 'map';
}

export interface NamedNode<N> {
  readonly seen: number;
  readonly usages: readonly StructureUsage<N>[];
  readonly members: readonly unknown[];
}

/** Names that would shadow globals the generated types (or their readers) use. */
const reservedNames = new Set([
  'Array',
  'Boolean',
  'Date',
  'Error',
  'Function',
  'Map',
  'Number',
  'Object',
  'Promise',
  'Record',
  'Set',
  'String',
  'Symbol',
  'Uint8Array',
]);

/**
 * @param nodes every structure to name, each standing for itself (identical ones already merged)
 * @param fixedName the name an operation's input or output must have
 * @param representative maps a usage's parent (which may have been merged) to the node that stands for it
 */
export function nameStructures<N extends NamedNode<N>>(
  nodes: readonly N[],
  fixedName: (node: N) => string | undefined,
  representative: (node: N) => N,
  reserved: Iterable<string> = [],
): Map<N, string> {
  const names = new Map<N, string>();
  const taken = new Set([...reservedNames, ...reserved]);
  const ordered = [...nodes].sort((a, b) => a.seen - b.seen);
  for (const node of ordered) {
    const name = fixedName(node);
    if (name === undefined) continue;
    names.set(node, name);
    taken.add(name);
  }
  const free = ordered.filter((node) => !names.has(node));
  // A contested name goes to the structure that matters most, by members times uses: `Tag` is the key/value pair
  // used everywhere, `Instance` is EC2's instance rather than a fleet's three-field summary.
  const weight = (node: N): number => node.members.length * node.usages.length;
  const byWeight = [...free].sort((a, b) => weight(b) - weight(a) || a.seen - b.seen);
  for (const node of byWeight) {
    const hint = hintsByUse(node)[0] as string;
    if (taken.has(hint)) continue;
    names.set(node, hint);
    taken.add(hint);
  }
  for (const node of free) {
    if (names.has(node)) continue;
    const other = hintsByUse(node).find((hint) => !taken.has(hint));
    if (other !== undefined) {
      names.set(node, other);
      taken.add(other);
      continue;
    }
    const usage = node.usages[0];
    if (!usage) throw new Error('a structure without a usage cannot be named');
    const parent = names.get(representative(usage.parent));
    if (parent === undefined) throw new Error(`parent of ${hintOf(usage)} is not named yet`);
    const base = `${parent}${hintOf(usage)}`;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
    names.set(node, name);
    taken.add(name);
  }
  return names;
}

function hintOf(usage: StructureUsage<unknown>): string {
  const member = usage.member.charAt(0).toUpperCase() + usage.member.slice(1);
  // `GroupDetailList` holds `GroupDetail`s; `Reservations` holds `Reservation`s.
  if (usage.via === 'list') return /.List$/.test(member) ? member.slice(0, -4) : singular(member);
  if (usage.via === 'map') return `${singular(member)}Value`;
  return member;
}

/** The names a structure's usages suggest, the most suggested first; ties go to the earliest usage. */
function hintsByUse(node: NamedNode<unknown>): string[] {
  const counts = new Map<string, number>();
  for (const usage of node.usages) {
    const hint = hintOf(usage);
    counts.set(hint, (counts.get(hint) ?? 0) + 1);
  }
  // Map iteration follows first insertion, and the sort is stable: equal counts keep usage order.
  return [...counts].sort((a, b) => b[1] - a[1]).map(([hint]) => hint);
}

/** English plural to singular, for the member names AWS models use (`Policies`, `Addresses`, `Tags`, `Status`). */
export function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh|us)es$/.test(word)) return word.slice(0, -2);
  if (/(ss|us|is)$/.test(word)) return word;
  if (/s$/.test(word) && word.length > 1) return word.slice(0, -1);
  return word;
}
