/**
 * Which terminals have a broadcast start in doubt, for the field's signing guard (src/field/signing-guard.ts): a
 * delivery whose start was sent, or recorded as sent, and is neither verified nor settled, of a broadcast whose window
 * is still open. Read from the delivery rows, the answer holds for starts recorded by an earlier process and, in a
 * cluster, by the previous holder of a bus, before any run here has read them. A start is recorded before it goes out
 * (run/bus-start.ts), so a command checked after the record sees it.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { FieldCommands } from '../field/field-commands';
import type { StartsInDoubt } from '../field/signing-guard';
import { BroadcastEntity, DeliveryEntity } from './broadcast.entities';
import type { DeliveryState } from './delivery-lifecycle';

/** A start recorded for a delivery in one of these states has not been verified (run/in-doubt.ts). */
const NOT_VERIFIED: DeliveryState[] = ['pending', 'transferring', 'ready'];
/** Terminals asked about in one query (a bus-wide command asks for a whole bus: a few dozen). */
const CHUNK = 500;

@Injectable()
export class DeliveryStartsInDoubt implements StartsInDoubt, OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly field: FieldCommands,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.field.guardSigning(this);
  }

  async among(terminalIds: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    const now = this.clock.date();
    for (let i = 0; i < terminalIds.length; i += CHUNK) {
      const rows = await this.dataSource
        .getRepository(DeliveryEntity)
        .createQueryBuilder('d')
        .select('DISTINCT d.terminalId', 'terminalId')
        .innerJoin(BroadcastEntity, 'b', 'b.broadcastId = d.broadcastId')
        .where('d.terminalId IN (:...ids)', { ids: terminalIds.slice(i, i + CHUNK) })
        .andWhere('d.state IN (:...states)', { states: NOT_VERIFIED })
        .andWhere('d.startSentAt IS NOT NULL')
        .andWhere('b.endAt > :now', { now })
        .getRawMany<{ terminalId: number | string }>();
      for (const r of rows) found.add(Number(r.terminalId));
    }
    return found;
  }
}
