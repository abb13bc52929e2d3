import { CsvError as ParseError, parse } from 'csv-parse/sync';
import { TextDecoder } from 'node:util';

/**
 * Reading a CSV file as spreadsheets export it: bytes in the declared charset (or marked by a byte-order
 * mark), records as RFC 4180 describes them (quoted fields may hold delimiters, line breaks and doubled
 * quotes), with the delimiter the header row uses (`,`, `;` as Excel writes in many European locales,
 * or tab). Decoding is WHATWG TextDecoder's; parsing is csv-parse's.
 */
export interface CsvRecord {
  /** 1-based line on which the record starts (a quoted line break makes a record span lines). */
  line: number;
  cells: string[];
}

/** A file that cannot be read as CSV, at a 1-based line. */
export class CsvError extends Error {
  constructor(readonly line: number, problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = 'CsvError';
  }
}

/** The charset was named but no decoder knows it (answer 415: the body is in a type we cannot read). */
export class UnsupportedCharset extends Error {
  constructor(readonly charset: string) {
    super(`charset "${charset}" is not one this API can decode (use utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1 or another WHATWG encoding label)`);
    this.name = 'UnsupportedCharset';
  }
}

/** Byte-order marks (Unicode §23.8): a file that carries one is in that encoding, whatever the header says. */
const BYTE_ORDER_MARKS: { bytes: number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/** How many bytes are decoded at once while looking for the line of an undecodable byte. */
const SEARCH_CHUNK = 64 * 1024;

/**
 * Text of `bytes`: a byte-order mark wins (and is dropped), then the declared `charset` (a WHATWG
 * encoding label, e.g. the Content-Type parameter), then UTF-8 (RFC 4180's US-ASCII default is a subset of
 * it; RFC 6657 §4 recommends UTF-8 for text/*). Bytes that are not valid in that encoding throw CsvError naming
 * their line: a replacement character (U+FFFD) is never produced. An unknown label throws UnsupportedCharset.
 */
export function decodeCsv(bytes: Uint8Array, charset?: string): string {
  const mark = BYTE_ORDER_MARKS.find((candidate) => candidate.bytes.every((byte, index) => bytes[index] === byte));
  const encoding = mark?.encoding ?? charset?.trim() ?? 'utf-8';
  const body = mark ? bytes.subarray(mark.bytes.length) : bytes;
  let decoder: TextDecoder;
  try {
    // ignoreBOM: a mark was handled above; one after a declared charset is kept and then refused as text.
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch (error) {
    // Node's RangeError for a label the WHATWG Encoding Standard (and its ICU) does not know.
    if ((error as { code?: string }).code === 'ERR_ENCODING_NOT_SUPPORTED') throw new UnsupportedCharset(encoding);
    throw error;
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new CsvError(undecodableLine(body, encoding), `holds bytes that are not valid ${decoder.encoding}; send the file with its charset (e.g. text/csv; charset=windows-1252)`);
  }
}

/** The line of the first byte `encoding` refuses: decode in chunks, then byte by byte in the chunk that fails. */
function undecodableLine(bytes: Uint8Array, encoding: string): number {
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let text = '';
  let offset = 0;
  try {
    for (; offset < bytes.length; offset += SEARCH_CHUNK) text += decoder.decode(bytes.subarray(offset, offset + SEARCH_CHUNK), { stream: true });
    decoder.decode();
  } catch {
    // The failing chunk again, from a fresh decoder given everything before it (which decoded).
    const again = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    text = again.decode(bytes.subarray(0, offset), { stream: true });
    try {
      for (let index = offset; index < bytes.length; index++) text += again.decode(bytes.subarray(index, index + 1), { stream: true });
    } catch { /* text now ends just before the refused byte */ }
  }
  return lineCount(text);
}

/** 1-based line on which the end of `text` lies (CRLF, LF and lone CR each end a line). */
function lineCount(text: string): number {
  return (text.match(/\r\n|\n|\r/g)?.length ?? 0) + 1;
}

const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The delimiter the header row uses: whichever of `,`, `;` and tab occurs most outside quotes on the
 * first line (a comma when none does, e.g. a single-column file). Detected from the header alone,
 * because data cells hold the others (tags are separated by `;` inside one cell).
 */
export function headerDelimiter(text: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  return DELIMITERS.reduce((best, delimiter) => (counts.get(delimiter)! > counts.get(best)! ? delimiter : best), ',');
}

/**
 * Records of `text` (already decoded), with the delimiter of its header row. Blank lines are skipped;
 * records may have any number of cells (the caller compares them with the header). A malformed quote
 * throws CsvError naming its line.
 */
export function parseCsv(text: string): CsvRecord[] {
  try {
    const rows = parse(text, {
      delimiter: headerDelimiter(text), record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, skip_empty_lines: true, info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    // info.lines is the line a record ends on; each quoted line break inside it moves its start up one.
    return rows.map(({ record, info }) => ({ line: info.lines - record.reduce((breaks, cell) => breaks + lineCount(cell) - 1, 0), cells: record }));
  } catch (error) {
    if (error instanceof ParseError) throw new CsvError((error as ParseError & { lines?: number }).lines ?? 1, error.message);
    throw error;
  }
}
