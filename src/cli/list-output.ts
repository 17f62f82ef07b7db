import { Flags } from '@oclif/core';
import { stringify } from 'yaml';
import { renderTable } from './table.js';

/** How list commands print when not `--json`: the table people read, or YAML and CSV for other tools. */
export const listFormats = ['table', 'yaml', 'csv'] as const;
export type ListFormat = (typeof listFormats)[number];

/** `--output`: on every command that prints a list. */
export const outputFlag = Flags.option({
  char: 'o',
  description: 'how to print the list (--json prints JSON)',
  options: listFormats,
  default: 'table' as ListFormat,
})();

/** One column of a list: its header, and the cell of a row. */
export interface Column<Row> {
  header: string;
  cell: (row: Row) => string | number | boolean | undefined | null;
}

/**
 * The one renderer of lists: a table (or `empty` when there are no rows), CSV with the same columns, or YAML of the
 * rows themselves (every field, as `--json` gives them).
 */
export function renderList<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  format: ListFormat,
  empty: string,
): string {
  const cells = rows.map((row) => columns.map((column) => String(column.cell(row) ?? '')));
  if (format === 'yaml') return stringify(rows).trimEnd();
  if (format === 'csv') return [columns.map((column) => column.header), ...cells].map(csvLine).join('\n');
  if (rows.length === 0) return empty;
  return renderTable(
    columns.map((column) => column.header),
    cells,
  );
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvLine(fields: string[]): string {
  return fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(',');
}
