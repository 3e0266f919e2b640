/**
 * Held schedules (断网续播, docs/relay.md "Held schedules"; terminal-modbus PROTOCOL.md §9). Each terminal that can
 * hold a schedule (identity reg 38 bit 1) is given the parts of the published slots it plays over today and the next
 * two days; the table is written again when the published plan changes (or a day passes) — one bus-wide write for the
 * terminals of a bus that share a table where that is safe, unicast otherwise and for those the broadcast missed — and
 * read back before it counts; a table still not verified after the pass's retries raises a `held-table` alarm. The
 * plays a terminal made by itself while the controller or its bus was down are read from its play log — at start-up
 * and when the terminal or its bus comes back — written into the as-run log as held plays, and acknowledged.
 * Runs with the field (DALABA_FIELD=on), every DALABA_HELD_SYNC seconds, at once after a published change, and soon
 * after a terminal comes back.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import { DataSource } from 'typeorm';
import type { HeldTable } from '../../field/field-port';
import { heldDigest, heldTableId } from '../../../firmware-protocols/terminal-modbus';
import { SYSTEM_ACTOR } from '../../auth/auth-user';
import { Clock, type TimerHandle } from '../../common/clock';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { FieldBuses } from '../../field/field-buses';
import { AlarmsService } from '../../monitoring/alarms.service';
import { MonitoringService } from '../../monitoring/monitoring.service';
import { AsRunService } from '../as-run.service';
import { DayPlanService, type TerminalDay } from '../day-plan.service';
import type { PublishedRevision } from '../relay.entities';
import { RelayRepository } from '../relay.repository';
import { RelayChanges } from '../relay-view';
import { heldTableCauses, type UnwrittenTable } from './held-alarms';
import { heldPlanOf, heldWindow, type HeldPlan } from './held-plan';
import { HeldPlays } from './held-plays';
import { HeldTables } from './held-tables';
import { writeBus, type HeldBusIo, type HeldWant } from './held-writes';

/** Terminals prepared at once (each bus still takes one request at a time). */
const CONCURRENCY = 256;
/** A pass this soon after a terminal or bus came back (several coming back together share it). */
const AFTER_COMEBACK_MS = 2_000;

export interface HeldPassReport {
  /** Tables written and verified (bus-wide or unicast). */
  written: number;
  /** Tables found already active on the terminal (header read). */
  verified: number;
  plays: number;
  /** Terminals whose work failed (unreachable, or their table not verified after the retries). */
  failed: number;
  /** Play logs read. */
  logsRead: number;
  /** Bus-wide writes. */
  broadcasts: number;
}

@Injectable()
export class HeldScheduleSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('HeldSchedules');
  /** Terminal → its sources when it holds schedules, null when it does not (from its identity, asked once). */
  private readonly capable = new Map<number, string[] | null>();
  /** Terminal → the digest it was last seen holding. */
  private readonly holding = new Map<number, string>();
  /** Terminals whose play log is to be read: all at start-up, then those that came back. */
  private readonly pending = new Set<number>();
  /** Capable terminals whose table could not be written and verified: the `held-table` alarms. */
  private readonly unwritten = new Map<number, UnwrittenTable>();
  /** Gateways whose bus went down: when it is connected again its terminals are back. */
  private readonly busDown = new Set<number>();
  private readonly tables: HeldTables;
  private readonly plays: HeldPlays;
  private started = false;
  private timer: TimerHandle | null = null;
  /** When the timer fires; a comeback brings it forward. */
  private timerAt = 0;
  /** A pass is running or queued: the timer is set when it ends. */
  private busy = 0;
  private soon = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly subs: Subscription[] = [];
  private stopped = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly clock: Clock,
    private readonly field: FieldBuses,
    private readonly days: DayPlanService,
    private readonly relay: RelayRepository,
    asRun: AsRunService,
    private readonly changes: RelayChanges,
    private readonly monitoring: MonitoringService,
    private readonly alarms: AlarmsService,
  ) {
    this.tables = new HeldTables(dataSource);
    this.plays = new HeldPlays(this.tables, asRun, this.log);
  }

  onApplicationBootstrap(): void {
    if (!this.config.field.enabled) return;
    this.stopped = false;
    this.alarms.addCauses(() =>
      heldTableCauses(this.unwritten.values(), (id) => this.monitoring.terminal(id)?.connectivity === 'offline'),
    );
    this.subs.push(
      this.changes.stream.subscribe((c) => {
        if (c.kind === 'schedule') void this.pass();
      }),
      this.monitoring.changes.subscribe((c) => {
        if (c.previous === 'offline' && c.status.online) this.cameBack([c.status.terminalId]);
      }),
      this.monitoring.gatewayEvents.subscribe((g) => {
        const id = g.status.gatewayId;
        if (g.status.connection === 'disconnected') this.busDown.add(id);
        else if (g.status.connection === 'connected' && this.busDown.delete(id))
          this.cameBack(this.field.terminalsOn(id));
      }),
    );
    void this.field.settled().then(() => this.pass());
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const s of this.subs) s.unsubscribe();
  }

  /**
   * Terminals back after they (or their bus) were down: their play logs are read and their tables checked by header
   * (a terminal replaced or reset meanwhile holds no table) in a pass soon.
   */
  cameBack(terminalIds: Iterable<number>): void {
    let any = false;
    for (const id of terminalIds) {
      if (this.capable.get(id) === null) continue;
      this.pending.add(id);
      this.holding.delete(id);
      any = true;
    }
    if (!any || this.stopped) return;
    const at = this.clock.now() + Math.min(AFTER_COMEBACK_MS, this.config.field.heldSyncMs);
    if (this.busy > 0) this.soon = true;
    else if (!this.timer || this.timerAt > at) this.arm(at);
  }

  /** One pass after the ones queued: collect the play logs due, bring every capable terminal's table in step. */
  pass(): Promise<HeldPassReport> {
    this.timer?.cancel();
    this.timer = null;
    this.busy += 1;
    const run = this.chain
      .then(() => this.once())
      .finally(() => {
        this.busy -= 1;
        if (this.stopped || this.timer || this.busy > 0) return;
        const soon = this.soon;
        this.soon = false;
        this.arm(this.clock.now() + (soon ? AFTER_COMEBACK_MS : this.config.field.heldSyncMs));
      });
    this.chain = run.catch((e: unknown) => this.log.error(`held pass failed: ${(e as Error).stack ?? String(e)}`));
    return run;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => void this.pass(), Math.max(0, at - this.clock.now()));
  }

  private async once(): Promise<HeldPassReport> {
    const report: HeldPassReport = { written: 0, verified: 0, plays: 0, failed: 0, logsRead: 0, broadcasts: 0 };
    if (this.stopped) return report;
    const window = heldWindow(this.clock.now());
    const days: { terminals: TerminalDay[] }[] = [];
    for (const date of window.days) days.push(await this.days.day({ date }, SYSTEM_ACTOR));
    const revisions = new Map<number, PublishedRevision>();
    for (const s of await this.relay.onAir()) if (s.published) revisions.set(s.id, s.published);
    const ids = new Set<number>(days.flatMap((d) => d.terminals.map((t) => t.terminalId)));
    for (const id of await this.tables.terminals()) ids.add(id);
    const queue = [...ids].sort((a, b) => a - b);
    if (!this.started) for (const id of queue) this.pending.add(id);
    this.started = true;

    const wants = new Map<number, HeldWant>();
    const work = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !this.stopped; id = queue.shift()) {
        try {
          await this.prepare(id, (sources) => heldPlanOf(id, days, revisions, window, sources), wants, report);
        } catch (e) {
          report.failed += 1;
          this.log.debug(`terminal ${id}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, work));
    if (this.stopped) return report;

    const byBus = new Map<number, HeldWant[]>();
    for (const w of wants.values()) byBus.set(w.gatewayId, [...(byBus.get(w.gatewayId) ?? []), w]);
    await Promise.all(
      [...byBus].filter(([, ws]) => ws.some((w) => w.write)).map(([g, ws]) => this.writeBus(g, ws, report)),
    );
    return report;
  }

  /** Capability, the play log when due, the table wanted, and whether the terminal already holds it. */
  private async prepare(
    id: number,
    plan: (sources: string[]) => HeldPlan,
    wants: Map<number, HeldWant>,
    report: HeldPassReport,
  ): Promise<void> {
    const held = this.field.heldSchedule(id);
    const where = this.field.locate(id);
    if (!held || !where) {
      this.unwritten.delete(id);
      return;
    }
    let sources = this.capable.get(id);
    if (sources === undefined) {
      const identity = await this.field.identify(id);
      sources = identity.capabilities.holdsSchedule ? identity.capabilities.sources : null;
      this.capable.set(id, sources);
    }
    if (sources === null) {
      this.pending.delete(id);
      return;
    }
    const want = plan(sources);
    const digest = heldDigest(want.entries);
    const w: HeldWant = { terminalId: id, gatewayId: where.gatewayId, plan: want, digest, write: false };
    wants.set(id, w);
    if (this.pending.has(id)) {
      report.logsRead += 1;
      report.plays += await this.plays.collect(id, held);
      this.pending.delete(id);
    }
    if (this.holding.get(id) === digest) return;
    if (!this.holding.has(id)) {
      // not known (start-up, back from offline): the header may already show it
      const header = await held.header(0, { priority: 'poll' });
      if (header.state === 2 && header.digest === digest && (await this.tables.known(id, header.tableId, digest))) {
        this.verified(id, digest);
        report.verified += 1;
        return;
      }
    }
    w.write = true;
  }

  private async writeBus(gatewayId: number, wants: HeldWant[], report: HeldPassReport): Promise<void> {
    const opts = { priority: 'transfer' as const };
    const io: HeldBusIo = {
      writeAll: (g, ids, table) => this.field.heldWriteAll(g, ids, table, opts),
      write: async (id, table) => {
        const held = this.field.heldSchedule(id);
        if (!held) throw new Error('no open bus reaches it');
        await held.write(0, table, opts);
      },
      terminalsOn: (g) => this.field.terminalsOn(g),
      outOfReach: (id) => this.capable.get(id) === null || this.monitoring.terminal(id)?.connectivity === 'offline',
    };
    const table = (plan: HeldPlan): HeldTable => ({ ...plan, holdOffSeconds: this.config.field.heldHoldOffSeconds });
    const out = await writeBus(gatewayId, wants, io, table);
    report.broadcasts += out.broadcasts;
    for (const w of out.written) {
      await this.tables.remember(w.terminalId, heldTableId(w.digest), w.digest, w.plan, this.clock.date());
      this.verified(w.terminalId, w.digest);
      report.written += 1;
    }
    for (const { want, reason } of out.failed) {
      report.failed += 1;
      this.holding.delete(want.terminalId);
      const areaCode = this.monitoring.terminal(want.terminalId)?.areaCode;
      if (areaCode) this.unwritten.set(want.terminalId, { terminalId: want.terminalId, areaCode, gatewayId, reason });
      this.log.warn(`terminal ${want.terminalId}: held table not written: ${reason}`);
    }
    // a broadcast start to these is not verified yet: written in a pass soon, no alarm
    if (out.deferred.length > 0) this.soon = true;
  }

  private verified(id: number, digest: string): void {
    this.holding.set(id, digest);
    this.unwritten.delete(id);
  }
}
