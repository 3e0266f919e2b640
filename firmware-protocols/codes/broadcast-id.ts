/**
 * Message / broadcast id (EBMID), 35 digits = sender EBRID (23) + yyyyMMdd (8) + 4-digit daily sequence.
 * On the adapter link it is 18 BCD bytes (0xF then 35 digits). The date is the sender's local calendar date in
 * Asia/Shanghai (UTC+8, no daylight saving) — our reading, kept here.
 */
import { CodeError } from './area-code';
import { decodeBcd, encodeBcd } from './bcd';
import { parseResourceCode } from './resource-code';

const EBMID_RE = /^\d{35}$/;
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

export interface BroadcastIdParts {
  sender: string;
  date: string;
  sequence: number;
}

export function shanghaiDate(at: Date): string {
  const d = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function composeBroadcastId(sender: string, at: Date, sequence: number): string {
  parseResourceCode(sender, 'sender');
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 9999) {
    throw new CodeError('sequence', `the daily sequence of a broadcast id is 1–9999; got ${sequence}`);
  }
  return `${sender}${shanghaiDate(at)}${String(sequence).padStart(4, '0')}`;
}

export function parseBroadcastId(id: string, field = 'broadcastId'): BroadcastIdParts {
  if (!EBMID_RE.test(id)) throw new CodeError(field, `${field} must be 35 digits; got "${id}"`);
  parseResourceCode(id.slice(0, 23), field);
  const date = id.slice(23, 31);
  const month = Number(date.slice(4, 6));
  const day = Number(date.slice(6, 8));
  if (month < 1 || month > 12 || day < 1 || day > 31)
    throw new CodeError(field, `${field} carries an invalid date ${date}`);
  return { sender: id.slice(0, 23), date, sequence: Number(id.slice(31)) };
}

export function encodeBroadcastId(id: string): Buffer {
  parseBroadcastId(id);
  return encodeBcd(id, 'broadcastId');
}

export function decodeBroadcastId(bytes: Uint8Array): string {
  if (bytes.length !== 18) throw new CodeError('broadcastId', `a broadcast id is 18 bytes; got ${bytes.length}`);
  const id = decodeBcd(bytes, 'broadcastId');
  parseBroadcastId(id);
  return id;
}
