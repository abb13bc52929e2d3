import { type ApiHarness, type Response, databaseFingerprint, startApi } from '../support';

/**
 * Issue 10 item 9, the named inputs: donor files as spreadsheets really export them (charsets and
 * byte-order marks, `;` and tab delimiters, header mistakes), sent as bytes over real HTTP and read
 * back from the database.
 */
describe('donor CSV import from real spreadsheets', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Spreadsheet Client');
  });
  afterAll(async () => { await api.close(); });

  /** POSTs raw bytes (the harness would JSON-encode a Buffer). */
  async function upload(bytes: Uint8Array | string, contentType: string): Promise<Response> {
    const response = await fetch(`${api.baseUrl}/v1/clients/${client.id}/donors/import`, {
      method: 'POST', headers: { authorization: `Bearer ${client.key}`, 'content-type': contentType }, body: bytes,
    });
    const body = await response.text();
    return { statusCode: response.status, headers: Object.fromEntries(response.headers), body, json: () => JSON.parse(body) };
  }

  async function stored(email: string) {
    const [donor] = await api.fixtures.query<{ first_name: string; last_name: string | null; tags: string[] }>(
      'select first_name, last_name, tags from donors where client_id = $1 and email = $2', [client.id, email]);
    return donor;
  }

  /** Excel's "CSV" export on Windows: Windows-1252, CRLF. 0xE9 is é. */
  const rene = (email: string) => Buffer.concat([Buffer.from(`email,first_name\r\n${email},Ren`, 'latin1'), Buffer.from([0xe9]), Buffer.from('\r\n')]);

  it('decodes by the declared charset: Windows-1252 René is stored as René', async () => {
    const response = await upload(rene('rene1252@example.org'), 'text/csv; charset=windows-1252');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ imported: 1, failed: 0 });
    expect((await stored('rene1252@example.org')).first_name).toBe('René');

    const latin1 = await upload(rene('renelatin1@example.org'), 'text/csv; charset="ISO-8859-1"');
    expect(latin1.statusCode).toBe(200);
    expect((await stored('renelatin1@example.org')).first_name).toBe('René');
  });

  it.each([['declared utf-8', 'text/csv; charset=utf-8'], ['undeclared', 'text/csv']])(
    'refuses the same bytes %s with 400 naming line 2, storing nothing (no U+FFFD)', async (_name, contentType) => {
      const before = await databaseFingerprint(api.fixtures);
      const response = await upload(rene('reneutf8@example.org'), contentType);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().errors).toEqual([{ field: 'body', message: expect.stringMatching(/^line 2: holds bytes that are not valid utf-8/) }]);
      expect(await databaseFingerprint(api.fixtures)).toBe(before);
    });

  it('names the line of an undecodable byte after a quoted line break and many good lines', async () => {
    const good = Array.from({ length: 5000 }, (_, index) => `ok${index}@example.org,Ökö`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`email,last_name\n"x@example.org","two\nlines"\n${good}\nbad@example.org,Ren`), Buffer.from([0xe9, 0x0a])]);
    const response = await upload(bytes, 'text/csv');
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toMatch(/^line 5004: /);
  });

  it('reads UTF-8 and UTF-16 with a byte-order mark, the mark winning over the declared charset', async () => {
    const text = 'email,first_name,last_name\r\nbom8@example.org,Zoë,Ñúñez\r\n';
    const utf8 = await upload(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'text/csv; charset=windows-1252');
    expect(utf8.json()).toMatchObject({ imported: 1, failed: 0 });
    expect(await stored('bom8@example.org')).toMatchObject({ first_name: 'Zoë', last_name: 'Ñúñez' });

    // Excel's "Unicode text" export: UTF-16LE with a BOM, tab-delimited.
    const tabbed = 'email\tfirst_name\ttags\r\nbom16@example.org\t日本 💚\tvip;board\r\n';
    const utf16le = await upload(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tabbed, 'utf16le')]), 'text/csv');
    expect(utf16le.json()).toMatchObject({ imported: 1, failed: 0 });
    expect(await stored('bom16@example.org')).toMatchObject({ first_name: '日本 💚', tags: ['vip', 'board'] });

    const be = Buffer.from(text.replace('bom8', 'bom16be'), 'utf16le').swap16();
    const utf16be = await upload(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'text/csv; charset=utf-8');
    expect(utf16be.json()).toMatchObject({ imported: 1, failed: 0 });
    expect(await stored('bom16be@example.org')).toMatchObject({ first_name: 'Zoë' });

    const declared = await upload(Buffer.from('email,first_name\nle@example.org,Łucja\n', 'utf16le'), 'text/csv; charset=utf-16le');
    expect(declared.json()).toMatchObject({ imported: 1 });
    expect((await stored('le@example.org')).first_name).toBe('Łucja');
  });

  it('answers 415 naming the header for a charset no decoder knows', async () => {
    const response = await upload('email\nx@example.org\n', 'text/csv; charset=klingon');
    expect(response.statusCode).toBe(415);
    expect(response.json().errors).toEqual([{ field: 'header.content-type', message: expect.stringContaining('"klingon"') }]);
  });

  it('reads a ";" file (Excel in European locales), quoted cells keeping semicolons and doubled quotes', async () => {
    const csv = 'email;first_name;last_name;tags\r\nsemi@example.org;"Jean ""JJ""";Dupont, fils;"a;b"\r\nsemi2@example.org;Zoé;;\r\n';
    const response = await upload(csv, 'text/csv; charset=utf-8');
    expect(response.json()).toMatchObject({ received: 2, imported: 2, failed: 0 });
    expect(await stored('semi@example.org')).toEqual({ first_name: 'Jean "JJ"', last_name: 'Dupont, fils', tags: ['a', 'b'] });
    expect(await stored('semi2@example.org')).toEqual({ first_name: 'Zoé', last_name: null, tags: [] });
  });

  it('reads a tab file, a quoted cell spanning lines reported by the line it starts on', async () => {
    const csv = 'email\tfirst_name\tlast_name\ntab@example.org\tAnn\t"Lee; Smith"\nmulti@example.org\t"Two\nLines"\tX\nshort@example.org\tOnly\n';
    const response = await upload(csv, 'text/csv');
    expect(response.json()).toMatchObject({ received: 3, imported: 1, failed: 2 });
    expect(response.json().errors).toEqual([
      { row: 1, line: 3, errors: [{ field: 'first_name', message: expect.stringContaining('U+000A') }] },
      { row: 2, line: 5, errors: [{ field: 'row', message: 'has 2 fields, the header has 3' }] },
    ]);
    expect(await stored('tab@example.org')).toMatchObject({ first_name: 'Ann', last_name: 'Lee; Smith' });
  });

  it('reports an unknown, empty or repeated header once for the file, not once per row, importing nothing', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const rows = Array.from({ length: 50 }, (_, index) => `h${index}@example.org,A,B,`).join('\n');
    const response = await upload(`email,frist_name,first_name,\n${rows}\n`, 'text/csv');
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'body', message: expect.stringMatching(/^line 1, column 2: unknown header "frist_name"; name one of email, phone, first_name/) },
      { field: 'body', message: expect.stringMatching(/^line 1, column 4: the header is empty/) },
    ]);
    const repeated = await upload('email,email\nr@example.org,s@example.org\n', 'text/csv');
    expect(repeated.json().errors).toEqual([{ field: 'body', message: 'line 1, column 2: header "email" repeats column 1' }]);
    const noContact = await upload('first_name;last_name\nAnn;Lee\n', 'text/csv');
    expect(noContact.json().errors).toEqual([{ field: 'body', message: 'line 1: the header needs an email or a phone column' }]);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('reports a C1 control decoded from Windows-1252 (byte 0x81) by line and column, under the shared text rule', async () => {
    const bytes = Buffer.concat([Buffer.from('email,first_name\r\nc1@example.org,A'), Buffer.from([0x81]), Buffer.from('\r\nfine@example.org,B\r\n')]);
    const response = await upload(bytes, 'text/csv; charset=windows-1252');
    expect(response.json()).toMatchObject({ imported: 1, failed: 1 });
    expect(response.json().errors).toEqual([{ row: 0, line: 2, errors: [{ field: 'first_name', message: expect.stringContaining('U+0081') }] }]);
  });
});
