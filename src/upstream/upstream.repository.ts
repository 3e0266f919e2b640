/** All SQL of the upstream exchange: senders, inbox, outbox, the EBDID counter, and the reads of alerts and broadcasts it reports on. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Between, DataSource, EntityManager, In, LessThanOrEqual, Not } from 'typeorm';
import { AlertEntity } from '../alerts/alert.entities';
import { sqlTime } from '../cluster/lease-store';
import { Tx, managerOf } from '../database/transactions';
import { BroadcastEntity } from '../dispatch/broadcast.entities';
import { AreaEntity } from '../regions/area.entity';
import { TerminalEntity } from '../terminals/registry.entities';
import {
  UpstreamMessageEntity,
  UpstreamOutboxEntity,
  UpstreamSenderEntity,
  type SenderKind,
} from './upstream.entities';

@Injectable()
export class UpstreamRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  // ---- senders ----

  senders(): Promise<UpstreamSenderEntity[]> {
    return this.em().find(UpstreamSenderEntity, { order: { id: 'ASC' } });
  }

  sender(id: number, tx?: Tx): Promise<UpstreamSenderEntity | null> {
    return this.em(tx).findOneBy(UpstreamSenderEntity, { id });
  }

  senderByCode(kind: SenderKind, code: string): Promise<UpstreamSenderEntity | null> {
    return this.em().findOneBy(UpstreamSenderEntity, { kind, code });
  }

  senderByCertSn(certSn: string): Promise<UpstreamSenderEntity | null> {
    return this.em().findOneBy(UpstreamSenderEntity, { kind: 'ebd', certSn, enabled: true });
  }

  saveSender(tx: Tx, s: UpstreamSenderEntity): Promise<UpstreamSenderEntity> {
    return this.em(tx).save(UpstreamSenderEntity, s);
  }

  async deleteSender(tx: Tx, id: number): Promise<void> {
    await this.em(tx).delete(UpstreamSenderEntity, { id });
  }

  // ---- inbox ----

  saveMessage(m: UpstreamMessageEntity, tx?: Tx): Promise<UpstreamMessageEntity> {
    return this.em(tx).save(UpstreamMessageEntity, m);
  }

  message(id: number): Promise<UpstreamMessageEntity | null> {
    return this.em().findOneBy(UpstreamMessageEntity, { id });
  }

  /** Whether a message with this id was taken before (verified, and not failed on our side: that one may come again). */
  async seen(kind: SenderKind, messageId: string): Promise<boolean> {
    return (
      (await this.em().countBy(UpstreamMessageEntity, {
        kind,
        messageId,
        verification: In(['verified', 'valid']),
        disposition: Not('failed'),
      })) > 0
    );
  }

  async messages(q: {
    kind?: SenderKind;
    verification?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: UpstreamMessageEntity[]; total: number }> {
    const where = {
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.verification ? { verification: q.verification as UpstreamMessageEntity['verification'] } : {}),
    };
    const [items, total] = await this.em().findAndCount(UpstreamMessageEntity, {
      where,
      order: { id: 'DESC' },
      take: q.limit,
      skip: q.offset,
    });
    return { items, total };
  }

  messagesOfAlert(alertId: number): Promise<UpstreamMessageEntity[]> {
    return this.em().find(UpstreamMessageEntity, { where: { alertId }, order: { id: 'ASC' } });
  }

  // ---- outbox ----

  saveOutbox(o: UpstreamOutboxEntity, tx?: Tx): Promise<UpstreamOutboxEntity> {
    return this.em(tx).save(UpstreamOutboxEntity, o);
  }

  /**
   * Takes a due row for one attempt (docs/cluster.md, "Singletons"): counts the attempt and moves its next one to
   * `until`, only while it is still pending, due, and at the attempts it was read with, so that no other pass (this
   * instance's or another's) starts an attempt on it before `until`. Returns whether this call took it.
   */
  async claimOutbox(tx: Tx, id: number, attempts: number, now: Date, until: Date): Promise<boolean> {
    const runner = managerOf(tx).queryRunner;
    if (!runner) throw new Error('a transaction without a query runner');
    const result = await runner.query(
      'UPDATE upstream_outbox SET attempts = attempts + 1, nextAttemptAt = ? ' +
        "WHERE id = ? AND state = 'pending' AND attempts = ? AND nextAttemptAt <= ?",
      [sqlTime(until.getTime()), id, attempts, sqlTime(now.getTime())],
      true,
    );
    return (result.affected ?? 0) === 1;
  }

  /** Writes an attempt's outcome, only while no later attempt was claimed (`attempts` is still this one's count). */
  async finishOutbox(
    id: number,
    attempts: number,
    outcome: Pick<UpstreamOutboxEntity, 'state' | 'resultCode' | 'lastError' | 'nextAttemptAt' | 'sentAt'>,
  ): Promise<UpstreamOutboxEntity | null> {
    const result = await this.em()
      .createQueryBuilder()
      .update(UpstreamOutboxEntity)
      .set(outcome)
      .where('id = :id AND attempts = :attempts', { id, attempts })
      .execute();
    if ((result.affected ?? 0) !== 1) return null;
    return this.em().findOneBy(UpstreamOutboxEntity, { id });
  }

  due(now: Date, limit: number): Promise<UpstreamOutboxEntity[]> {
    return this.em().find(UpstreamOutboxEntity, {
      where: { state: 'pending', nextAttemptAt: LessThanOrEqual(now) },
      order: { nextAttemptAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  async outbox(q: {
    state?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: UpstreamOutboxEntity[]; total: number }> {
    const [items, total] = await this.em().findAndCount(UpstreamOutboxEntity, {
      where: q.state ? { state: q.state as UpstreamOutboxEntity['state'] } : {},
      order: { id: 'DESC' },
      take: q.limit,
      skip: q.offset,
    });
    return { items, total };
  }

  /** The next of today's 8-digit EBDID sequence numbers, taken under a row lock in `tx`. */
  async nextEbdSequence(tx: Tx, day: string): Promise<number> {
    const em = managerOf(tx);
    const sqlite = em.connection.options.type === 'better-sqlite3';
    const last = sqlite ? 'last' : '`last`';
    const upsert = sqlite
      ? 'ON CONFLICT(day) DO UPDATE SET last = last + 1'
      : 'ON DUPLICATE KEY UPDATE `last` = `last` + 1';
    await em.query(`INSERT INTO ebd_id_sequences (day, ${last}) VALUES (?, 1) ${upsert}`, [day]);
    const rows: { last: number | string }[] = await em.query(
      `SELECT ${last} AS last FROM ebd_id_sequences WHERE day = ?${sqlite ? '' : ' FOR UPDATE'}`,
      [day],
    );
    return Number(rows[0].last);
  }

  // ---- what reports read ----

  alertByUpstreamId(upstreamId: string): Promise<AlertEntity | null> {
    return this.em().findOne(AlertEntity, { where: { upstreamId }, order: { id: 'DESC' } });
  }

  alert(id: number): Promise<AlertEntity | null> {
    return this.em().findOneBy(AlertEntity, { id });
  }

  async broadcastState(broadcastId: string): Promise<BroadcastEntity['state'] | null> {
    return (
      (await this.em().findOne(BroadcastEntity, { select: { state: true }, where: { broadcastId } }))?.state ?? null
    );
  }

  broadcastsBetween(from: Date, to: Date): Promise<BroadcastEntity[]> {
    return this.em().find(BroadcastEntity, {
      where: { createdAt: Between(from, to) },
      order: { createdAt: 'ASC' },
      take: 1000,
    });
  }

  async registeredAreas(codes: string[]): Promise<Set<string>> {
    if (codes.length === 0) return new Set();
    return new Set(
      (await this.em().find(AreaEntity, { select: { code: true }, where: { code: In(codes) } })).map((a) => a.code),
    );
  }

  async areaNames(codes: string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    return new Map(
      (await this.em().find(AreaEntity, { select: { code: true, name: true }, where: { code: In(codes) } })).map(
        (a) => [a.code, a.name],
      ),
    );
  }

  terminals(): Promise<
    Pick<TerminalEntity, 'id' | 'name' | 'resourceCode' | 'areaCode' | 'enabled' | 'latitude' | 'longitude'>[]
  > {
    return this.em().find(TerminalEntity, {
      select: {
        id: true,
        name: true,
        resourceCode: true,
        areaCode: true,
        enabled: true,
        latitude: true,
        longitude: true,
      },
    });
  }
}
