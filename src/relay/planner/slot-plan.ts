/**
 * From the day view (day-plan.service.ts: every terminal's slots with the conflict rule applied) to the slots the
 * planner puts on air: one per published schedule and planned start, with the terminals that play some of it, and what
 * its broadcast's play command carries (docs/relay.md, "Planner"). Pure.
 */
import { BROADCAST_CLASSES } from '../../../firmware-protocols/codes';
import type { LiveSource } from '../../dispatch/broadcast.entities';
import type { DispatchOrder } from '../../dispatch/dispatch-order';
import type { TerminalDay } from '../day-plan.service';
import type { ProgrammeSource, PublishedRevision } from '../relay.entities';

export interface RelaySlot {
  /** `scheduleId@plannedStart` (ISO). */
  key: string;
  scheduleId: number;
  revision: number;
  start: Date;
  end: Date;
  programme: PublishedRevision['programme'];
  /** Sorted. */
  terminalIds: number[];
  publishedById: number;
}

export function slotKey(scheduleId: number, start: Date): string {
  return `${scheduleId}@${start.toISOString()}`;
}

/**
 * The slots of the given days, from each terminal's resolved slots: a terminal plays a slot when the conflict rule
 * leaves it some of its time (a stronger slot that covers part of it preempts it on the terminal, by priority).
 */
export function slotsOf(
  days: readonly { terminals: readonly TerminalDay[] }[],
  revisions: ReadonlyMap<number, { published: PublishedRevision; publishedById: number }>,
): RelaySlot[] {
  const slots = new Map<string, RelaySlot>();
  for (const day of days)
    for (const t of day.terminals)
      for (const s of t.slots) {
        const rev = revisions.get(s.scheduleId);
        if (!rev || s.plays.length === 0) continue;
        const key = slotKey(s.scheduleId, s.start);
        const slot = slots.get(key) ?? {
          key,
          scheduleId: s.scheduleId,
          revision: rev.published.revision,
          start: s.start,
          end: s.end,
          programme: rev.published.programme,
          terminalIds: [],
          publishedById: rev.publishedById,
        };
        slot.terminalIds.push(t.terminalId);
        slots.set(key, slot);
      }
  for (const s of slots.values()) s.terminalIds.sort((a, b) => a - b);
  return [...slots.values()].sort((a, b) => a.start.getTime() - b.start.getTime() || a.scheduleId - b.scheduleId);
}

/** The play command's source for a programme source: a live source and its parameter, or the stored clip. */
export function playSource(source: ProgrammeSource): { source?: LiveSource; sourceParam?: number; clipId: string } {
  switch (source.kind) {
    case 'fm':
      return { source: 'fm', sourceParam: source.frequency ?? 0, clipId: '' };
    case 'line-in':
      return { source: 'line-in', sourceParam: source.channel ?? 0, clipId: '' };
    case 'ip':
      return { source: 'ip', sourceParam: source.stream ?? 0, clipId: '' };
    case 'playlist':
      return { clipId: source.composedClipId ?? source.clipIds?.[0] ?? '' };
  }
}

/** What the terminal reports as its source while it plays a programme source (status §3: stored for a playlist). */
export function reportedSource(source: ProgrammeSource): string {
  return source.kind === 'playlist' ? 'stored' : source.kind;
}

/** The broadcast of class daily that plays a slot: the relay's priority, repeated until the slot's end. */
export function slotOrder(slot: RelaySlot, broadcastId: string): DispatchOrder {
  const p = slot.programme;
  return {
    alertId: 0,
    broadcastId,
    title: p.name.slice(0, 128),
    eventType: 'relay',
    severity: 0,
    messageType: 'real',
    broadcastClass: BROADCAST_CLASSES.daily,
    priority: p.priority,
    ...playSource(p.source),
    repeat: 0,
    volume: p.volume,
    startAt: slot.start,
    endAt: slot.end,
    terminalIds: slot.terminalIds,
    emergency: false,
    userId: slot.publishedById,
  };
}

/** Whether a slot not yet started must be planned again: its broadcast would carry something else. */
export function differs(a: RelaySlot, b: Pick<RelaySlot, 'revision' | 'end' | 'terminalIds'>): boolean {
  return (
    a.revision !== b.revision ||
    a.end.getTime() !== b.end.getTime() ||
    a.terminalIds.length !== b.terminalIds.length ||
    a.terminalIds.some((t, i) => t !== b.terminalIds[i])
  );
}
