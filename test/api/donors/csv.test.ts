import fc from 'fast-check';
import { CsvError, UnsupportedCharset, decodeCsv, headerDelimiter, parseCsv } from '../../../api/csv';

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

  it('keeps empty fields and skips blank lines, counting them', () => {
    expect(parseCsv('a,,c\n\n,\n')).toEqual([{ line: 1, cells: ['a', '', 'c'] }, { line: 3, cells: ['', ''] }]);
    expect(parseCsv('\n\na,b\r\n\r\n1,2\n"x\ny",3\n4')).toEqual([
      { line: 3, cells: ['a', 'b'] }, { line: 5, cells: ['1', '2'] }, { line: 6, cells: ['x\ny', '3'] }, { line: 8, cells: ['4'] },
    ]);
  });

  it('splits on the delimiter the header row uses: comma, semicolon or tab', () => {
    expect(headerDelimiter('email;tags\nx,y;z')).toBe(';');
    expect(headerDelimiter('email\tfirst_name\tx;y\n')).toBe('\t');
    expect(headerDelimiter('"a;b;c",d\n')).toBe(',');
    expect(headerDelimiter('email\nx;y;z')).toBe(',');
    expect(parseCsv('email;tags\nx@example.org;"a;b"')).toEqual([{ line: 1, cells: ['email', 'tags'] }, { line: 2, cells: ['x@example.org', 'a;b'] }]);
    expect(parseCsv('email\ttags\nx@example.org\ta,b')[1].cells).toEqual(['x@example.org', 'a,b']);
  });

  it('reports an unclosed quote, and a quote in the middle of a field, with the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/^line 2: Quote Not Closed/);
    expect(() => parseCsv('a\nab"c')).toThrow(CsvError);
    expect(() => parseCsv('"a"b')).toThrow(/^line 1: Invalid Closing Quote/);
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

describe('decodeCsv', () => {
  const rene = Buffer.from('a\r\nb\r\nRen\xe9\r\n', 'latin1');

  it('decodes by the declared charset, UTF-8 when none is declared', () => {
    expect(decodeCsv(rene, 'windows-1252')).toBe('a\r\nb\r\nRené\r\n');
    expect(decodeCsv(Buffer.from('Zoë'), undefined)).toBe('Zoë');
    expect(decodeCsv(Buffer.from('Zoë', 'utf16le'), 'UTF-16LE')).toBe('Zoë');
  });

  it('lets a byte-order mark win over the declared charset, and drops it', () => {
    expect(decodeCsv(Buffer.from('\uFEFFZoë'), 'windows-1252')).toBe('Zoë');
    expect(decodeCsv(Buffer.from('\uFEFFZoë', 'utf16le'), 'utf-8')).toBe('Zoë');
    expect(decodeCsv(Buffer.from('\uFEFFZoë', 'utf16le').swap16(), undefined)).toBe('Zoë');
  });

  it('refuses undecodable bytes naming their line, never yielding U+FFFD', () => {
    expect(() => decodeCsv(rene, 'utf-8')).toThrow(new CsvError(3, 'holds bytes that are not valid utf-8; send the file with its charset (e.g. text/csv; charset=windows-1252)'));
    expect(() => decodeCsv(Buffer.from([0x61, 0x0a, 0xe2, 0x82]), undefined)).toThrow(/^line 2: /);
    expect(() => decodeCsv(Buffer.from([0x61, 0x00, 0x0a, 0x00, 0x00, 0xdc]), 'utf-16le')).toThrow(/^line 2: holds bytes that are not valid utf-16le/);
    const long = Buffer.concat([Buffer.from('ok\n'.repeat(100_000)), Buffer.from([0xff])]);
    expect(() => decodeCsv(long, undefined)).toThrow(/^line 100001: /);
  });

  it('refuses a charset no decoder knows', () => {
    expect(() => decodeCsv(Buffer.from('a'), 'klingon')).toThrow(UnsupportedCharset);
  });
});
