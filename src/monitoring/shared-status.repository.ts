/**
 * What the other instances of a cluster publish, read back (docs/cluster.md, "Monitoring across instances"): the
 * buses of `bus_status` each holder wrote since the last look, and the registry's terminals of some buses with their
 * last written status (`terminal_status`), for snapshots. Written by StatusWriter, in its fenced transaction.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, In, Like, type FindOptionsWhere } from 'typeorm';
import { sqlTime } from '../cluster/lease-store';
import { TerminalEntity } from '../terminals/registry.entities';
import type { PublishedBus } from './bus-summary';
import { BusStatusEntity, TerminalStatusEntity } from './monitoring.entities';

/** Ids per IN list. */
const CHUNK = 500;

export interface TerminalRow {
  terminal: TerminalEntity;
  /** Its last written status; null when none was ever written. */
  status: TerminalStatusEntity | null;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export function publishedOf(row: BusStatusEntity): PublishedBus {
  return {
    gatewayId: row.gatewayId,
    areaCode: row.areaCode,
    holder: row.holder,
    epoch: row.epoch,
    connection: row.connection,
    since: row.since.getTime(),
    detail: row.detail,
    terminals: row.terminals,
    areas: row.areas,
    writtenAt: row.writtenAt.getTime(),
  };
}

@Injectable()
export class SharedStatusRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The buses written since `after`, which gives for each holder the time of the latest write read from it (a
   * holder's writes never overlap and their times only grow, so nothing it committed is skipped); every bus when
   * `after` is null.
   */
  async busesWrittenSince(after: ReadonlyMap<string, number> | null): Promise<PublishedBus[]> {
    const query = this.dataSource.manager.createQueryBuilder(BusStatusEntity, 'b');
    if (after && after.size > 0) {
      const holders = [...after];
      query.where(
        new Brackets((w) => {
          holders.forEach(([holder, at], i) =>
            w.orWhere(`(b.holder = :h${i} AND b.writtenAt > :w${i})`, { [`h${i}`]: holder, [`w${i}`]: sqlTime(at) }),
          );
          w.orWhere('b.holder NOT IN (:...known)', { known: holders.map(([h]) => h) });
        }),
      );
    }
    return (await query.getMany()).map(publishedOf);
  }

  /**
   * The enabled terminals of the given buses (narrowed to area prefixes, or to some terminals), each with its last
   * written status.
   */
  async terminalsOn(
    gatewayIds: readonly number[],
    narrow: { prefixes?: readonly string[]; terminalIds?: readonly number[] } = {},
  ): Promise<TerminalRow[]> {
    if (gatewayIds.length === 0 || narrow.prefixes?.length === 0 || narrow.terminalIds?.length === 0) return [];
    const terminals: TerminalEntity[] = [];
    for (const buses of chunks(gatewayIds)) {
      const base: FindOptionsWhere<TerminalEntity> = { enabled: true, gatewayId: In(buses) };
      const where = narrow.terminalIds
        ? chunks(narrow.terminalIds).map((ids) => ({ ...base, id: In(ids) }))
        : narrow.prefixes
          ? narrow.prefixes.map((p) => ({ ...base, areaCode: Like(`${p}%`) }))
          : [base];
      terminals.push(...(await this.dataSource.manager.find(TerminalEntity, { where })));
    }
    const statuses = new Map<number, TerminalStatusEntity>();
    for (const ids of chunks(terminals.map((t) => t.id)))
      for (const s of await this.dataSource.manager.findBy(TerminalStatusEntity, { terminalId: In(ids) }))
        statuses.set(s.terminalId, s);
    return terminals.map((terminal) => ({ terminal, status: statuses.get(terminal.id) ?? null }));
  }
}
