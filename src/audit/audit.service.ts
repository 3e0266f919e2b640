/**
 * The audit log: every write (who, what, when, before/after), chained by HMAC with a key kept outside the database
 * (DALABA_AUDIT_KEY or <data dir>/keys/audit-hmac), anchored by signed checkpoints outside it (audit-checkpoints.ts).
 * Rows written before the key existed keep their plain hashes; the first keyed row (KEYED_MARKER) carries their head. Appends are serialised so the
 * chain never forks: an in-process lock held from reading the chain head until the caller's transaction ends, plus
 * the database's own guards (the appender assigns id = head + 1 as primary key, and prevHash is unique), so a
 * concurrent appender elsewhere fails instead of forking. Record the audit entry last in a transaction.
 */
import { randomBytes } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SYSTEM_ACTOR, type AuthUser } from '../auth/auth-user';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { keysDir, persistentSecret } from '../config/data-dir';
import { Mutex } from '../common/mutex';
import { Transactions, Tx, managerOf, onTxEnd } from '../database/transactions';
import {
  BrokenLink,
  ChainPosition,
  GENESIS_HASH,
  KEYED_MARKER,
  firstBrokenLink,
  keyedRowHash,
  snapshotText,
} from './audit-chain';
import { AuditCheckpoints, type Checkpoint } from './audit-checkpoints';
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
  /** Rows a signed checkpoint vouches for that are gone: the log was cut short. */
  missingTail: { checkpointId: number; lastId: number; reason: string } | null;
  /** The newest valid checkpoint, and checkpoint-file lines whose signature fails. */
  checkpoint: { id: number; at: string } | null;
  badCheckpointLines: number[];
}

const VERIFY_PAGE = 1000;

@Injectable()
export class AuditService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly appendLock = new Mutex();
  private readonly holders = new WeakSet<object>();
  private readonly key: string;
  private readonly checkpoints: AuditCheckpoints;
  private readonly checkpointEvery: number;
  private lastCheckpointId: number;
  /** True once the keyed marker row is committed (read back from the database). */
  private keyed = false;

  constructor(
    private readonly repo: AuditRepository,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.key = (
      config.audit.key ?? persistentSecret(config, 'audit-hmac', () => randomBytes(48).toString('base64url'))
    ).reveal();
    this.checkpoints = new AuditCheckpoints(keysDir(config), clock);
    this.checkpointEvery = config.audit.checkpointEvery;
    this.lastCheckpointId = this.checkpoints.check().newest?.id ?? 0;
  }

  /** Keys the chain at the first start with a key (legacy rows stay as they are, anchored by the marker row). */
  async onApplicationBootstrap(): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.lock(tx);
      await this.ensureKeyed(tx);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    const head = await this.repo.last().catch(() => null);
    if (head) this.checkpoint(head);
  }

  /** Appends one entry; inside `tx` it commits (or rolls back) with the change it describes. */
  async record(entry: AuditEntry, tx?: Tx): Promise<void> {
    if (!tx) return this.transactions.run((t) => this.record(entry, t));
    if (await this.lock(tx)) {
      // first append of this transaction: the head is committed, so it may be checkpointed
      const head = await this.repo.head(tx);
      if (head && head.id - this.lastCheckpointId >= this.checkpointEvery) this.checkpoint(head);
    }
    await this.ensureKeyed(tx);
    await this.append(tx, entry);
  }

  /** Takes the append lock for the rest of `tx`; true when this call took it. */
  private async lock(tx: Tx): Promise<boolean> {
    const key = managerOf(tx);
    if (this.holders.has(key)) return false;
    const release = await this.appendLock.acquire();
    if (!onTxEnd(tx, release)) {
      release();
      throw new Error('AuditService.record needs a transaction opened by Transactions.run');
    }
    this.holders.add(key);
    return true;
  }

  private async ensureKeyed(tx: Tx): Promise<void> {
    if (this.keyed) return;
    if (await this.repo.marker(tx, KEYED_MARKER)) {
      this.keyed = true;
      return;
    }
    const head = await this.repo.head(tx);
    await this.append(tx, {
      actor: SYSTEM_ACTOR,
      action: KEYED_MARKER,
      entityType: 'audit',
      after: { legacyRows: head?.id ?? 0, legacyHead: head?.hash ?? GENESIS_HASH },
    });
  }

  private checkpoint(head: { id: number; hash: string }): Checkpoint | null {
    if (head.id <= this.lastCheckpointId) return null;
    this.lastCheckpointId = head.id;
    return this.checkpoints.write(head.id, head.hash);
  }

  private async append(tx: Tx, entry: AuditEntry): Promise<void> {
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
    const row = Object.assign(new AuditEntryEntity(), base, { hash: keyedRowHash(this.key, base) });
    await this.repo.insert(tx, row);
  }

  async list(filter: AuditFilter): Promise<{ items: AuditView[]; total: number }> {
    const { items, total } = await this.repo.page(filter);
    return { items: items.map(toView), total };
  }

  /**
   * Walks the whole chain in id order and reports the first broken link, then holds it against the newest signed
   * checkpoint: a checkpointed row that is gone is a missing tail, one whose hash differs is a re-chained log.
   * A clean result is checkpointed in turn.
   */
  async verify(): Promise<VerifyResult> {
    const signed = this.checkpoints.check();
    const anchor = signed.newest;
    const result: VerifyResult = {
      ok: true,
      checked: 0,
      firstBroken: null,
      missingTail: null,
      checkpoint: anchor ? { id: anchor.id, at: anchor.at } : null,
      badCheckpointLines: signed.badLines,
    };
    let previous = null as ChainPosition | null;
    let anchorHash: string | null = null;
    for (;;) {
      const rows = await this.repo.scan(previous?.id ?? 0, VERIFY_PAGE);
      if (rows.length === 0) break;
      const broken = firstBrokenLink(rows, previous, this.key);
      if (broken)
        return {
          ...result,
          ok: false,
          checked: result.checked + rows.findIndex((r) => r.id === broken.id),
          firstBroken: broken,
        };
      result.checked += rows.length;
      const markerAt = rows.findIndex((r) => r.action === KEYED_MARKER);
      const last = rows[rows.length - 1];
      previous = { id: last.id, hash: last.hash, keyed: (previous?.keyed ?? false) || markerAt >= 0 };
      if (anchor) anchorHash = rows.find((r) => r.id === anchor.id)?.hash ?? anchorHash;
    }
    if (previous && !previous.keyed) {
      result.firstBroken = {
        id: 1,
        reason: `no row is keyed (${KEYED_MARKER}): the chain was rewritten without the key`,
      };
    } else if (anchor && (previous?.id ?? 0) < anchor.id) {
      const lastId = previous?.id ?? 0;
      result.missingTail = {
        checkpointId: anchor.id,
        lastId,
        reason: `rows ${lastId + 1} to ${anchor.id}, vouched for by the checkpoint of ${anchor.at}, are missing`,
      };
    } else if (anchor && anchorHash !== anchor.hash) {
      result.firstBroken = {
        id: anchor.id,
        reason: `row ${anchor.id} differs from its signed checkpoint of ${anchor.at} (the chain was rewritten)`,
      };
    }
    result.ok = result.firstBroken === null && result.missingTail === null && signed.badLines.length === 0;
    if (result.ok && previous) this.checkpoint(previous);
    return result;
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
