/**
 * The pure rules of relay programmes and schedules (docs/relay.md): source checks, the priority class a user may
 * give (上级优先: nobody gives a programme a class above their own level), and the schedule's lifecycle as data.
 */
import { PRIORITY, areaLevelOrNull, priorityOf, type AreaLevel } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { canReach, isUnrestricted } from '../auth/scope';
import { ConflictError, ForbiddenError, type FieldMessage } from '../common/errors';
import type { PriorityClass, ProgrammeSource, ScheduleState } from './relay.entities';

/** FM band in units of 10 kHz: 87.5–108.0 MHz. */
export const FM_MIN = 8750;
export const FM_MAX = 10800;
export const LINE_IN_CHANNELS = 16;
export const MAX_STREAM_INDEX = 65535;
export const MAX_PLAYLIST = 100;

/** Field messages for a source (main or fallback); `field` is where it sits in the request. */
export function checkSource(s: ProgrammeSource, field: string): FieldMessage[] {
  const out: FieldMessage[] = [];
  const only = (key: keyof ProgrammeSource, kind: string): void => {
    if (s.kind !== kind && s[key] !== undefined)
      out.push({ field: `${field}.${key}`, message: `${field}.${key} is only for kind ${kind}` });
  };
  only('frequency', 'fm');
  only('channel', 'line-in');
  only('stream', 'ip');
  only('clipIds', 'playlist');
  const intIn = (v: number | undefined, key: string, min: number, max: number, what: string): void => {
    if (v === undefined || !Number.isInteger(v) || v < min || v > max)
      out.push({ field: `${field}.${key}`, message: `${field}.${key} is required for kind ${s.kind}: ${what}` });
  };
  switch (s.kind) {
    case 'fm':
      intIn(
        s.frequency,
        'frequency',
        FM_MIN,
        FM_MAX,
        'an FM frequency in 10 kHz units, 8750 (87.5 MHz) to 10800 (108.0 MHz)',
      );
      break;
    case 'line-in':
      intIn(s.channel, 'channel', 1, LINE_IN_CHANNELS, `a line-in channel 1 to ${LINE_IN_CHANNELS}`);
      break;
    case 'ip':
      intIn(s.stream, 'stream', 0, MAX_STREAM_INDEX, `an IP stream index 0 to ${MAX_STREAM_INDEX}`);
      break;
    case 'playlist':
      if (!s.clipIds || s.clipIds.length === 0 || s.clipIds.length > MAX_PLAYLIST)
        out.push({ field: `${field}.clipIds`, message: `a playlist names 1 to ${MAX_PLAYLIST} library clips` });
      break;
  }
  return out;
}

const CLASS_RANK: Record<PriorityClass, number> = { county: 0, town: 1, village: 2 };
const LEVEL_CLASS: Partial<Record<AreaLevel, PriorityClass>> = {
  province: 'county',
  prefecture: 'county',
  county: 'county',
  town: 'town',
  village: 'village',
  group: 'village',
};

export function priorityOfClass(c: PriorityClass): number {
  return priorityOf({ kind: 'daily', level: c });
}

/** Daily programmes sit below every emergency and drill (priority.ts): a class always maps above PRIORITY.drill. */
export function isBelowEmergencies(priority: number): boolean {
  return priority > PRIORITY.drill;
}

/** The highest class a user may give: that of their broadest scope (an unrestricted admin: county). */
export function highestClassOf(user: AuthUser): PriorityClass {
  if (isUnrestricted(user)) return 'county';
  let best: PriorityClass = 'village';
  for (const s of user.scopes) {
    const c = LEVEL_CLASS[areaLevelOrNull(s) ?? 'group'] ?? 'village';
    if (CLASS_RANK[c] < CLASS_RANK[best]) best = c;
  }
  return best;
}

/** 上级优先: a town's account may not give its programme the county's class (it would cut into the county's relay). */
export function assertMayUseClass(user: AuthUser, c: PriorityClass): void {
  const highest = highestClassOf(user);
  if (CLASS_RANK[c] < CLASS_RANK[highest])
    throw new ForbiddenError('forbidden', `priority class ${c} is above your level; use ${highest} or below`, {
      priorityClass: c,
      highest,
    });
}

export const SCHEDULE_EVENTS = ['edit', 'submit', 'reject', 'approve', 'withdraw'] as const;
export type ScheduleEvent = (typeof SCHEDULE_EVENTS)[number];

/**
 * The working revision's lifecycle. An edit always leads to draft (the published revision, if any, keeps playing);
 * a published schedule may be submitted again as it is (to put an edited programme on air after review).
 */
export const SCHEDULE_LIFECYCLE: Readonly<
  Record<ScheduleState, Readonly<Partial<Record<ScheduleEvent, ScheduleState>>>>
> = {
  draft: { edit: 'draft', submit: 'submitted', withdraw: 'withdrawn' },
  submitted: { edit: 'draft', reject: 'draft', approve: 'published', withdraw: 'withdrawn' },
  published: { edit: 'draft', submit: 'submitted', withdraw: 'withdrawn' },
  withdrawn: { edit: 'draft' },
};

export function nextScheduleState(from: ScheduleState, event: ScheduleEvent): ScheduleState {
  const to = SCHEDULE_LIFECYCLE[from][event];
  if (to === undefined) {
    const allowed = Object.keys(SCHEDULE_LIFECYCLE[from]);
    throw new ConflictError(
      'illegal_transition',
      `a schedule that is ${from} cannot ${event} (allowed: ${allowed.join(', ')})`,
      {
        from,
        event,
        allowed,
      },
    );
  }
  return to;
}

/** The codes of an area index `|a|b|`. */
export function codesOf(areaIndex: string): string[] {
  return areaIndex.split('|').filter(Boolean);
}

/** A user sees and acts on a programme only when every area it targets lies in their scope (docs/relay.md). */
export function covers(user: AuthUser, areaIndex: string): boolean {
  return isUnrestricted(user) || codesOf(areaIndex).every((c) => canReach(user, c));
}
