/**
 * node-soap hands back what the XML said, shaped by the WSDL only loosely: a list of one as the item itself, a list
 * of none as nothing, and numbers, booleans and dates sometimes as text. These turn its answers into the typed
 * shapes of the client interfaces.
 */

export function asList<T>(value: T | readonly T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

export function asNumber(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number)) throw new TypeError(`expected a number, got ${String(value)}`);
  return number;
}

export function asBoolean(value: unknown): boolean {
  return value === true || value === 'true' || value === '1';
}

export function asDate(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A copy without the members whose value is undefined, so SOAP does not write empty elements for them. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
