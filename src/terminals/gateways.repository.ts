/** All SQL of gateways. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Tx, managerOf } from '../database/transactions';
import { GatewayEntity, TerminalEntity } from './registry.entities';

export interface GatewayFilter {
  /** Area-code prefixes (null: everything). */
  prefixes: string[] | null;
  kind?: string;
  q?: string;
}

export interface Paging {
  limit: number;
  offset: number;
  sort: string;
  order: 'ASC' | 'DESC';
}

@Injectable()
export class GatewaysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  findById(id: number, tx?: Tx): Promise<GatewayEntity | null> {
    return this.em(tx).findOneBy(GatewayEntity, { id });
  }

  async findByResourceCodes(codes: string[], tx?: Tx): Promise<GatewayEntity[]> {
    const out: GatewayEntity[] = [];
    for (let i = 0; i < codes.length; i += 500)
      out.push(...(await this.em(tx).findBy(GatewayEntity, { resourceCode: In(codes.slice(i, i + 500)) })));
    return out;
  }

  /** Resource codes in use in one administrative area (gateways and terminals), for generating a free one. */
  async codesInArea(adminArea: string, tx: Tx): Promise<Set<string>> {
    const like = `_${adminArea}%`;
    const em = this.em(tx);
    const [g, t] = await Promise.all([
      em
        .createQueryBuilder(GatewayEntity, 'g')
        .select('g.resourceCode', 'c')
        .where('g.resourceCode LIKE :like', { like })
        .getRawMany<{ c: string }>(),
      em
        .createQueryBuilder(TerminalEntity, 't')
        .select('t.resourceCode', 'c')
        .where('t.resourceCode LIKE :like', { like })
        .getRawMany<{ c: string }>(),
    ]);
    return new Set([...g, ...t].map((r) => r.c));
  }

  async page(filter: GatewayFilter, paging: Paging | null): Promise<{ items: GatewayEntity[]; total: number }> {
    if (filter.prefixes && filter.prefixes.length === 0) return { items: [], total: 0 };
    const qb = this.em().createQueryBuilder(GatewayEntity, 'g');
    if (filter.prefixes)
      qb.andWhere(
        `(${filter.prefixes.map((_, i) => `g.areaCode LIKE :p${i}`).join(' OR ')})`,
        Object.fromEntries(filter.prefixes.map((p, i) => [`p${i}`, `${p}%`])),
      );
    if (filter.kind) qb.andWhere('g.kind = :kind', { kind: filter.kind });
    if (filter.q) qb.andWhere('(g.name LIKE :q OR g.resourceCode LIKE :q OR g.host LIKE :q)', { q: `%${filter.q}%` });
    qb.orderBy(`g.${paging?.sort ?? 'id'}`, paging?.order ?? 'ASC').addOrderBy('g.id', 'ASC');
    if (paging) qb.take(paging.limit).skip(paging.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  terminalCount(gatewayId: number, tx: Tx): Promise<number> {
    return this.em(tx).countBy(TerminalEntity, { gatewayId });
  }

  save(tx: Tx, g: GatewayEntity): Promise<GatewayEntity> {
    return this.em(tx).save(GatewayEntity, g);
  }

  /** Bulk insert in chunks; returns the rows with their ids. */
  async insertMany(tx: Tx, rows: GatewayEntity[]): Promise<GatewayEntity[]> {
    for (let i = 0; i < rows.length; i += 100) await this.em(tx).insert(GatewayEntity, rows.slice(i, i + 100));
    return this.findByResourceCodes(
      rows.map((r) => r.resourceCode),
      tx,
    );
  }

  async remove(tx: Tx, id: number): Promise<void> {
    await this.em(tx).delete(GatewayEntity, { id });
  }
}
