/** All SQL of alerts: rows, the daily broadcast-id counter, and the registry reads that resolve targets. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In } from 'typeorm';
import { areaPrefix } from '../../firmware-protocols/codes';
import { Tx, managerOf } from '../database/transactions';
import { AreaEntity } from '../regions/area.entity';
import { TerminalEntity } from '../terminals/registry.entities';
import type { AlertState } from './alert-lifecycle';
import { AlertEntity, AlertRevisionEntity, type AlertTargets } from './alert.entities';

export interface AlertFilter {
  states?: AlertState[];
  /** LIKE patterns over areaIndex, OR-ed (null: every alert). An empty array means nothing is visible. */
  areaPatterns: string[] | null;
  /** Further LIKE patterns that must also match (the requested area inside the user's visibility). */
  requiredPatterns?: string[];
  messageType?: string;
  eventType?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface TerminalPlace {
  id: number;
  areaCode: string;
  enabled: boolean;
}

@Injectable()
export class AlertsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  findById(id: number, tx?: Tx): Promise<AlertEntity | null> {
    return this.em(tx).findOneBy(AlertEntity, { id });
  }

  save(tx: Tx, alert: AlertEntity): Promise<AlertEntity> {
    return this.em(tx).save(AlertEntity, alert);
  }

  addRevision(tx: Tx, revision: Omit<AlertRevisionEntity, 'id'>): Promise<AlertRevisionEntity> {
    return this.em(tx).save(AlertRevisionEntity, Object.assign(new AlertRevisionEntity(), revision));
  }

  /** The alert's revision history, oldest first. */
  revisions(alertId: number, tx?: Tx): Promise<AlertRevisionEntity[]> {
    return this.em(tx).find(AlertRevisionEntity, { where: { alertId }, order: { id: 'ASC' } });
  }

  async page(f: AlertFilter): Promise<{ items: AlertEntity[]; total: number }> {
    if (f.areaPatterns && f.areaPatterns.length === 0) return { items: [], total: 0 };
    const qb = this.em().createQueryBuilder(AlertEntity, 'a');
    const anyOf = (patterns: string[], name: string): void => {
      qb.andWhere(
        new Brackets((w) =>
          patterns.forEach((p, i) => w.orWhere(`a.areaIndex LIKE :${name}${i}`, { [`${name}${i}`]: p })),
        ),
      );
    };
    if (f.areaPatterns) anyOf(f.areaPatterns, 'v');
    if (f.requiredPatterns) anyOf(f.requiredPatterns, 'r');
    if (f.states?.length) qb.andWhere('a.state IN (:...states)', { states: f.states });
    if (f.messageType) qb.andWhere('a.messageType = :mt', { mt: f.messageType });
    if (f.eventType) qb.andWhere('a.eventType = :et', { et: f.eventType });
    if (f.from) qb.andWhere('a.createdAt >= :from', { from: f.from });
    if (f.to) qb.andWhere('a.createdAt < :to', { to: f.to });
    qb.orderBy('a.createdAt', 'DESC').addOrderBy('a.id', 'DESC').take(f.limit).skip(f.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  /** Alerts not yet on air or not yet started whose end has passed. */
  dueToExpire(now: Date): Promise<AlertEntity[]> {
    return this.em()
      .createQueryBuilder(AlertEntity, 'a')
      .where('a.state IN (:...states)', { states: ['draft', 'submitted', 'approved', 'scheduled'] })
      .andWhere('a.endAt <= :now', { now })
      .orderBy('a.id', 'ASC')
      .take(500)
      .getMany();
  }

  /** References to a library clip, for ClipReferences. */
  async usingClip(clipId: string, tx?: Tx): Promise<{ id: number; title: string }[]> {
    return this.em(tx).find(AlertEntity, {
      select: { id: true, title: true },
      where: { clipId },
      order: { id: 'ASC' },
      take: 20,
    });
  }

  /**
   * The next daily sequence number of `sender` on `day`, by one upsert of the counter row: on MySQL/MariaDB the row's
   * exclusive lock then serialises concurrent senders until the transaction ends (the first of a day included);
   * on SQLite transactions are one at a time anyway.
   */
  async nextSequence(tx: Tx, sender: string, day: string): Promise<number> {
    const em = managerOf(tx);
    const sqlite = em.connection.options.type === 'better-sqlite3';
    const upsert = sqlite
      ? 'ON CONFLICT(sender, day) DO UPDATE SET last = last + 1'
      : 'ON DUPLICATE KEY UPDATE `last` = `last` + 1';
    await em.query(
      `INSERT INTO broadcast_id_sequences (sender, day, ${sqlite ? 'last' : '`last`'}) VALUES (?, ?, 1) ${upsert}`,
      [sender, day],
    );
    const rows: { last: number | string }[] = await em.query(
      `SELECT ${sqlite ? 'last' : '`last`'} AS last FROM broadcast_id_sequences WHERE sender = ? AND day = ?${sqlite ? '' : ' FOR UPDATE'}`,
      [sender, day],
    );
    return Number(rows[0].last);
  }

  /** The registered area codes among `codes`. */
  async registeredAreas(codes: string[], tx?: Tx): Promise<Set<string>> {
    if (codes.length === 0) return new Set();
    const rows = await this.em(tx).find(AreaEntity, { select: { code: true }, where: { code: In(codes) } });
    return new Set(rows.map((r) => r.code));
  }

  /** Where the given terminals are (missing ids are simply absent). */
  async terminalPlaces(ids: number[], tx?: Tx): Promise<TerminalPlace[]> {
    const out: TerminalPlace[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      out.push(
        ...(await this.em(tx).find(TerminalEntity, {
          select: { id: true, areaCode: true, enabled: true },
          where: { id: In(ids.slice(i, i + 500)) },
        })),
      );
    }
    return out;
  }

  /** Enabled terminals inside the target areas or named singly, with their areas (the caller narrows to a scope). */
  async resolveTargets(targets: AlertTargets, tx?: Tx): Promise<TerminalPlace[]> {
    const byId = new Map<number, TerminalPlace>();
    if (targets.areaCodes.length > 0) {
      const prefixes = [...new Set(targets.areaCodes.map((c) => areaPrefix(c)))];
      const rows = await this.em(tx)
        .createQueryBuilder(TerminalEntity, 't')
        .select(['t.id', 't.areaCode', 't.enabled'])
        .where('t.enabled = :on', { on: true })
        .andWhere(
          new Brackets((w) => prefixes.forEach((p, i) => w.orWhere(`t.areaCode LIKE :p${i}`, { [`p${i}`]: `${p}%` }))),
        )
        .getMany();
      for (const r of rows) byId.set(r.id, r);
    }
    for (const r of await this.terminalPlaces(targets.terminalIds, tx)) if (r.enabled) byId.set(r.id, r);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }
}
