import type { Protocol, ShapeRef, StructureShape } from '../model/service-model.js';

/**
 * The names members travel under. Request parameters and response elements are named differently by the two query
 * protocols, exactly as botocore's serialisers and the SDKs' parsers name them:
 * - `ec2` requests: `queryName`, else `locationName` with its first letter capitalised, else the member name;
 *   lists are always `Name.N`.
 * - `query` requests: `locationName`, else the member name; lists are `Name.member.N` (the list member's
 *   `locationName` replaces `member`), flattened lists `Name.N`; maps `Name.entry.N.key` / `.value`.
 * - responses of both: `locationName`, else the member name; list items are the list member's `locationName`,
 *   else `member`.
 */

export function requestParameterName(protocol: Protocol, member: string, ref: ShapeRef): string {
  if (protocol === 'ec2') {
    if (ref.queryName !== undefined) return ref.queryName;
    if (ref.locationName !== undefined) return ref.locationName.charAt(0).toUpperCase() + ref.locationName.slice(1);
    return member;
  }
  // A flattened query list takes the name of its member: botocore swaps the last component of the prefix for it.
  if (ref.type === 'list' && ref.flattened && ref.member?.locationName !== undefined) return ref.member.locationName;
  return ref.locationName ?? member;
}

export function responseElementName(member: string, ref: ShapeRef): string {
  if (ref.type === 'list' && ref.flattened && ref.member?.locationName !== undefined) return ref.member.locationName;
  return ref.locationName ?? member;
}

export function listItemName(list: ShapeRef): string {
  return list.member?.locationName ?? 'member';
}

/** A structure's members by request parameter name, computed once per structure and protocol. */
const parameterTables = new WeakMap<StructureShape, Map<Protocol, ReadonlyMap<string, [string, ShapeRef]>>>();

export function membersByParameterName(
  protocol: Protocol,
  structure: StructureShape,
): ReadonlyMap<string, [string, ShapeRef]> {
  let tables = parameterTables.get(structure);
  if (!tables) parameterTables.set(structure, (tables = new Map()));
  let table = tables.get(protocol);
  if (!table) {
    const built = new Map<string, [string, ShapeRef]>();
    for (const [member, ref] of structure.members) {
      const name = requestParameterName(protocol, member, ref);
      // Two members never share a name in AWS models; should one ever, the first keeps it.
      if (!built.has(name)) built.set(name, [member, ref]);
    }
    tables.set(protocol, (table = built));
  }
  return table;
}
