/** All SQL of terminal status, its history and daily online rates. Writes come in batches from StatusWriter. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Between, DataSource, In, LessThan } from 'typeorm';
import { managerOf, Transactions, type Tx } from '../database/transactions';
import {
  BusStatusEntity,
  OnlineRateDailyEntity,
  TerminalStatusEntity,
  TerminalStatusHistoryEntity,
} from './monitoring.entities';

/** Rows per INSERT: well under SQLite's and MySQL's limits on bound parameters. */
const CHUNK = 200;
/** Rows per statement when writing status: small, with a turn of the event loop between (SQLite blocks while it writes). */
const WRITE_CHUNK = 100;

export interface RateSample {
  areaCode: string;
  online: number;
  registered: number;
}

@Injectable()
export class StatusRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    /** Through Transactions, so that on SQLite these writes queue with every other transaction (one shared connection). */
    private readonly transactions: Transactions,
  ) {}

  loadCurrent(): Promise<TerminalStatusEntity[]> {
    return this.dataSource.manager.find(TerminalStatusEntity);
  }

  findCurrent(terminalId: number): Promise<TerminalStatusEntity | null> {
    return this.dataSource.manager.findOneBy(TerminalStatusEntity, { terminalId });
  }

  /**
   * Upserts the latest status of each terminal and appends the history, in one transaction, with the buses a cluster
   * member publishes (`bus_status`); `last` runs in it after every row, just before the commit (the leases' fence:
   * when it throws, nothing is written; run last, the lease rows it locks are held for the commit only).
   */
  async write(
    current: TerminalStatusEntity[],
    history: Omit<TerminalStatusHistoryEntity, 'id'>[],
    last?: (tx: Tx) => Promise<void>,
    buses: BusStatusEntity[] = [],
  ): Promise<void> {
    await this.transactions.run(async (tx) => {
      const em = managerOf(tx);
      // each statement is followed by a turn of the event loop, so a large batch never holds up the live channel
      for (let i = 0; i < current.length; i += WRITE_CHUNK) {
        await em.upsert(TerminalStatusEntity, current.slice(i, i + WRITE_CHUNK), {
          conflictPaths: ['terminalId'],
          skipUpdateIfNoValuesChanged: false,
        });
        await nextTurn();
      }
      for (let i = 0; i < history.length; i += WRITE_CHUNK) {
        await em.insert(TerminalStatusHistoryEntity, history.slice(i, i + WRITE_CHUNK));
        await nextTurn();
      }
      for (let i = 0; i < buses.length; i += WRITE_CHUNK)
        await em.upsert(BusStatusEntity, buses.slice(i, i + WRITE_CHUNK), {
          conflictPaths: ['gatewayId'],
          skipUpdateIfNoValuesChanged: false,
        });
      await last?.(tx);
    });
  }

  async history(
    terminalId: number,
    from: Date,
    to: Date,
    limit: number,
    offset: number,
  ): Promise<{ items: TerminalStatusHistoryEntity[]; total: number }> {
    const [items, total] = await this.dataSource.manager.findAndCount(TerminalStatusHistoryEntity, {
      where: { terminalId, at: Between(from, to) },
      order: { at: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  /** Deletes history older than `before`; returns how many rows went. */
  async pruneHistory(before: Date): Promise<number> {
    const deleted = await this.dataSource.manager.delete(TerminalStatusHistoryEntity, { at: LessThan(before) });
    return deleted.affected ?? 0;
  }

  /** Adds one sample per area to the day's roll-up. */
  async addDailySamples(day: string, samples: RateSample[], at: Date): Promise<void> {
    if (samples.length === 0) return;
    await this.transactions.run(async (tx) => {
      const em = managerOf(tx);
      const existing = new Map<string, OnlineRateDailyEntity>();
      for (let i = 0; i < samples.length; i += CHUNK) {
        const rows = await em.findBy(OnlineRateDailyEntity, {
          day,
          areaCode: In(samples.slice(i, i + CHUNK).map((s) => s.areaCode)),
        });
        for (const r of rows) existing.set(r.areaCode, r);
      }
      const newDayRows: Omit<OnlineRateDailyEntity, 'id'>[] = [];
      for (const s of samples) {
        const percent = s.registered === 0 ? 0 : Math.round((s.online / s.registered) * 10_000) / 100;
        const row = existing.get(s.areaCode);
        if (!row) {
          newDayRows.push({
            areaCode: s.areaCode,
            day,
            samples: 1,
            onlineSum: s.online,
            registeredSum: s.registered,
            minPercent: percent,
            maxPercent: percent,
            updatedAt: at,
          });
          continue;
        }
        await em.update(
          OnlineRateDailyEntity,
          { id: row.id },
          {
            samples: row.samples + 1,
            onlineSum: row.onlineSum + s.online,
            registeredSum: row.registeredSum + s.registered,
            minPercent: Math.min(row.minPercent, percent),
            maxPercent: Math.max(row.maxPercent, percent),
            updatedAt: at,
          },
        );
      }
      for (let i = 0; i < newDayRows.length; i += CHUNK)
        await em.insert(OnlineRateDailyEntity, newDayRows.slice(i, i + CHUNK));
    });
  }

  daily(areaCode: string, fromDay: string, toDay: string): Promise<OnlineRateDailyEntity[]> {
    return this.dataSource.manager.find(OnlineRateDailyEntity, {
      where: { areaCode, day: Between(fromDay, toDay) },
      order: { day: 'ASC' },
    });
  }
}
