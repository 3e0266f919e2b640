/** The SQL of the relay planner: the slots it put on air, and what cut into a terminal's slot. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Tx, managerOf } from '../../database/transactions';
import { BroadcastEntity, DeliveryEntity } from '../../dispatch/broadcast.entities';
import { SlotRunEntity } from './slot-run.entity';

@Injectable()
export class SlotRunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  launched(): Promise<SlotRunEntity[]> {
    return this.em().find(SlotRunEntity, { where: { state: 'launched' }, order: { id: 'ASC' } });
  }

  find(scheduleId: number, plannedStart: Date, tx?: Tx): Promise<SlotRunEntity | null> {
    return this.em(tx).findOneBy(SlotRunEntity, { scheduleId, plannedStart });
  }

  save(row: SlotRunEntity, tx?: Tx): Promise<SlotRunEntity> {
    return this.em(tx).save(SlotRunEntity, row);
  }

  /** Each terminal's delivery state in a broadcast (a slot on air followed again after a restart). */
  async deliveryStates(broadcastId: string): Promise<Map<number, string>> {
    const rows = await this.em().find(DeliveryEntity, {
      select: { terminalId: true, state: true },
      where: { broadcastId },
    });
    return new Map(rows.map((r) => [r.terminalId, r.state]));
  }

  /** The broadcast whose start on the terminal cut into `broadcastId` there (its alert id, 0 for a relay). */
  async preemptor(terminalId: number, broadcastId: string): Promise<{ broadcastId: string; alertId: number } | null> {
    const d = await this.em().findOne(DeliveryEntity, {
      where: { terminalId, preemptedBroadcastId: broadcastId },
      order: { id: 'DESC' },
    });
    if (!d) return null;
    const b = await this.em().findOneBy(BroadcastEntity, { broadcastId: d.broadcastId });
    return { broadcastId: d.broadcastId, alertId: b?.alertId ?? 0 };
  }
}
