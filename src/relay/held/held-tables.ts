/**
 * The tables Dalaba wrote (`relay_held_tables`, docs/relay.md "Held schedules"): what each entry stands for, so that a
 * play reported after a rewrite is still traced to its slot; the last few kept per terminal.
 */
import { DataSource, In } from 'typeorm';
import type { HeldPlan } from './held-plan';
import { HeldTableEntity } from './held-table.entity';

/** Tables kept per terminal, so that a play reported after a rewrite is still traced to its slot. */
const TABLES_KEPT = 4;

export class HeldTables {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(HeldTableEntity);
  }

  /** Terminals holding a table of ours from before. */
  async terminals(): Promise<number[]> {
    return (await this.repo.find({ select: { terminalId: true } })).map((r) => r.terminalId);
  }

  byIds(terminalId: number, tableIds: number[]): Promise<HeldTableEntity[]> {
    return this.repo.findBy({ terminalId, tableId: In([...new Set(tableIds)]) });
  }

  async known(terminalId: number, tableId: number, digest: string): Promise<boolean> {
    return (await this.repo.countBy({ terminalId, tableId, digest })) > 0;
  }

  async remember(terminalId: number, tableId: number, digest: string, plan: HeldPlan, at: Date): Promise<void> {
    await this.repo.save(
      Object.assign(new HeldTableEntity(), {
        terminalId,
        tableId,
        digest,
        entries: plan.refs,
        validUntil: new Date(plan.validUntil * 1000),
        verifiedAt: at,
      }),
    );
    const rows = await this.repo.find({ where: { terminalId }, order: { id: 'DESC' }, select: { id: true } });
    if (rows.length > TABLES_KEPT) await this.repo.delete(rows.slice(TABLES_KEPT).map((r) => r.id));
  }
}
