/** All SQL of the relay: programmes, schedules and their history, the as-run log. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In, type SelectQueryBuilder, type ObjectLiteral } from 'typeorm';
import { Tx, managerOf } from '../database/transactions';
import { AsRunEntity, ProgrammeEntity, RelayScheduleEntity, ScheduleRevisionEntity } from './relay.entities';

/** `areaIndex` LIKE patterns, OR-ed; null for no filter, [] for nothing. */
function anyOf<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  column: string,
  patterns: string[],
  name: string,
): void {
  qb.andWhere(
    new Brackets((w) => patterns.forEach((p, i) => w.orWhere(`${column} LIKE :${name}${i}`, { [`${name}${i}`]: p }))),
  );
}

@Injectable()
export class RelayRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  programme(id: number, tx?: Tx): Promise<ProgrammeEntity | null> {
    return this.em(tx).findOneBy(ProgrammeEntity, { id });
  }

  programmeNamed(name: string, tx?: Tx): Promise<ProgrammeEntity | null> {
    return this.em(tx).findOneBy(ProgrammeEntity, { name });
  }

  saveProgramme(tx: Tx, p: ProgrammeEntity): Promise<ProgrammeEntity> {
    return this.em(tx).save(ProgrammeEntity, p);
  }

  /** Programmes whose area index matches one of `patterns` (null: all), newest first. */
  async programmes(patterns: string[] | null, limit: number, offset: number): Promise<[ProgrammeEntity[], number]> {
    if (patterns && patterns.length === 0) return [[], 0];
    const qb = this.em().createQueryBuilder(ProgrammeEntity, 'p');
    if (patterns) anyOf(qb, 'p.areaIndex', patterns, 'v');
    return qb.orderBy('p.id', 'DESC').take(limit).skip(offset).getManyAndCount();
  }

  /** Programmes playing a library clip (for ClipReferences). */
  async usingClip(clipId: string, tx?: Tx): Promise<ProgrammeEntity[]> {
    const rows = await this.em(tx)
      .createQueryBuilder(ProgrammeEntity, 'p')
      .where('p.source LIKE :c OR p.fallback LIKE :c', { c: `%${JSON.stringify(clipId)}%` })
      .take(50)
      .getMany();
    return rows.filter((p) =>
      [p.source, p.fallback].some((s) => s?.clipIds?.includes(clipId) || s?.composedClipId === clipId),
    );
  }

  schedule(id: number, tx?: Tx): Promise<RelayScheduleEntity | null> {
    return this.em(tx).findOneBy(RelayScheduleEntity, { id });
  }

  saveSchedule(tx: Tx, s: RelayScheduleEntity): Promise<RelayScheduleEntity> {
    return this.em(tx).save(RelayScheduleEntity, s);
  }

  schedulesOf(programmeIds: number[], tx?: Tx): Promise<RelayScheduleEntity[]> {
    if (programmeIds.length === 0) return Promise.resolve([]);
    return this.em(tx).find(RelayScheduleEntity, { where: { programmeId: In(programmeIds) }, order: { id: 'ASC' } });
  }

  /** Every schedule with a published revision on air. */
  onAir(tx?: Tx): Promise<RelayScheduleEntity[]> {
    return this.em(tx).find(RelayScheduleEntity, { where: { onAir: true }, order: { id: 'ASC' } });
  }

  addRevision(tx: Tx, r: Omit<ScheduleRevisionEntity, 'id'>): Promise<ScheduleRevisionEntity> {
    return this.em(tx).save(ScheduleRevisionEntity, Object.assign(new ScheduleRevisionEntity(), r));
  }

  revisions(scheduleId: number, tx?: Tx): Promise<ScheduleRevisionEntity[]> {
    return this.em(tx).find(ScheduleRevisionEntity, { where: { scheduleId }, order: { id: 'ASC' } });
  }

  asRunSlot(terminalId: number, scheduleId: number, plannedStart: Date, tx?: Tx): Promise<AsRunEntity | null> {
    return this.em(tx).findOneBy(AsRunEntity, { terminalId, scheduleId, plannedStart });
  }

  saveAsRun(tx: Tx, row: AsRunEntity): Promise<AsRunEntity> {
    return this.em(tx).save(AsRunEntity, row);
  }

  /** As-run rows of a day inside the area prefixes (null: everywhere), by planned start and terminal. */
  asRunDay(day: string, prefixes: string[] | null, limit: number): Promise<AsRunEntity[]> {
    if (prefixes && prefixes.length === 0) return Promise.resolve([]);
    const qb = this.em().createQueryBuilder(AsRunEntity, 'r').where('r.day = :day', { day });
    if (prefixes)
      anyOf(
        qb,
        'r.areaCode',
        prefixes.map((p) => `${p}%`),
        'a',
      );
    return qb
      .orderBy('r.plannedStart', 'ASC')
      .addOrderBy('r.terminalId', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .take(limit)
      .getMany();
  }
}
