/** The SQL of the periodic tests: their rows, the terminals and gateways they concern, the counties' audible plans. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { areaPrefix } from '../../firmware-protocols/codes';
import { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import { AudibleTestPlanEntity, SelfTestEntity, type SelfTestKind } from './self-test.entities';

/** Area-code prefixes to filter by; null = no filter (the platform's administrator). */
export type Prefixes = string[] | null;

function within<T extends object>(qb: SelectQueryBuilder<T>, alias: string, prefixes: Prefixes): SelectQueryBuilder<T> {
  if (prefixes === null) return qb;
  if (prefixes.length === 0) return qb.andWhere('1 = 0');
  return qb.andWhere(
    `(${prefixes.map((_, i) => `${alias}.areaCode LIKE :p${i}`).join(' OR ')})`,
    Object.fromEntries(prefixes.map((p, i) => [`p${i}`, `${areaPrefix(p)}%`])),
  );
}

@Injectable()
export class SelfTestRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  insert(row: Omit<SelfTestEntity, 'id'>): Promise<SelfTestEntity> {
    return this.dataSource.manager.save(SelfTestEntity, this.dataSource.manager.create(SelfTestEntity, row));
  }

  /** Enabled terminals (in the given subtrees), by gateway and unit. */
  terminals(prefixes: Prefixes = null): Promise<TerminalEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(TerminalEntity, 't')
      .where('t.enabled = :on', { on: true })
      .orderBy('t.gatewayId', 'ASC')
      .addOrderBy('t.unitId', 'ASC');
    return within(qb, 't', prefixes).getMany();
  }

  gateways(prefixes: Prefixes): Promise<GatewayEntity[]> {
    const qb = this.dataSource.manager.createQueryBuilder(GatewayEntity, 'g').where('g.enabled = :on', { on: true });
    return within(qb, 'g', prefixes).getMany();
  }

  /** A terminal's latest tests, newest first. */
  forTerminal(terminalId: number, limit: number): Promise<SelfTestEntity[]> {
    return this.dataSource.manager.find(SelfTestEntity, {
      where: { terminalId },
      order: { startedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  /** The tests due on a day, of one kind, in the given subtrees, oldest first (the last one per terminal counts). */
  onDay(day: string, kind: SelfTestKind, prefixes: Prefixes): Promise<SelfTestEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(SelfTestEntity, 's')
      .where('s.dueDay = :day', { day })
      .andWhere('s.kind = :kind', { kind })
      .orderBy('s.startedAt', 'ASC')
      .addOrderBy('s.id', 'ASC');
    return within(qb, 's', prefixes).getMany();
  }

  /** Each terminal's latest silent test that ran to its end (passed or failed): what the alarms start from. */
  async latestRan(): Promise<SelfTestEntity[]> {
    const latest = await this.dataSource.manager
      .createQueryBuilder(SelfTestEntity, 's')
      .select('MAX(s.id)', 'id')
      .where('s.kind = :kind', { kind: 'silent' })
      .andWhere('s.outcome IN (:...ran)', { ran: ['passed', 'failed'] })
      .groupBy('s.terminalId')
      .getRawMany<{ id: number }>();
    if (latest.length === 0) return [];
    return this.dataSource.manager
      .createQueryBuilder(SelfTestEntity, 's')
      .where('s.id IN (:...ids)', { ids: latest.map((r) => Number(r.id)) })
      .getMany();
  }

  plans(prefixes: Prefixes): Promise<AudibleTestPlanEntity[]> {
    const qb = this.dataSource.manager.createQueryBuilder(AudibleTestPlanEntity, 'p').orderBy('p.areaCode', 'ASC');
    return within(qb, 'p', prefixes).getMany();
  }

  plan(areaCode: string): Promise<AudibleTestPlanEntity | null> {
    return this.dataSource.manager.findOneBy(AudibleTestPlanEntity, { areaCode });
  }

  savePlan(row: AudibleTestPlanEntity): Promise<AudibleTestPlanEntity> {
    return this.dataSource.manager.save(AudibleTestPlanEntity, row);
  }
}
