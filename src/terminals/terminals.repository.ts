/** All SQL of terminals. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Tx, managerOf } from '../database/transactions';
import type { Paging } from './gateways.repository';
import { TerminalEntity } from './registry.entities';

export interface TerminalFilter {
  /** Area-code prefixes (null: everything). */
  prefixes: string[] | null;
  gatewayId?: number;
  model?: string;
  q?: string;
}

@Injectable()
export class TerminalsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  findById(id: number, tx?: Tx): Promise<TerminalEntity | null> {
    return this.em(tx).findOneBy(TerminalEntity, { id });
  }

  async findByResourceCodes(codes: string[], tx?: Tx): Promise<TerminalEntity[]> {
    const out: TerminalEntity[] = [];
    for (let i = 0; i < codes.length; i += 500)
      out.push(...(await this.em(tx).findBy(TerminalEntity, { resourceCode: In(codes.slice(i, i + 500)) })));
    return out;
  }

  /** The terminal holding a unit id on a gateway, if any. */
  findByUnit(gatewayId: number, unitId: number, tx?: Tx): Promise<TerminalEntity | null> {
    return this.em(tx).findOneBy(TerminalEntity, { gatewayId, unitId });
  }

  /** Unit ids taken per gateway, for the given gateways. */
  async unitsOn(gatewayIds: number[], tx?: Tx): Promise<Map<number, Set<number>>> {
    const out = new Map<number, Set<number>>();
    for (let i = 0; i < gatewayIds.length; i += 500) {
      const rows = await this.em(tx).find(TerminalEntity, {
        select: { gatewayId: true, unitId: true },
        where: { gatewayId: In(gatewayIds.slice(i, i + 500)) },
      });
      for (const r of rows) {
        const set = out.get(r.gatewayId) ?? new Set<number>();
        set.add(r.unitId);
        out.set(r.gatewayId, set);
      }
    }
    return out;
  }

  async page(filter: TerminalFilter, paging: Paging | null): Promise<{ items: TerminalEntity[]; total: number }> {
    if (filter.prefixes && filter.prefixes.length === 0) return { items: [], total: 0 };
    const qb = this.em().createQueryBuilder(TerminalEntity, 't');
    if (filter.prefixes)
      qb.andWhere(
        `(${filter.prefixes.map((_, i) => `t.areaCode LIKE :p${i}`).join(' OR ')})`,
        Object.fromEntries(filter.prefixes.map((p, i) => [`p${i}`, `${p}%`])),
      );
    if (filter.gatewayId !== undefined) qb.andWhere('t.gatewayId = :gid', { gid: filter.gatewayId });
    if (filter.model) qb.andWhere('t.model = :model', { model: filter.model });
    if (filter.q)
      qb.andWhere('(t.name LIKE :q OR t.resourceCode LIKE :q OR t.serialNumber LIKE :q OR t.address LIKE :q)', {
        q: `%${filter.q}%`,
      });
    qb.orderBy(`t.${paging?.sort ?? 'id'}`, paging?.order ?? 'ASC').addOrderBy('t.id', 'ASC');
    if (paging) qb.take(paging.limit).skip(paging.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  save(tx: Tx, t: TerminalEntity): Promise<TerminalEntity> {
    return this.em(tx).save(TerminalEntity, t);
  }

  /** Bulk insert in chunks; returns the rows with their ids. */
  async insertMany(tx: Tx, rows: TerminalEntity[]): Promise<TerminalEntity[]> {
    for (let i = 0; i < rows.length; i += 100) await this.em(tx).insert(TerminalEntity, rows.slice(i, i + 100));
    return this.findByResourceCodes(
      rows.map((r) => r.resourceCode),
      tx,
    );
  }

  async remove(tx: Tx, id: number): Promise<void> {
    await this.em(tx).delete(TerminalEntity, { id });
  }
}
