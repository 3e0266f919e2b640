/** What the relay API and the live channel show of programmes, schedules and as-run rows. */
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';
import { fieldChanges } from '../alerts/alert-rules';
import type {
  AsRunEntity,
  Interruption,
  ProgrammeEntity,
  PublishedRevision,
  RelayScheduleEntity,
  ScheduleRevisionEntity,
} from './relay.entities';
import type { Recurrence } from './recurrence';

export type ProgrammeView = Omit<ProgrammeEntity, 'areaIndex' | 'createdAt' | 'updatedAt'> & {
  createdAt: string;
  updatedAt: string;
};

export function programmeView(p: ProgrammeEntity): ProgrammeView {
  const { areaIndex: _index, createdAt, updatedAt, ...rest } = p;
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

/** The programme fields a published revision freezes. */
export function programmeSnapshot(p: ProgrammeEntity): PublishedRevision['programme'] {
  return {
    name: p.name,
    source: p.source,
    fallback: p.fallback,
    minSignalQuality: p.minSignalQuality,
    volume: p.volume,
    priorityClass: p.priorityClass,
    priority: p.priority,
    targets: p.targets,
  };
}

export interface ScheduleView {
  id: number;
  programmeId: number;
  programmeName: string;
  state: RelayScheduleEntity['state'];
  revision: number;
  recurrence: Recurrence;
  createdById: number;
  submittedById: number | null;
  submittedAt: string | null;
  rejectionReason: string | null;
  /** A published revision plays (whatever the working revision's state). */
  onAir: boolean;
  published: PublishedRevision | null;
  publishedById: number | null;
  publishedAt: string | null;
  firstPublishedAt: string | null;
  /** The programme was edited since the revision on air was reviewed: submit the schedule again to put it on air. */
  programmeChanged: boolean;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function scheduleView(s: RelayScheduleEntity, p: ProgrammeEntity): ScheduleView {
  return {
    id: s.id,
    programmeId: s.programmeId,
    programmeName: p.name,
    state: s.state,
    revision: s.revision,
    recurrence: s.recurrence,
    createdById: s.createdById,
    submittedById: s.submittedById,
    submittedAt: iso(s.submittedAt),
    rejectionReason: s.rejectionReason,
    onAir: s.onAir,
    published: s.published,
    publishedById: s.publishedById,
    publishedAt: iso(s.publishedAt),
    firstPublishedAt: iso(s.firstPublishedAt),
    programmeChanged:
      s.onAir &&
      s.published !== null &&
      Object.keys(fieldChanges(s.published.programme, programmeSnapshot(p))).length > 0,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function revisionView(r: ScheduleRevisionEntity): Omit<ScheduleRevisionEntity, 'at'> & { at: string } {
  return { ...r, at: r.at.toISOString() };
}

export interface AsRunView {
  id: number;
  terminalId: number;
  areaCode: string;
  scheduleId: number;
  programmeId: number;
  programmeName: string;
  revision: number;
  day: string;
  plannedStart: string;
  plannedEnd: string;
  actualStart: string | null;
  actualEnd: string | null;
  source: string | null;
  interruptions: Interruption[];
  /** actualStart − plannedStart in ms (null: it never started). */
  startOffsetMs: number | null;
  /** Started within ON_TIME_MS of the planned second. */
  onTime: boolean;
  /** Seconds of the planned window without the programme: late start, early end, interruptions (the whole slot if missed). */
  gapSeconds: number;
  /** The terminal played it from its held schedule while the controller or the bus was down (断网续播). */
  heldPlay: boolean;
}

/** A start within this many ms of the planned second counts as on time. */
export const ON_TIME_MS = 1000;

/** Seconds of [plannedStart, plannedEnd] not covered by the play (an open end counts as still playing). */
export function gapSecondsOf(r: AsRunEntity): number {
  const [ps, pe] = [r.plannedStart.getTime(), r.plannedEnd.getTime()];
  if (!r.actualStart) return (pe - ps) / 1000;
  const start = Math.min(Math.max(r.actualStart.getTime(), ps), pe);
  const end = r.actualEnd ? Math.max(Math.min(r.actualEnd.getTime(), pe), start) : pe;
  let gap = start - ps + (pe - end);
  for (const i of r.interruptions) {
    const from = Math.max(Date.parse(i.from), start);
    const to = Math.min(i.to ? Date.parse(i.to) : end, end);
    if (to > from) gap += to - from;
  }
  return Math.round(gap) / 1000;
}

export function asRunView(r: AsRunEntity): AsRunView {
  const offset = r.actualStart ? r.actualStart.getTime() - r.plannedStart.getTime() : null;
  return {
    id: r.id,
    terminalId: r.terminalId,
    areaCode: r.areaCode,
    scheduleId: r.scheduleId,
    programmeId: r.programmeId,
    programmeName: r.programmeName,
    revision: r.revision,
    day: r.day,
    plannedStart: r.plannedStart.toISOString(),
    plannedEnd: r.plannedEnd.toISOString(),
    actualStart: iso(r.actualStart),
    actualEnd: iso(r.actualEnd),
    source: r.source,
    interruptions: r.interruptions,
    startOffsetMs: offset,
    onTime: offset !== null && Math.abs(offset) <= ON_TIME_MS,
    gapSeconds: gapSecondsOf(r),
    heldPlay: r.heldPlay === true,
  };
}

/** One change of the relay for the live channel, with the area codes that decide who sees it. */
export type RelayChange =
  | { kind: 'schedule'; schedule: ScheduleView; areaCodes: string[] }
  | { kind: 'asRun'; asRun: AsRunView; areaCodes: string[] }
  /** A programme created or edited; `formerAreaCodes`: what it targeted before the edit (empty when created). */
  | { kind: 'programme'; programme: ProgrammeView; areaCodes: string[]; formerAreaCodes: string[] };

/**
 * The relay's changes after commit (programmes created or edited, schedules published, withdrawn or reviewed, as-run
 * rows written); the live view routes them.
 */
@Injectable()
export class RelayChanges implements OnModuleDestroy {
  readonly stream = new Subject<RelayChange>();

  onModuleDestroy(): void {
    this.stream.complete();
  }
}
