/**
 * The week of a region (docs/relay.md, the console's week grid): every schedule in the reader's scope whose programme
 * reaches the region, with the time it plays on each of seven days — the revision on air and the working revision
 * under review or in draft, apart — and the conflicts the day view resolves there (who yields to whom, on how many
 * terminals).
 */
import { Injectable } from '@nestjs/common';
import { areaIndexPatterns } from '../alerts/alert-rules';
import type { AuthUser } from '../auth/auth-user';
import { isUnrestricted, visibleSubtrees } from '../auth/scope';
import { isWithinArea } from '../../firmware-protocols/codes';
import { ForbiddenError } from '../common/errors';
import { DayPlanService } from './day-plan.service';
import { dayNumber, dayOf, occursOn, type Recurrence } from './recurrence';
import { codesOf, covers } from './relay-rules';
import type { PriorityClass, ProgrammeEntity, RelayScheduleEntity } from './relay.entities';
import { RelayRepository } from './relay.repository';
import { scheduleView, type ScheduleView } from './relay-view';

/** Programmes read at most for one week (a county has dozens). */
const PROGRAMME_WINDOW = 2000;

/** A schedule's time on one day (Asia/Shanghai wall time, as the recurrence has it). */
export interface WeekSpan {
  start: string;
  end: string;
}

export interface WeekSchedule extends ScheduleView {
  priorityClass: PriorityClass;
  priority: number;
  /** One entry per day of the week: what plays (`onAir`) and what is drafted or reviewed (`working`). */
  days: { date: string; onAir: WeekSpan | null; working: WeekSpan | null }[];
}

/** A published schedule yields part of a day's slot on some terminals of the region to a stronger one. */
export interface WeekConflict {
  date: string;
  scheduleId: number;
  toScheduleId: number;
  /** Terminals of the region where it yields. */
  terminals: number;
  /** The first yielded interval. */
  from: string;
  to: string;
}

export interface Week {
  from: string;
  areaCode: string | null;
  days: string[];
  schedules: WeekSchedule[];
  conflicts: WeekConflict[];
}

const span = (r: Recurrence, day: string): WeekSpan | null =>
  occursOn(r, day) ? { start: r.start, end: r.end } : null;

@Injectable()
export class WeekService {
  constructor(
    private readonly repo: RelayRepository,
    private readonly plan: DayPlanService,
  ) {}

  async week(user: AuthUser, from: string, areaCode?: string): Promise<Week> {
    const roots = visibleSubtrees(user, areaCode);
    if (roots !== null && roots.length === 0)
      throw new ForbiddenError('forbidden_area', 'area is outside your area scope');
    const days = Array.from({ length: 7 }, (_, i) => dayOf(dayNumber(from) + i));
    const programmes = await this.programmesIn(user, areaCode);
    const byId = new Map(programmes.map((p) => [p.id, p]));
    const schedules = (await this.repo.schedulesOf([...byId.keys()]))
      .filter((s) => s.onAir || s.state !== 'withdrawn')
      .filter((s) => !s.published || covers(user, s.published.areaIndex))
      .map((s) => this.weekOf(s, byId.get(s.programmeId)!, days));
    return { from, areaCode: areaCode ?? null, days, schedules, conflicts: await this.conflicts(user, days, areaCode) };
  }

  /** Programmes the reader sees in full whose targets (or whose revision on air) reach the region. */
  private async programmesIn(user: AuthUser, areaCode?: string): Promise<ProgrammeEntity[]> {
    const patterns = areaCode
      ? areaIndexPatterns(areaCode)
      : isUnrestricted(user)
        ? null
        : user.scopes.flatMap(areaIndexPatterns);
    const [rows] = await this.repo.programmes(patterns, PROGRAMME_WINDOW, 0);
    const reaches = (index: string) =>
      !areaCode || codesOf(index).some((c) => isWithinArea(c, areaCode) || isWithinArea(areaCode, c));
    return rows.filter((p) => covers(user, p.areaIndex) && reaches(p.areaIndex));
  }

  private weekOf(s: RelayScheduleEntity, p: ProgrammeEntity, days: string[]): WeekSchedule {
    const onAir = s.onAir && s.published ? s.published.recurrence : null;
    const pending = s.state === 'draft' || s.state === 'submitted' ? s.recurrence : null;
    return {
      ...scheduleView(s, p),
      priorityClass: p.priorityClass,
      priority: p.priority,
      days: days.map((date) => ({
        date,
        onAir: onAir ? span(onAir, date) : null,
        working: pending ? span(pending, date) : null,
      })),
    };
  }

  /** Each day's yields in the region, from the day view, one entry per pair of schedules. */
  private async conflicts(user: AuthUser, days: string[], areaCode?: string): Promise<WeekConflict[]> {
    const out: WeekConflict[] = [];
    for (const date of days) {
      const pairs = new Map<string, WeekConflict>();
      for (const t of (await this.plan.day({ date, areaCode }, user)).terminals)
        for (const slot of t.slots) {
          const seen = new Set<string>();
          for (const y of slot.yields) {
            const key = `${slot.scheduleId}:${y.toScheduleId}`;
            const [from, to] = [y.from.toISOString(), y.to.toISOString()];
            const c = pairs.get(key) ?? {
              date,
              scheduleId: slot.scheduleId,
              toScheduleId: y.toScheduleId,
              terminals: 0,
              from,
              to,
            };
            if (from < c.from) Object.assign(c, { from, to });
            if (!seen.has(key)) c.terminals += 1;
            seen.add(key);
            pairs.set(key, c);
          }
        }
      out.push(...pairs.values());
    }
    return out;
  }
}
