/**
 * The as-run log (播出记录, docs/relay.md): what each terminal played of each planned slot. The planner writes it
 * through recordStart, recordEnd and recordInterruption; readers get a region's day with its on-time rate, as JSON,
 * CSV or XLSX.
 */
import { Injectable } from '@nestjs/common';
import { AlertsRepository } from '../alerts/alerts.repository';
import type { AuthUser } from '../auth/auth-user';
import { visibleSubtrees } from '../auth/scope';
import { areaPrefix } from '../../firmware-protocols/codes';
import { Clock } from '../common/clock';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/errors';
import { Transactions } from '../database/transactions';
import { writeTable, type TableColumn, type TableFormat } from '../terminals/tabular';
import { shanghaiDay } from './recurrence';
import { AsRunEntity } from './relay.entities';
import { RelayRepository } from './relay.repository';
import { RelayChanges, asRunView, type AsRunView } from './relay-view';

/** A planned slot of one terminal, as the planner names it. */
export interface AsRunSlot {
  terminalId: number;
  scheduleId: number;
  plannedStart: Date;
  plannedEnd: Date;
}

export interface AsRunSummary {
  slots: number;
  started: number;
  onTime: number;
  /** onTime / slots, 0–1 (null when there were no slots). */
  onTimeRate: number | null;
  missed: number;
  interrupted: number;
  gapSeconds: number;
}

export interface AsRunReport {
  date: string;
  areaCode: string | null;
  summary: AsRunSummary;
  items: AsRunView[];
}

/** Rows in one report (a county day: terminals × slots). */
export const MAX_AS_RUN_ROWS = 50_000;

const COLUMNS: TableColumn[] = [
  'day',
  'terminalId',
  'areaCode',
  'scheduleId',
  'programmeName',
  'revision',
  'plannedStart',
  'plannedEnd',
  'actualStart',
  'actualEnd',
  'source',
  'startOffsetMs',
  'onTime',
  'gapSeconds',
  'interruptions',
  'heldPlay',
].map((key) => ({ key, header: key }));

export function summarise(items: readonly AsRunView[]): AsRunSummary {
  const started = items.filter((r) => r.actualStart !== null).length;
  const onTime = items.filter((r) => r.onTime).length;
  return {
    slots: items.length,
    started,
    onTime,
    onTimeRate: items.length ? onTime / items.length : null,
    missed: items.length - started,
    interrupted: items.filter((r) => r.interruptions.length > 0).length,
    gapSeconds: Math.round(items.reduce((n, r) => n + r.gapSeconds, 0) * 1000) / 1000,
  };
}

@Injectable()
export class AsRunService {
  constructor(
    private readonly repo: RelayRepository,
    private readonly registry: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly changes: RelayChanges,
    private readonly clock: Clock,
  ) {}

  /** The terminal started the slot at `at`, playing `source`. */
  recordStart(slot: AsRunSlot, at: Date, source: string): Promise<AsRunView> {
    return this.write(slot, (r) => Object.assign(r, { actualStart: r.actualStart ?? at, source }));
  }

  /** The terminal stopped the slot at `at`. */
  recordEnd(slot: AsRunSlot, at: Date): Promise<AsRunView> {
    return this.write(slot, (r) => Object.assign(r, { actualEnd: at }));
  }

  /** Something cut into the slot (an alert, a dead source, a lost link) from `from` until `to` (null: not over yet). */
  recordInterruption(slot: AsRunSlot, cause: string, from: Date, to: Date | null): Promise<AsRunView> {
    return this.write(slot, (r) => {
      const open = r.interruptions.find((i) => i.cause === cause && i.from === from.toISOString());
      if (open) open.to = to ? to.toISOString() : null;
      else
        r.interruptions = [
          ...r.interruptions,
          { cause: cause.slice(0, 200), from: from.toISOString(), to: to?.toISOString() ?? null },
        ];
    });
  }

  /**
   * The terminal played the slot from its held schedule (断网续播) from `start` to `end`: the row is marked, its start
   * is the earliest known, its end the latest; a play cut by a restart leaves the rest of the window as a gap.
   */
  recordHeldPlay(slot: AsRunSlot, start: Date, end: Date, source: string, cause: string | null): Promise<AsRunView> {
    return this.write(slot, (r) => {
      r.heldPlay = true;
      if (!r.actualStart || start < r.actualStart) r.actualStart = start;
      if (!r.actualEnd || end > r.actualEnd) r.actualEnd = end;
      r.source = r.source ?? source;
      if (cause !== null)
        r.interruptions = [...r.interruptions, { cause, from: end.toISOString(), to: slot.plannedEnd.toISOString() }];
    });
  }

  async report(user: AuthUser, date: string, areaCode?: string): Promise<AsRunReport> {
    const roots = visibleSubtrees(user, areaCode);
    if (roots !== null && roots.length === 0)
      throw new ForbiddenError('forbidden_area', 'area is outside your area scope');
    const rows = await this.repo.asRunDay(date, roots?.map((r) => areaPrefix(r)) ?? null, MAX_AS_RUN_ROWS + 1);
    if (rows.length > MAX_AS_RUN_ROWS)
      throw new ConflictError('too_many_rows', `more than ${MAX_AS_RUN_ROWS} as-run rows: ask for a smaller region`);
    const items = rows.map(asRunView);
    return { date, areaCode: areaCode ?? null, summary: summarise(items), items };
  }

  async export(
    user: AuthUser,
    date: string,
    areaCode: string | undefined,
    format: TableFormat,
  ): Promise<{ name: string; body: Buffer }> {
    const r = await this.report(user, date, areaCode);
    const rows = r.items.map((i) => ({
      ...i,
      // numbers stay numbers (a negative offset is not neutralised into text); text cells go through neutraliseFormula
      onTime: i.onTime ? 'yes' : 'no',
      heldPlay: i.heldPlay ? 'yes' : 'no',
      interruptions: i.interruptions.map((x) => `${x.cause} ${x.from}–${x.to ?? ''}`).join('; '),
    }));
    const body = await writeTable(format, COLUMNS, rows);
    return { name: `as-run-${date}${areaCode ? `-${areaCode}` : ''}.${format}`, body };
  }

  private async write(slot: AsRunSlot, apply: (r: AsRunEntity) => void): Promise<AsRunView> {
    const saved = await this.transactions.run(async (tx) => {
      let row = await this.repo.asRunSlot(slot.terminalId, slot.scheduleId, slot.plannedStart, tx);
      if (!row) {
        const schedule = await this.repo.schedule(slot.scheduleId, tx);
        if (!schedule?.published) throw new NotFoundError('published schedule', slot.scheduleId);
        const [place] = await this.registry.terminalPlaces([slot.terminalId], tx);
        if (!place) throw new NotFoundError('terminal', slot.terminalId);
        row = Object.assign(new AsRunEntity(), {
          terminalId: slot.terminalId,
          areaCode: place.areaCode,
          scheduleId: slot.scheduleId,
          programmeId: schedule.programmeId,
          programmeName: schedule.published.programme.name,
          revision: schedule.published.revision,
          day: shanghaiDay(slot.plannedStart),
          plannedStart: slot.plannedStart,
          plannedEnd: slot.plannedEnd,
          actualStart: null,
          actualEnd: null,
          source: null,
          interruptions: [],
          heldPlay: null,
        });
      }
      apply(row);
      row.updatedAt = this.clock.date();
      return this.repo.saveAsRun(tx, row);
    });
    const view = asRunView(saved);
    this.changes.stream.next({ kind: 'asRun', asRun: view, areaCodes: [saved.areaCode] });
    return view;
  }
}
