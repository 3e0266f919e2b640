/** All SQL of the audit log: the chain head (locked on MySQL/MariaDB), appends, filtered pages, ordered scans. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  Between,
  DataSource,
  EntityManager,
  FindOptionsWhere,
  In,
  LessThanOrEqual,
  MoreThan,
  MoreThanOrEqual,
} from 'typeorm';
import { isMySqlFamily } from '../database/dialect';
import { Tx, managerOf } from '../database/transactions';
import { AuditEntryEntity } from './audit-entry.entity';

export interface AuditFilter {
  actor?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  /** Only entries by these users or about these user accounts (a scoped administrator's view); absent: every entry. */
  userIds?: number[];
  limit: number;
  offset: number;
}

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The last row of the chain. On MySQL/MariaDB the append lock row is locked first, until the transaction ends (so
   * appenders of every instance sharing the database take turns), and the head is read with a row lock, so a
   * transaction sees the latest commit.
   */
  async head(tx: Tx): Promise<Pick<AuditEntryEntity, 'id' | 'hash'> | null> {
    const manager: EntityManager = managerOf(tx);
    if (isMySqlFamily(this.dataSource)) await manager.query('SELECT id FROM audit_append_lock WHERE id = 1 FOR UPDATE');
    const qb = manager
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .select(['a.id', 'a.hash'])
      .orderBy('a.id', 'DESC')
      .limit(1);
    if (isMySqlFamily(this.dataSource)) qb.setLock('pessimistic_write');
    return (await qb.getOne()) ?? null;
  }

  /** The first row of the keyed part of the chain (see KEYED_MARKER in audit-chain.ts), or null. */
  async marker(tx: Tx, action: string): Promise<Pick<AuditEntryEntity, 'id'> | null> {
    return (
      (await managerOf(tx)
        .getRepository(AuditEntryEntity)
        .findOne({ select: { id: true }, where: { action }, order: { id: 'ASC' } })) ?? null
    );
  }

  /** The last committed row, outside any transaction. */
  async last(): Promise<Pick<AuditEntryEntity, 'id' | 'hash'> | null> {
    return (
      (await this.dataSource
        .getRepository(AuditEntryEntity)
        .findOne({ select: { id: true, hash: true }, where: {}, order: { id: 'DESC' } })) ?? null
    );
  }

  async insert(tx: Tx, row: AuditEntryEntity): Promise<void> {
    await managerOf(tx).getRepository(AuditEntryEntity).insert(row);
  }

  async page(filter: AuditFilter): Promise<{ items: AuditEntryEntity[]; total: number }> {
    const where: FindOptionsWhere<AuditEntryEntity> = {};
    if (filter.actor) where.actorName = filter.actor;
    if (filter.action) where.action = filter.action;
    if (filter.entityType) where.entityType = filter.entityType;
    if (filter.entityId) where.entityId = filter.entityId;
    if (filter.from && filter.to) where.at = Between(filter.from, filter.to);
    else if (filter.from) where.at = MoreThanOrEqual(filter.from);
    else if (filter.to) where.at = LessThanOrEqual(filter.to);
    const [items, total] = await this.dataSource.getRepository(AuditEntryEntity).findAndCount({
      where: filter.userIds ? byOrAbout(where, filter.userIds) : where,
      order: { id: 'DESC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items, total };
  }

  /** Rows with id > afterId in id order, at most `limit`. */
  scan(afterId: number, limit: number): Promise<AuditEntryEntity[]> {
    return this.dataSource.getRepository(AuditEntryEntity).find({
      where: { id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }
}

/** `where`, narrowed to entries by one of `userIds` or about one of their accounts. */
function byOrAbout(where: FindOptionsWhere<AuditEntryEntity>, userIds: number[]): FindOptionsWhere<AuditEntryEntity>[] {
  if (userIds.length === 0) return [{ ...where, id: In([]) }];
  const ids = userIds.map(String);
  const out: FindOptionsWhere<AuditEntryEntity>[] = [{ ...where, actorId: In(userIds) }];
  const aboutUsers = where.entityType === undefined || where.entityType === 'user';
  const entityId =
    where.entityId === undefined ? In(ids) : ids.includes(where.entityId as string) ? where.entityId : undefined;
  if (aboutUsers && entityId !== undefined) out.push({ ...where, entityType: 'user', entityId });
  return out;
}
