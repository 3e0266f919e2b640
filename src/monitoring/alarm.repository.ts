/** All SQL of alarms. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { managerOf, type Tx } from '../database/transactions';
import { AlarmEntity, type AlarmState, TerminalStatusEntity } from './monitoring.entities';
import type { AlarmKind } from './alarm-causes';

export interface AlarmFilter {
  state?: AlarmState;
  kind?: AlarmKind;
  /** Area-code subtrees (area codes whose zero tail is dropped); null: everything. */
  prefixes: string[] | null;
}

@Injectable()
export class AlarmRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  active(): Promise<AlarmEntity[]> {
    return this.dataSource.manager.find(AlarmEntity, { where: { state: 'active' }, order: { id: 'ASC' } });
  }

  findById(id: number, tx?: Tx): Promise<AlarmEntity | null> {
    return (tx ? managerOf(tx) : this.dataSource.manager).findOneBy(AlarmEntity, { id });
  }

  async insert(row: Omit<AlarmEntity, 'id'>, tx?: Tx): Promise<number> {
    const result = await (tx ? managerOf(tx) : this.dataSource.manager).insert(AlarmEntity, row);
    return (result.identifiers[0] as { id: number }).id;
  }

  async update(id: number, patch: Partial<Omit<AlarmEntity, 'id'>>, tx?: Tx): Promise<void> {
    await (tx ? managerOf(tx) : this.dataSource.manager).update(AlarmEntity, { id }, patch);
  }

  /** The gateway each of these terminals was last seen on (the status table), for alarms that name no gateway. */
  async gatewaysOf(terminalIds: number[]): Promise<Map<number, number>> {
    if (terminalIds.length === 0) return new Map();
    const rows = await this.dataSource.manager.find(TerminalStatusEntity, {
      select: { terminalId: true, gatewayId: true },
      where: { terminalId: In([...new Set(terminalIds)]) },
    });
    return new Map(rows.map((r) => [r.terminalId, r.gatewayId]));
  }

  async page(filter: AlarmFilter, limit: number, offset: number): Promise<{ items: AlarmEntity[]; total: number }> {
    if (filter.prefixes && filter.prefixes.length === 0) return { items: [], total: 0 };
    const qb = this.dataSource.manager.createQueryBuilder(AlarmEntity, 'a');
    if (filter.state) qb.andWhere('a.state = :state', { state: filter.state });
    if (filter.kind) qb.andWhere('a.kind = :kind', { kind: filter.kind });
    if (filter.prefixes) {
      qb.andWhere(
        `(${filter.prefixes.map((_, i) => `a.areaCode LIKE :p${i}`).join(' OR ')})`,
        Object.fromEntries(filter.prefixes.map((p, i) => [`p${i}`, `${p}%`])),
      );
    }
    const [items, total] = await qb
      .orderBy('a.raisedAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(limit)
      .skip(offset)
      .getManyAndCount();
    return { items, total };
  }
}
