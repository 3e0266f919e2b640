/** All SQL of the region tree, plus the counts of what hangs on a subtree. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Tx, managerOf } from '../database/transactions';
import { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import { AreaEntity } from './area.entity';

export interface Hanging {
  children: number;
  gateways: number;
  terminals: number;
}

@Injectable()
export class RegionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  findByCode(code: string, tx?: Tx): Promise<AreaEntity | null> {
    return this.em(tx).findOneBy(AreaEntity, { code });
  }

  findByCodes(codes: string[], tx?: Tx): Promise<AreaEntity[]> {
    return codes.length === 0 ? Promise.resolve([]) : this.em(tx).findBy(AreaEntity, { code: In(codes) });
  }

  /** Every area whose code starts with one of the prefixes (all areas when prefixes is null). */
  subtree(prefixes: string[] | null, tx?: Tx): Promise<AreaEntity[]> {
    const qb = this.em(tx).createQueryBuilder(AreaEntity, 'a').orderBy('a.code', 'ASC');
    if (prefixes) {
      if (prefixes.length === 0) return Promise.resolve([]);
      qb.where(
        prefixes.map((_, i) => `a.code LIKE :p${i}`).join(' OR '),
        Object.fromEntries(prefixes.map((p, i) => [`p${i}`, `${p}%`])),
      );
    }
    return qb.getMany();
  }

  /** Terminal counts per stored area code within the prefixes. */
  async terminalCounts(prefixes: string[] | null): Promise<Map<string, number>> {
    const qb = this.dataSource.manager
      .createQueryBuilder(TerminalEntity, 't')
      .select('t.areaCode', 'areaCode')
      .addSelect('COUNT(*)', 'n')
      .groupBy('t.areaCode');
    if (prefixes) {
      if (prefixes.length === 0) return new Map();
      qb.where(
        prefixes.map((_, i) => `t.areaCode LIKE :p${i}`).join(' OR '),
        Object.fromEntries(prefixes.map((p, i) => [`p${i}`, `${p}%`])),
      );
    }
    const rows = await qb.getRawMany<{ areaCode: string; n: string | number }>();
    return new Map(rows.map((r) => [r.areaCode, Number(r.n)]));
  }

  /** What hangs in the subtree below `prefix` (children of the node, gateways and terminals in the subtree). */
  async hanging(code: string, prefix: string, tx: Tx): Promise<Hanging> {
    const em = this.em(tx);
    const like = `${prefix}%`;
    const [children, gateways, terminals] = await Promise.all([
      em.countBy(AreaEntity, { parentCode: code }),
      em.createQueryBuilder(GatewayEntity, 'g').where('g.areaCode LIKE :like', { like }).getCount(),
      em.createQueryBuilder(TerminalEntity, 't').where('t.areaCode LIKE :like', { like }).getCount(),
    ]);
    return { children, gateways, terminals };
  }

  save(tx: Tx, area: AreaEntity): Promise<AreaEntity> {
    return this.em(tx).save(AreaEntity, area);
  }

  /** Bulk insert in chunks (imports, demo). */
  async insertMany(tx: Tx, areas: Partial<AreaEntity>[]): Promise<void> {
    for (let i = 0; i < areas.length; i += 200) await this.em(tx).insert(AreaEntity, areas.slice(i, i + 200));
  }

  /** Re-keys a subtree: every descendant code starting with `fromPrefix` gets `toPrefix` instead. */
  async rekeySubtree(tx: Tx, fromPrefix: string, toPrefix: string, now: Date): Promise<AreaEntity[]> {
    const em = this.em(tx);
    const nodes = await em
      .createQueryBuilder(AreaEntity, 'a')
      .where('a.code LIKE :like', { like: `${fromPrefix}%` })
      .getMany();
    for (const n of nodes) {
      n.code = toPrefix + n.code.slice(fromPrefix.length);
      if (n.parentCode?.startsWith(fromPrefix)) n.parentCode = toPrefix + n.parentCode.slice(fromPrefix.length);
      n.updatedAt = now;
    }
    return em.save(AreaEntity, nodes);
  }

  async remove(tx: Tx, area: AreaEntity): Promise<void> {
    await this.em(tx).delete(AreaEntity, { id: area.id });
  }
}
