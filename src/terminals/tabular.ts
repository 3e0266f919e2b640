/**
 * Reading and writing the installer's spreadsheets (CSV and XLSX): one header row, English keys or Chinese headers.
 * Rows are numbered as a spreadsheet shows them (the header is row 1). Caps (IMPORT_LIMITS) hold while reading.
 */
import { Readable } from 'node:stream';
import { parse as parseStream } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { Clock } from '../common/clock';
import { DomainError, ImportRejectedError, ImportTooLargeError } from '../common/errors';
import { ZipLimitError, readEntry, storedZip, zipEntries } from '../common/zip-entries';

export type TableFormat = 'csv' | 'xlsx';

export interface TableColumn {
  key: string;
  /** Chinese header, accepted on import besides the key. */
  header: string;
  aliases?: string[];
}

export interface TableRow {
  row: number;
  values: Record<string, string>;
}

export const MAX_ROWS = 20_000;

function headerIndex(columns: TableColumn[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const c of columns)
    for (const name of [c.key, c.header, ...(c.aliases ?? [])]) index.set(name.trim().toLowerCase(), c.key);
  return index;
}

/**
 * What one import may cost, enforced while the file is read (not after): data rows, columns, the inflated size of
 * each XLSX part and of all parts read, and the time spent parsing. Beyond a limit the import is refused (413).
 */
export const IMPORT_LIMITS = {
  rows: MAX_ROWS,
  columns: 64,
  entryBytes: 32 * 1024 * 1024,
  totalBytes: 64 * 1024 * 1024,
  timeMs: 60_000,
};

type Limits = typeof IMPORT_LIMITS;

/** Collects the rows of a table as they are parsed and stops at the first limit crossed. */
class RowSink {
  readonly rows: string[][] = [];
  private readonly deadline: number;
  constructor(
    private readonly limits: Limits,
    private readonly clock: Clock,
  ) {
    this.deadline = clock.now() + limits.timeMs;
  }
  add(index: number, cells: string[]): void {
    if (index > this.limits.rows)
      throw new ImportRejectedError([
        { row: this.limits.rows + 2, column: '', message: `at most ${this.limits.rows} rows per import` },
      ]);
    if (cells.length > this.limits.columns)
      throw new ImportTooLargeError(`row ${index + 1} has ${cells.length} columns (at most ${this.limits.columns})`);
    if (this.clock.now() > this.deadline)
      throw new ImportTooLargeError(`the file took longer than ${this.limits.timeMs / 1000} s to read`);
    this.rows[index] = cells;
  }
  table(): string[][] {
    return Array.from(this.rows, (r) => r ?? []);
  }
}

async function csvCells(body: Buffer, sink: RowSink): Promise<void> {
  function* slices(): Generator<Buffer> {
    for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024);
  }
  const parser = Readable.from(slices()).pipe(
    parseStream({ relax_column_count: true, skip_empty_lines: true, bom: true, max_record_size: 64 * 1024 }),
  );
  let n = 0;
  for await (const record of parser as AsyncIterable<string[]>) sink.add(n++, record);
}

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const FIRST_SHEET = 'xl/worksheets/sheet1.xml';

/** The part holding the workbook's first sheet, from workbook.xml and its relationships. */
function firstSheetPart(workbook: string, rels: string | null): string | null {
  const rid = /<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"/.exec(workbook)?.[1];
  if (!rid || !rels) return null;
  for (const tag of rels.match(/<Relationship\b[^>]*>/g) ?? []) {
    if (/\bId="([^"]+)"/.exec(tag)?.[1] !== rid) continue;
    const target = /\bTarget="([^"]+)"/.exec(tag)?.[1];
    if (!target) return null;
    return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  return null;
}

/**
 * XLSX: only the parts a table needs are inflated, each and all together within the limits, then handed to exceljs's
 * streaming reader as a stored archive (the first sheet renamed sheet1.xml, after the shared strings it refers to),
 * whose rows arrive one by one.
 */
async function xlsxCells(body: Buffer, sink: RowSink, limits: Limits): Promise<void> {
  const entries = new Map(zipEntries(body).map((e) => [e.name, e]));
  let total = 0;
  const read = async (name: string): Promise<Buffer | null> => {
    const entry = entries.get(name);
    if (!entry) return null;
    const data = await readEntry(body, entry, Math.min(limits.entryBytes, limits.totalBytes - total));
    total += data.length;
    return data;
  };
  const workbook = await read(WORKBOOK);
  if (!workbook) throw new Error(`${WORKBOOK} is missing`);
  const rels = await read(WORKBOOK_RELS);
  const sheetPart = firstSheetPart(workbook.toString('utf8'), rels?.toString('utf8') ?? null) ?? FIRST_SHEET;
  const parts: { name: string; data: Buffer }[] = [{ name: WORKBOOK, data: workbook }];
  if (rels) parts.push({ name: WORKBOOK_RELS, data: rels });
  for (const name of ['xl/styles.xml', 'xl/sharedStrings.xml']) {
    const data = await read(name);
    if (data) parts.push({ name, data });
  }
  const sheet = await read(sheetPart);
  if (!sheet) return;
  parts.push({ name: FIRST_SHEET, data: sheet });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([storedZip(parts)]), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  for await (const worksheet of reader) {
    for await (const row of worksheet) {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => {
        if (col > limits.columns)
          throw new ImportTooLargeError(`row ${row.number} reaches column ${col} (at most ${limits.columns})`);
        cells[col - 1] = cell.text ?? '';
      });
      sink.add(
        row.number - 1,
        Array.from(cells, (c) => c ?? ''),
      );
    }
    break;
  }
}

async function cellsOf(body: Buffer, format: TableFormat, limits: Limits, clock: Clock): Promise<string[][]> {
  const sink = new RowSink(limits, clock);
  try {
    if (format === 'csv') await csvCells(body, sink);
    else await xlsxCells(body, sink, limits);
  } catch (e) {
    if (e instanceof ZipLimitError)
      throw new ImportTooLargeError(
        `${e.message} (at most ${limits.entryBytes} bytes a part, ${limits.totalBytes} in all)`,
      );
    throw e;
  }
  return sink.table();
}

/** Parses a table; unknown headers and missing required columns are rejected as row-1 errors. `clock` times the read. */
export async function readTable(
  body: Buffer,
  format: TableFormat,
  columns: TableColumn[],
  required: string[],
  clock: Clock,
  limits: Limits = IMPORT_LIMITS,
): Promise<TableRow[]> {
  let cells: string[][];
  try {
    cells = await cellsOf(body, format, limits, clock);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new ImportRejectedError([
      {
        row: 1,
        column: '',
        message: `the file is not a readable ${format.toUpperCase()} table: ${(e as Error).message}`,
      },
    ]);
  }
  if (cells.length === 0)
    throw new ImportRejectedError([{ row: 1, column: '', message: 'the file has no header row' }]);
  const index = headerIndex(columns);
  const errors: { row: number; column: string; message: string }[] = [];
  const keys = cells[0].map((h) => {
    const key = index.get(String(h).trim().toLowerCase());
    if (!key && String(h).trim() !== '')
      errors.push({
        row: 1,
        column: String(h),
        message: `unknown column "${h}"; accepted: ${columns.map((c) => `${c.key} (${c.header})`).join(', ')}`,
      });
    return key ?? null;
  });
  for (const r of required)
    if (!keys.includes(r)) errors.push({ row: 1, column: r, message: `column ${r} is missing` });
  if (errors.length > 0) throw new ImportRejectedError(errors);
  const rows: TableRow[] = [];
  cells.slice(1).forEach((line, i) => {
    if (line.every((c) => String(c ?? '').trim() === '')) return;
    const values: Record<string, string> = {};
    keys.forEach((k, j) => {
      if (k) values[k] = String(line[j] ?? '').trim();
    });
    rows.push({ row: i + 2, values });
  });
  return rows;
}

/**
 * A text cell a spreadsheet would take for a formula (=, +, -, @, tab or CR first) gets a leading quote, as the OWASP
 * advice on CSV injection has it. Numbers the server writes (-31.5) stay numbers. XLSX needs none of this: its string
 * cells are never evaluated.
 */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** Every CSV and XLSX the server writes (registry exports, broadcast reports) goes through here. */
export async function writeTable(
  format: TableFormat,
  columns: TableColumn[],
  rows: Record<string, unknown>[],
): Promise<Buffer> {
  const text = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const data = rows.map((r) => columns.map((c) => text(r[c.key])));
  if (format === 'csv') {
    const safe = rows.map((r) =>
      columns.map((c) => (typeof r[c.key] === 'string' ? neutraliseFormula(r[c.key] as string) : text(r[c.key]))),
    );
    return Buffer.from(stringify([columns.map((c) => c.key), ...safe]), 'utf8');
  }
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('registry');
  sheet.addRow(columns.map((c) => c.key));
  for (const d of data) sheet.addRow(d);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const CONTENT_TYPES: Record<TableFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
