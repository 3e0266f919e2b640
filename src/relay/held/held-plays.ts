/**
 * A terminal's play log (terminal-modbus PROTOCOL.md §9.5) into the as-run log (docs/relay.md "Held schedules"): each
 * record traced through the tables Dalaba wrote to its slot and written as a held play, then acknowledged.
 */
import type { Logger } from '@nestjs/common';
import type { HeldScheduleAccess } from '../../field/field-port';
import type { HeldPlayRecord } from '../../../firmware-protocols/terminal-modbus';
import type { AsRunService } from '../as-run.service';
import type { HeldTableEntity } from './held-table.entity';
import type { HeldTables } from './held-tables';

/** Reads of one log per collection (15 records each); what is left waits for the next. */
const ROUNDS = 8;

const OUTCOME_CAUSE: Record<HeldPlayRecord['outcome'], string | null> = {
  whole: null,
  command: null,
  restart: 'held play cut by a restart of the terminal',
  notStarted: 'held play not started (source not available)',
};

export class HeldPlays {
  constructor(
    private readonly tables: HeldTables,
    private readonly asRun: AsRunService,
    private readonly log: Logger,
  ) {}

  /** The terminal's play log into the as-run log, then acknowledged; returns the plays taken. */
  async collect(id: number, held: HeldScheduleAccess): Promise<number> {
    let taken = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const log = await held.plays(0, { priority: 'poll' });
      if (log.records.length === 0) return taken;
      if (log.dropped > 0) this.log.warn(`terminal ${id}: ${log.dropped} held plays lost (its log was full)`);
      const tables = await this.tables.byIds(
        id,
        log.records.map((r) => r.tableId),
      );
      for (const r of log.records) await this.record(id, r, tables);
      await held.acknowledge(0, log.records[log.records.length - 1].sequence);
      taken += log.records.length;
      if (log.count <= log.records.length) return taken;
    }
    return taken;
  }

  private async record(id: number, r: HeldPlayRecord, tables: HeldTableEntity[]): Promise<void> {
    const table = tables.filter((t) => t.tableId === r.tableId).sort((a, b) => b.id - a.id)[0];
    const ref = table?.entries[r.entryIndex];
    if (!ref) {
      this.log.warn(`terminal ${id}: held play of unknown table ${r.tableId} entry ${r.entryIndex}; not logged`);
      return;
    }
    const slot = {
      terminalId: id,
      scheduleId: ref.scheduleId,
      plannedStart: new Date(ref.plannedStart),
      plannedEnd: new Date(ref.plannedEnd),
    };
    await this.asRun.recordHeldPlay(
      slot,
      new Date(r.start * 1000),
      new Date(r.end * 1000),
      ref.source,
      OUTCOME_CAUSE[r.outcome],
    );
  }
}
