/**
 * Held schedules (断网续播, docs/relay.md "Held schedules"; terminal-modbus PROTOCOL.md §9). Each terminal that can
 * hold a schedule (identity reg 38 bit 1) is given the parts of the published slots it plays over today and the next
 * two days; the table is written again when the published plan changes (or a day passes), and read back before it
 * counts. The plays a terminal made by itself while the controller or its bus was down are read from its play log —
 * at start-up and on every pass — written into the as-run log as held plays, and acknowledged.
 * Runs with the field (DALABA_FIELD=on), every DALABA_HELD_SYNC seconds and at once after a published change.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import { DataSource, In } from 'typeorm';
import type { HeldPlayRecord } from '../../../firmware-protocols/terminal-modbus';
import { heldDigest } from '../../../firmware-protocols/terminal-modbus';
import { SYSTEM_ACTOR } from '../../auth/auth-user';
import { Clock, type TimerHandle } from '../../common/clock';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { FieldBuses } from '../../field/field-buses';
import { AsRunService } from '../as-run.service';
import { DayPlanService, type TerminalDay } from '../day-plan.service';
import type { PublishedRevision } from '../relay.entities';
import { RelayRepository } from '../relay.repository';
import { RelayChanges } from '../relay-view';
import { heldPlanOf, heldWindow, type HeldPlan } from './held-plan';
import { HeldTableEntity } from './held-table.entity';

/** Tables kept per terminal, so that a play reported after a rewrite is still traced to its slot. */
const TABLES_KEPT = 4;
/** Terminals worked on at once (each bus still takes one request at a time). */
const CONCURRENCY = 256;

const OUTCOME_CAUSE: Record<HeldPlayRecord['outcome'], string | null> = {
  whole: null,
  command: null,
  restart: 'held play cut by a restart of the terminal',
  notStarted: 'held play not started (source not available)',
};

export interface HeldPassReport {
  written: number;
  verified: number;
  plays: number;
  failed: number;
}

@Injectable()
export class HeldScheduleSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('HeldSchedules');
  /** Terminal → its sources when it holds schedules, null when it does not (from its identity, asked once). */
  private readonly capable = new Map<number, string[] | null>();
  /** Terminal → the digest it was last seen holding. */
  private readonly holding = new Map<number, string>();
  private timer: TimerHandle | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private sub: Subscription | null = null;
  private stopped = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly field: FieldBuses,
    private readonly days: DayPlanService,
    private readonly relay: RelayRepository,
    private readonly asRun: AsRunService,
    private readonly changes: RelayChanges,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.field.enabled) return;
    this.stopped = false;
    this.sub = this.changes.stream.subscribe((c) => {
      if (c.kind === 'schedule') void this.pass();
    });
    void this.field.settled().then(() => this.pass());
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.sub?.unsubscribe();
  }

  /** One pass after the ones queued: collect play logs, bring every capable terminal's table in step. */
  pass(): Promise<HeldPassReport> {
    this.timer?.cancel();
    this.timer = null;
    const run = this.chain.then(() => this.once());
    this.chain = run.catch((e: unknown) => this.log.error(`held pass failed: ${(e as Error).stack ?? String(e)}`));
    void this.chain.then(() => {
      if (!this.stopped && !this.timer)
        this.timer = this.clock.setTimeout(() => void this.pass(), this.config.field.heldSyncMs);
    });
    return run;
  }

  private async once(): Promise<HeldPassReport> {
    const report: HeldPassReport = { written: 0, verified: 0, plays: 0, failed: 0 };
    if (this.stopped) return report;
    const window = heldWindow(this.clock.now());
    const days: { terminals: TerminalDay[] }[] = [];
    for (const date of window.days) days.push(await this.days.day({ date }, SYSTEM_ACTOR));
    const revisions = new Map<number, PublishedRevision>();
    for (const s of await this.relay.onAir()) if (s.published) revisions.set(s.id, s.published);
    const ids = new Set<number>(days.flatMap((d) => d.terminals.map((t) => t.terminalId)));
    for (const r of await this.dataSource.getRepository(HeldTableEntity).find({ select: { terminalId: true } }))
      ids.add(r.terminalId);
    const queue = [...ids].sort((a, b) => a - b);
    const work = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !this.stopped; id = queue.shift()) {
        try {
          await this.terminal(id, (sources) => heldPlanOf(id, days, revisions, window, sources), report);
        } catch (e) {
          report.failed += 1;
          this.log.debug(`terminal ${id}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, work));
    return report;
  }

  private async terminal(id: number, plan: (sources: string[]) => HeldPlan, report: HeldPassReport): Promise<void> {
    const held = this.field.heldSchedule(id);
    if (!held) return;
    let sources = this.capable.get(id);
    if (sources === undefined) {
      const identity = await this.field.identify(id);
      sources = identity.capabilities.holdsSchedule ? identity.capabilities.sources : null;
      this.capable.set(id, sources);
    }
    if (sources === null) return;
    report.plays += await this.collect(id);
    const want = plan(sources);
    const digest = heldDigest(want.entries);
    if (this.holding.get(id) === digest) return;
    const header = await held.header(0, { priority: 'poll' });
    if (header.state === 2 && header.digest === digest && (await this.known(id, header.tableId, digest))) {
      this.holding.set(id, digest);
      report.verified += 1;
      return;
    }
    const table = await held.write(
      0,
      { ...want, holdOffSeconds: this.config.field.heldHoldOffSeconds },
      { priority: 'transfer' },
    );
    await this.remember(id, table.tableId, digest, want);
    this.holding.set(id, digest);
    report.written += 1;
  }

  /** The terminal's play log into the as-run log, then acknowledged; returns the plays taken. */
  private async collect(id: number): Promise<number> {
    const held = this.field.heldSchedule(id);
    if (!held) return 0;
    let taken = 0;
    for (let round = 0; round < 8; round++) {
      const log = await held.plays(0, { priority: 'poll' });
      if (log.records.length === 0) return taken;
      if (log.dropped > 0) this.log.warn(`terminal ${id}: ${log.dropped} held plays lost (its log was full)`);
      const tables = await this.dataSource.getRepository(HeldTableEntity).findBy({
        terminalId: id,
        tableId: In([...new Set(log.records.map((r) => r.tableId))]),
      });
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

  private async known(id: number, tableId: number, digest: string): Promise<boolean> {
    return (await this.dataSource.getRepository(HeldTableEntity).countBy({ terminalId: id, tableId, digest })) > 0;
  }

  private async remember(id: number, tableId: number, digest: string, plan: HeldPlan): Promise<void> {
    const repo = this.dataSource.getRepository(HeldTableEntity);
    await repo.save(
      Object.assign(new HeldTableEntity(), {
        terminalId: id,
        tableId,
        digest,
        entries: plan.refs,
        validUntil: new Date(plan.validUntil * 1000),
        verifiedAt: this.clock.date(),
      }),
    );
    const rows = await repo.find({ where: { terminalId: id }, order: { id: 'DESC' }, select: { id: true } });
    if (rows.length > TABLES_KEPT) await repo.delete(rows.slice(TABLES_KEPT).map((r) => r.id));
  }
}
