/**
 * The audit log: every write (who, what, when, before/after), chained by hashes. Appends are serialised so the
 * chain never forks: an in-process lock held from reading the chain head until the caller's transaction ends, plus
 * the database's own guards (the appender assigns id = head + 1 as primary key, and prevHash is unique), so a
 * concurrent appender elsewhere fails instead of forking. Record the audit entry last in a transaction.
 */
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user';
import { Mutex } from '../common/mutex';
import { Transactions, Tx, managerOf, onTxEnd } from '../database/transactions';
import { BrokenLink, GENESIS_HASH, firstBrokenLink, rowHash, snapshotText } from './audit-chain';
import { AuditEntryEntity } from './audit-entry.entity';
import { AuditFilter, AuditRepository } from './audit.repository';
import { Clock } from '../common/clock';

export interface AuditEntry {
  /** Who: an authenticated user, or a name alone (a failed login names the username tried). */
  actor: Pick<AuthUser, 'id' | 'username'> | { id: null; username: string };
  /** What, as `<entity>.<verb>`: `terminal.create`, `user.disable`, `auth.login_failed`. */
  action: string;
  entityType: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditView {
  id: number;
  at: string;
  actorId: number | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBroken: BrokenLink | null;
}

const VERIFY_PAGE = 1000;

@Injectable()
export class AuditService {
  private readonly appendLock = new Mutex();
  private readonly holders = new WeakSet<object>();

  constructor(
    private readonly repo: AuditRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  /** Appends one entry; inside `tx` it commits (or rolls back) with the change it describes. */
  async record(entry: AuditEntry, tx?: Tx): Promise<void> {
    if (!tx) return this.transactions.run((t) => this.record(entry, t));
    const key = managerOf(tx);
    if (!this.holders.has(key)) {
      const release = await this.appendLock.acquire();
      if (!onTxEnd(tx, release)) {
        release();
        throw new Error('AuditService.record needs a transaction opened by Transactions.run');
      }
      this.holders.add(key);
    }
    const head = await this.repo.head(tx);
    const base = {
      id: (head?.id ?? 0) + 1,
      at: this.clock.date(),
      actorId: entry.actor.id,
      actorName: entry.actor.username.slice(0, 64),
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      before: snapshotText(entry.before),
      after: snapshotText(entry.after),
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const row = Object.assign(new AuditEntryEntity(), base, { hash: rowHash(base) });
    await this.repo.insert(tx, row);
  }

  async list(filter: AuditFilter): Promise<{ items: AuditView[]; total: number }> {
    const { items, total } = await this.repo.page(filter);
    return { items: items.map(toView), total };
  }

  /** Walks the whole chain in id order and reports the first broken link. */
  async verify(): Promise<VerifyResult> {
    let previous: { id: number; hash: string } | null = null;
    let checked = 0;
    for (;;) {
      const rows = await this.repo.scan(previous?.id ?? 0, VERIFY_PAGE);
      if (rows.length === 0) return { ok: true, checked, firstBroken: null };
      const broken = firstBrokenLink(rows, previous);
      if (broken) return { ok: false, checked: checked + rows.findIndex((r) => r.id === broken.id), firstBroken: broken };
      checked += rows.length;
      const last = rows[rows.length - 1];
      previous = { id: last.id, hash: last.hash };
    }
  }
}

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toView(row: AuditEntryEntity): AuditView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actorId,
    actorName: row.actorName,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    before: parse(row.before),
    after: parse(row.after),
    hash: row.hash,
  };
}
