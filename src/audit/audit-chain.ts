/**
 * The audit log's hash chain, as pure functions: each row's hash = SHA-256 over the previous row's hash and the row's
 * canonical content (JSON with sorted keys, time as ISO-8601 UTC with milliseconds). Verification walks the rows in
 * order and reports the first broken link.
 */
import { createHash } from 'node:crypto';

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

export function rowHash(row: Omit<ChainedRow, 'hash'>): string {
  const content = canonicalJson({
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
  return createHash('sha256').update(row.prevHash).update('\n').update(content).digest('hex');
}

export interface BrokenLink {
  id: number;
  reason: string;
}

/**
 * Checks rows given in id order, continuing from `previous` (the last row already checked, or null at the start).
 * Returns the first broken link, or null.
 */
export function firstBrokenLink(rows: readonly ChainedRow[], previous: Pick<ChainedRow, 'id' | 'hash'> | null): BrokenLink | null {
  let prev = previous;
  for (const row of rows) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (row.id !== expectedId) {
      return { id: row.id, reason: `row ${expectedId} is missing (found ${row.id} after ${prev ? prev.id : 'the start'})` };
    }
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (row.prevHash !== expectedPrev) {
      return { id: row.id, reason: `prevHash does not match the hash of row ${prev ? prev.id : 'genesis'}` };
    }
    if (rowHash(row) !== row.hash) {
      return { id: row.id, reason: 'content does not match its hash (the row was changed)' };
    }
    prev = row;
  }
  return null;
}
