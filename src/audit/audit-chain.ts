/**
 * The audit log's chain, as pure functions: each row's hash covers the previous row's hash and the row's canonical
 * content (JSON with sorted keys, time as ISO-8601 UTC with milliseconds). Rows written before the chain was keyed
 * use plain SHA-256; from the KEYED_MARKER row on, HMAC-SHA-256 with a key kept outside the database, so nobody
 * holding only the database can re-chain it. Verification walks the rows in order and reports the first broken link.
 */
import { createHash, createHmac } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedRow {
  id: number;
  at: Date;
  actorId: number | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  /** JSON text as stored, or null. */
  before: string | null;
  after: string | null;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth, so the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The stored text of a before/after value: canonical JSON of its JSON form (Dates become ISO strings). */
export function snapshotText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return canonicalJson(JSON.parse(JSON.stringify(value)));
}

/** The action of the row from which the chain is keyed (it carries the legacy head it continues). */
export const KEYED_MARKER = 'audit.keyed';

function rowContent(row: Omit<ChainedRow, 'hash'>): string {
  return canonicalJson({
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actorId,
    actorName: row.actorName,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    before: row.before,
    after: row.after,
  });
}

/** The unkeyed hash of rows written before the chain was keyed. */
export function rowHash(row: Omit<ChainedRow, 'hash'>): string {
  return createHash('sha256').update(row.prevHash).update('\n').update(rowContent(row)).digest('hex');
}

export function keyedRowHash(key: string, row: Omit<ChainedRow, 'hash'>): string {
  return createHmac('sha256', key).update(row.prevHash).update('\n').update(rowContent(row)).digest('hex');
}

/** Where a walk of the chain stands: the last row checked and whether the keyed part has begun. */
export interface ChainPosition {
  id: number;
  hash: string;
  keyed: boolean;
}

export interface BrokenLink {
  id: number;
  reason: string;
}

/**
 * Checks rows given in id order, continuing from `previous` (the last row already checked, or null at the start).
 * Without `key`, every row is checked with the plain hash; with it, rows from the KEYED_MARKER on need the HMAC.
 * Returns the first broken link, or null.
 */
export function firstBrokenLink(
  rows: readonly ChainedRow[],
  previous: Pick<ChainedRow, 'id' | 'hash'> | ChainPosition | null,
  key?: string,
): BrokenLink | null {
  let prev = previous;
  let keyed = previous !== null && 'keyed' in previous && previous.keyed;
  for (const row of rows) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (row.id !== expectedId) {
      return {
        id: row.id,
        reason: `row ${expectedId} is missing (found ${row.id} after ${prev ? prev.id : 'the start'})`,
      };
    }
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (row.prevHash !== expectedPrev) {
      return { id: row.id, reason: `prevHash does not match the hash of row ${prev ? prev.id : 'genesis'}` };
    }
    if (key !== undefined && !keyed && row.action === KEYED_MARKER) keyed = true;
    if ((keyed && key !== undefined ? keyedRowHash(key, row) : rowHash(row)) !== row.hash) {
      return {
        id: row.id,
        reason: keyed
          ? 'content does not match its keyed hash (the row was changed or the chain rewritten)'
          : 'content does not match its hash (the row was changed)',
      };
    }
    prev = row;
  }
  return null;
}
