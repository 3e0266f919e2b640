/**
 * The day view (docs/relay.md): for a calendar day and a region or a terminal, the slots each terminal plays, from
 * every published schedule's revision on air, with the conflict rule applied (day-view.ts).
 */
import { Injectable } from '@nestjs/common';
import { AlertsRepository } from '../alerts/alerts.repository';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, canReach, visibleSubtrees } from '../auth/scope';
import { isWithinArea } from '../../firmware-protocols/codes';
import { ForbiddenError } from '../common/errors';
import { resolveTerminal, type PlannedSlot, type ResolvedSlot } from './day-view';
import { occursOn, slotOn } from './recurrence';
import { RelayRepository } from './relay.repository';

export interface DayViewQuery {
  date: string;
  areaCode?: string;
  terminalId?: number;
}

export interface TerminalDay {
  terminalId: number;
  areaCode: string;
  slots: ResolvedSlot[];
}

@Injectable()
export class DayPlanService {
  constructor(
    private readonly repo: RelayRepository,
    private readonly registry: AlertsRepository,
  ) {}

  async day(q: DayViewQuery, user: AuthUser): Promise<{ date: string; terminals: TerminalDay[] }> {
    const within = await this.placeFilter(q, user);
    const perTerminal = new Map<number, { areaCode: string; slots: PlannedSlot[] }>();
    for (const s of await this.repo.onAir()) {
      const pub = s.published;
      if (!pub || !occursOn(pub.recurrence, q.date)) continue;
      const { start, end } = slotOn(pub.recurrence, q.date);
      for (const t of await this.registry.resolveTargets(pub.programme.targets)) {
        if (!within(t.id, t.areaCode)) continue;
        const entry = perTerminal.get(t.id) ?? { areaCode: t.areaCode, slots: [] };
        entry.slots.push({
          scheduleId: s.id,
          programmeId: s.programmeId,
          programmeName: pub.programme.name,
          priority: pub.programme.priority,
          publishedAt: s.firstPublishedAt ?? s.publishedAt ?? start,
          start,
          end,
        });
        perTerminal.set(t.id, entry);
      }
    }
    const terminals = [...perTerminal.entries()]
      .sort(([a], [b]) => a - b)
      .map(([terminalId, e]) => ({ terminalId, areaCode: e.areaCode, slots: resolveTerminal(e.slots) }));
    return { date: q.date, terminals };
  }

  /** Which terminals the query and the user's scope admit. */
  private async placeFilter(q: DayViewQuery, user: AuthUser): Promise<(id: number, areaCode: string) => boolean> {
    if (q.terminalId !== undefined) {
      const [place] = await this.registry.terminalPlaces([q.terminalId]);
      if (!place) return () => false;
      assertCanReach(user, place.areaCode, `terminal ${q.terminalId}`);
      return (id) => id === q.terminalId;
    }
    const roots = visibleSubtrees(user, q.areaCode);
    if (roots !== null && roots.length === 0)
      throw new ForbiddenError('forbidden_area', 'area is outside your area scope');
    return (_id, areaCode) =>
      (roots === null ? true : roots.some((r) => isWithinArea(areaCode, r))) && canReach(user, areaCode);
  }
}
