import fc from 'fast-check';
import { CsvError, parseCsv } from '../../api/csv';

describe('parseCsv', () => {
  it('splits records and fields, with CRLF or LF line ends', () => {
    expect(parseCsv('a,b\r\n1,2\n3,4')).toEqual([
      { line: 1, cells: ['a', 'b'] }, { line: 2, cells: ['1', '2'] }, { line: 3, cells: ['3', '4'] },
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields, and counts lines', () => {
    expect(parseCsv('name,note\n"Smith, J","said ""hi""\nthen left"\nnext,x')).toEqual([
      { line: 1, cells: ['name', 'note'] },
      { line: 2, cells: ['Smith, J', 'said "hi"\nthen left'] },
      { line: 4, cells: ['next', 'x'] },
    ]);
  });

  it('keeps empty fields, skips blank lines and a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,,c\n\n,\n')).toEqual([{ line: 1, cells: ['a', '', 'c'] }, { line: 3, cells: ['', ''] }]);
  });

  it('reports an unclosed quote, and a quote in the middle of a field, with the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(new CsvError(2, 'a quoted field is not closed'));
    expect(() => parseCsv('a\nab"c')).toThrow(CsvError);
    expect(() => parseCsv('"a"b')).toThrow(/closing quote/);
  });

  it('reads back whatever a quoting writer wrote', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });
    const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
    fc.assert(fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
      const text = rows.map((row) => row.map(quote).join(',')).join('\r\n');
      expect(parseCsv(text).map((record) => record.cells)).toEqual(rows);
    }));
  });
});
