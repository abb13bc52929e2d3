import type { EntityManager } from '@mikro-orm/postgresql';
import { safeParse as parseContentType } from 'fast-content-type-parse';
import { CsvError, UnsupportedCharset, decodeCsv, parseCsv } from '../../csv';
import { type FieldError, Problem, invalid } from '../../problem';
import { DonorCreate, type DonorInput, MAX_IMPORT_ROWS } from '../../schemas/donors';
import { insertDonors } from './donors';

export interface RowError { row: number; line?: number; errors: FieldError[] }
export interface ImportReport { received: number; imported: number; failed: number; errors: RowError[] }

/** A row as received; `problem` is set when it could not even be read as a donor (a CSV line with the wrong number of fields). */
interface IncomingRow { row: number; line?: number; value: Record<string, unknown>; problem?: FieldError }

/** Columns a CSV header may name: the donor fields that are text (metadata is JSON, so JSON imports only). */
export const CSV_COLUMNS = Object.keys(DonorCreate.shape).filter((field) => field !== 'metadata');

/**
 * Text of a text/csv body: a byte-order mark wins, else the Content-Type `charset` (WHATWG labels:
 * utf-8, utf-16le, windows-1252, iso-8859-1…), else UTF-8. Undecodable bytes answer 400 naming their
 * line (never a stored U+FFFD); a charset no decoder knows answers 415 naming the header.
 */
export function decodeCsvBody(bytes: Uint8Array, contentType: string | undefined): string {
  const charset = contentType ? parseContentType(contentType).parameters.charset : undefined;
  try {
    return decodeCsv(bytes, charset);
  } catch (error) {
    if (error instanceof UnsupportedCharset) {
      throw new Problem(415, 'Unsupported Media Type', `header.content-type: ${error.message}`, { errors: [{ field: 'header.content-type', message: error.message }] });
    }
    if (error instanceof CsvError) throw invalid([{ field: 'body', message: error.message }]);
    throw error;
  }
}

/**
 * Rows of a decoded CSV file. The header row names columns from CSV_COLUMNS, each once; what is wrong
 * with it (unknown, empty, repeated, no email or phone column) is reported once for the file, as 400.
 * An empty cell means "not given", and tags are one cell separated by semicolons.
 */
export function csvRows(text: string): IncomingRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw invalid([{ field: 'body', message: error.message }]);
    throw error;
  }
  const [header, ...data] = records;
  if (!header || data.length === 0) throw invalid([{ field: 'body', message: 'CSV needs a header row and at least one donor' }]);
  if (data.length > MAX_IMPORT_ROWS) throw invalid([{ field: 'body', message: `at most ${MAX_IMPORT_ROWS} rows per import` }]);
  const columns = header.cells.map((cell) => cell.trim());
  const headerErrors = headerFaults(columns, header.line);
  if (headerErrors.length > 0) throw invalid(headerErrors);
  return data.map((record, row) => {
    if (record.cells.length !== columns.length) {
      return { row, line: record.line, value: {}, problem: { field: 'row', message: `has ${record.cells.length} fields, the header has ${columns.length}` } };
    }
    const value: Record<string, unknown> = {};
    columns.forEach((column, index) => {
      const cell = record.cells[index].trim();
      if (cell === '') return;
      value[column] = column === 'tags' ? cell.split(';').map((tag) => tag.trim()).filter(Boolean) : cell;
    });
    return { row, line: record.line, value };
  });
}

/** One entry per faulty header cell (and one if no column can identify a donor), each naming line and column. */
function headerFaults(columns: string[], line: number): FieldError[] {
  const faults: FieldError[] = [];
  const at = (index: number) => `line ${line}, column ${index + 1}`;
  columns.forEach((column, index) => {
    if (column === '') faults.push({ field: 'body', message: `${at(index)}: the header is empty; name one of ${CSV_COLUMNS.join(', ')}` });
    else if (!CSV_COLUMNS.includes(column)) faults.push({ field: 'body', message: `${at(index)}: unknown header ${JSON.stringify(column)}; name one of ${CSV_COLUMNS.join(', ')}` });
    else if (columns.indexOf(column) !== index) faults.push({ field: 'body', message: `${at(index)}: header ${JSON.stringify(column)} repeats column ${columns.indexOf(column) + 1}` });
  });
  if (!columns.includes('email') && !columns.includes('phone')) faults.push({ field: 'body', message: `line ${line}: the header needs an email or a phone column` });
  return faults;
}

export function jsonRows(rows: Record<string, unknown>[]): IncomingRow[] {
  return rows.map((value, row) => ({ row, value }));
}

/**
 * Imports what is valid and reports the rest by row: a row is imported whole or not at all. Rows that
 * repeat an email or phone (of the client, or of an earlier row) are reported, not merged. All valid
 * rows go in with one statement, inside the caller's transaction.
 */
export async function importDonors(em: EntityManager, clientId: string, rows: IncomingRow[]): Promise<ImportReport> {
  const errors: RowError[] = [];
  const valid: { row: IncomingRow; donor: DonorInput }[] = [];
  for (const row of rows) {
    if (row.problem) {
      errors.push(rowError(row, [row.problem]));
      continue;
    }
    const parsed = DonorCreate.safeParse(row.value);
    if (parsed.success) valid.push({ row, donor: parsed.data });
    else errors.push(rowError(row, parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'row', message: issue.message }))));
  }

  const taken = await existingContacts(em, valid.map(({ donor }) => donor));
  const accepted: DonorInput[] = [];
  for (const { row, donor } of valid) {
    const clashes = contactKeys(donor).filter(({ key }) => taken.has(key));
    if (clashes.length > 0) {
      errors.push(rowError(row, clashes.map(({ field }) => ({ field, message: 'already belongs to a donor of this client (or an earlier row)' }))));
      continue;
    }
    contactKeys(donor).forEach(({ key }) => taken.add(key));
    accepted.push(donor);
  }
  await insertDonors(em, clientId, accepted);
  errors.sort((a, b) => a.row - b.row);
  return { received: rows.length, imported: accepted.length, failed: errors.length, errors };
}

function rowError(row: IncomingRow, errors: FieldError[]): RowError {
  return { row: row.row, ...(row.line !== undefined ? { line: row.line } : {}), errors };
}

/** Emails are unique case-insensitively (the index is on lower(email)); phones as written. */
function contactKeys(donor: DonorInput): { field: string; key: string }[] {
  const keys: { field: string; key: string }[] = [];
  if (donor.email) keys.push({ field: 'email', key: `email:${donor.email.toLowerCase()}` });
  if (donor.phone) keys.push({ field: 'phone', key: `phone:${donor.phone}` });
  return keys;
}

async function existingContacts(em: EntityManager, donors: DonorInput[]): Promise<Set<string>> {
  const keys = donors.flatMap(contactKeys).map(({ key }) => key);
  if (keys.length === 0) return new Set();
  const rows = await em.execute<{ key: string }[]>(
    `select 'email:' || lower(email) as key from donors where lower(email) in (select substr(k, 7) from json_array_elements_text(?::json) as k where k like 'email:%')
     union all
     select 'phone:' || phone from donors where phone in (select substr(k, 7) from json_array_elements_text(?::json) as k where k like 'phone:%')`,
    [JSON.stringify(keys), JSON.stringify(keys)],
  );
  return new Set(rows.map((row) => row.key));
}
