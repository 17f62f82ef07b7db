import t from 'tap';
import { parse } from 'yaml';
import { renderList, type Column } from '../../../src/cli/list-output.js';

interface Row {
  name: string;
  note?: string;
  count: number;
}
const columns: Column<Row>[] = [
  { header: 'NAME', cell: (row) => row.name },
  { header: 'NOTE', cell: (row) => row.note },
  { header: 'COUNT', cell: (row) => row.count },
];
const rows: Row[] = [
  { name: 'alpha', note: 'has, a comma', count: 1 },
  { name: 'beta', note: 'says "hi"\nand more', count: 22 },
  { name: 'gamma', count: 3 },
];

t.test('table: headers and left-aligned columns two spaces apart; a message when empty', async (t) => {
  t.equal(
    renderList(rows.slice(0, 1), columns, 'table', 'none'),
    ['NAME   NOTE          COUNT', 'alpha  has, a comma  1'].join('\n'),
  );
  t.equal(renderList([], columns, 'table', 'Nothing here.'), 'Nothing here.');
});

t.test('csv: RFC 4180 quoting of commas, quotes and line breaks; empty cells for missing values', async (t) => {
  t.equal(
    renderList(rows, columns, 'csv', 'none'),
    ['NAME,NOTE,COUNT', 'alpha,"has, a comma",1', 'beta,"says ""hi""\nand more",22', 'gamma,,3'].join('\n'),
  );
  t.equal(renderList([], columns, 'csv', 'none'), 'NAME,NOTE,COUNT', 'an empty list is still a header');
});

t.test('yaml: every field of every row, parseable back', async (t) => {
  t.same(parse(renderList(rows, columns, 'yaml', 'none')), rows);
  t.same(parse(renderList([], columns, 'yaml', 'none')), []);
});
