/**
 * Reading and writing the installer's spreadsheets (CSV and XLSX): one header row, English keys or Chinese headers.
 * Rows are numbered as a spreadsheet shows them (the header is row 1). Caps: MAX_ROWS data rows.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { ImportRejectedError } from '../common/errors';

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
  for (const c of columns) for (const name of [c.key, c.header, ...(c.aliases ?? [])]) index.set(name.trim().toLowerCase(), c.key);
  return index;
}

async function cellsOf(body: Buffer, format: TableFormat): Promise<string[][]> {
  if (format === 'csv') {
    const text = body.toString('utf8').replace(/^\uFEFF/, '');
    const rows: unknown = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true });
    return rows as string[][];
  }
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0];
  if (!sheet) return [];
  const out: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (r, n) => {
    const cells: string[] = [];
    r.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cell.text ?? '';
    });
    out[n - 1] = Array.from(cells, (c) => c ?? '');
  });
  return Array.from(out, (r) => r ?? []);
}

/** Parses a table; unknown headers and missing required columns are rejected as row-1 errors. */
export async function readTable(body: Buffer, format: TableFormat, columns: TableColumn[], required: string[]): Promise<TableRow[]> {
  let cells: string[][];
  try {
    cells = await cellsOf(body, format);
  } catch (e) {
    throw new ImportRejectedError([{ row: 1, column: '', message: `the file is not a readable ${format.toUpperCase()} table: ${(e as Error).message}` }]);
  }
  if (cells.length === 0) throw new ImportRejectedError([{ row: 1, column: '', message: 'the file has no header row' }]);
  if (cells.length - 1 > MAX_ROWS) throw new ImportRejectedError([{ row: MAX_ROWS + 2, column: '', message: `at most ${MAX_ROWS} rows per import` }]);
  const index = headerIndex(columns);
  const errors: { row: number; column: string; message: string }[] = [];
  const keys = cells[0].map((h) => {
    const key = index.get(String(h).trim().toLowerCase());
    if (!key && String(h).trim() !== '') errors.push({ row: 1, column: String(h), message: `unknown column "${h}"; accepted: ${columns.map((c) => `${c.key} (${c.header})`).join(', ')}` });
    return key ?? null;
  });
  for (const r of required) if (!keys.includes(r)) errors.push({ row: 1, column: r, message: `column ${r} is missing` });
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
export async function writeTable(format: TableFormat, columns: TableColumn[], rows: Record<string, unknown>[]): Promise<Buffer> {
  const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const data = rows.map((r) => columns.map((c) => text(r[c.key])));
  if (format === 'csv') {
    const safe = rows.map((r) => columns.map((c) => (typeof r[c.key] === 'string' ? neutraliseFormula(r[c.key] as string) : text(r[c.key]))));
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
