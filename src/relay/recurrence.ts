/**
 * Recurrence of relay schedules (docs/relay.md): on which Asia/Shanghai calendar days a schedule plays, and the UTC
 * instants of one day's slot. China keeps UTC+8 all year (no daylight saving), so the arithmetic is done by hand on
 * calendar days; no time-zone library is needed.
 *
 * A slot lies within one calendar day: `end` is after `start`, at most 24:00. An overnight programme is two schedules
 * (…–24:00 and 00:00–…), which keeps every day's grid self-contained.
 */
export const RECURRENCE_KINDS = ['daily', 'weekdays', 'weekly', 'dates', 'once'] as const;
export type RecurrenceKind = (typeof RECURRENCE_KINDS)[number];

export interface Recurrence {
  kind: RecurrenceKind;
  /** kind weekly: ISO weekdays 1 Monday … 7 Sunday. */
  weekdays: number[];
  /** kind dates: the days it plays; kind once: exactly one day (yyyy-mm-dd). */
  dates: string[];
  /** Daily, weekdays, weekly: the first day it may play (yyyy-mm-dd). */
  from: string | null;
  /** Daily, weekdays, weekly: the last day it may play (inclusive), null for open-ended. */
  until: string | null;
  /** Start and end of the slot, Asia/Shanghai wall time `HH:MM` or `HH:MM:SS`; end may be `24:00`. */
  start: string;
  end: string;
  /** Days it does not play (holidays). */
  exceptDates: string[];
  /** ISO weeks it does not play, `2026-W41`. */
  exceptWeeks: string[];
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

/** A calendar day yyyy-mm-dd as a day number (days since 1970-01-01); NaN when it does not exist. */
export function dayNumber(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return NaN;
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) return NaN;
  return ms / DAY_MS;
}

export function dayOf(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The Asia/Shanghai calendar day of an instant. */
export function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** ISO weekday 1 Monday … 7 Sunday of a calendar day. */
export function isoWeekday(day: string): number {
  const w = new Date(dayNumber(day) * DAY_MS).getUTCDay();
  return w === 0 ? 7 : w;
}

/** ISO week `YYYY-Www` of a calendar day (the week's Thursday decides its year). */
export function isoWeek(day: string): string {
  const n = dayNumber(day);
  const thursday = n - isoWeekday(day) + 4;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = dayNumber(`${year}-01-01`);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function isIsoWeek(text: string): boolean {
  const m = WEEK_RE.exec(text);
  if (!m) return false;
  const week = Number(m[2]);
  if (week < 1) return false;
  // the week of 28 December is always the year's last
  return week <= Number(isoWeek(`${m[1]}-12-28`).slice(6));
}

/** Seconds after midnight of `HH:MM[:SS]` (24:00 allowed), or NaN. */
export function secondsOfDay(time: string): number {
  const m = TIME_RE.exec(time);
  if (!m) return NaN;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (h === 24 && min === 0 && s === 0) return DAY_MS / 1000;
  if (h > 23 || min > 59 || s > 59) return NaN;
  return h * 3600 + min * 60 + s;
}

/** Field messages for a recurrence (the DTO checks shapes; this checks meaning). */
export function checkRecurrence(r: Recurrence, prefix = 'recurrence'): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const bad = (field: string, message: string): void => void out.push({ field: `${prefix}.${field}`, message });
  const start = secondsOfDay(r.start);
  const end = secondsOfDay(r.end);
  if (Number.isNaN(start) || start >= DAY_MS / 1000)
    bad('start', 'start must be a time HH:MM or HH:MM:SS before 24:00');
  if (Number.isNaN(end) || end === 0) bad('end', 'end must be a time HH:MM or HH:MM:SS after 00:00, at most 24:00');
  if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start)
    bad('end', 'end must be after start on the same day (a slot has a length; an overnight slot is two schedules)');
  const days = (list: string[], field: string): void =>
    list.forEach(
      (d, i) => Number.isNaN(dayNumber(d)) && bad(`${field}.${i}`, `${d} is not a date yyyy-mm-dd that exists`),
    );
  days(r.dates, 'dates');
  days(r.exceptDates, 'exceptDates');
  r.exceptWeeks.forEach((w, i) => !isIsoWeek(w) && bad(`exceptWeeks.${i}`, `${w} is not an ISO week such as 2026-W41`));
  const ranged = r.kind === 'daily' || r.kind === 'weekdays' || r.kind === 'weekly';
  if (ranged) {
    if (r.from === null) bad('from', `from (the first day) is required for a ${r.kind} schedule`);
    else days([r.from], 'from');
    if (r.until !== null) days([r.until], 'until');
    if (r.from !== null && r.until !== null && dayNumber(r.until) < dayNumber(r.from))
      bad('until', 'until must not be before from');
    if (r.dates.length > 0) bad('dates', `dates are only for kind dates or once`);
  } else {
    if (r.from !== null || r.until !== null) bad('from', `from and until are only for daily, weekdays and weekly`);
    if (r.kind === 'once' && r.dates.length !== 1) bad('dates', 'a one-off schedule names exactly one date');
    if (r.kind === 'dates' && r.dates.length === 0) bad('dates', 'a dates schedule names at least one date');
  }
  if (r.kind === 'weekly') {
    if (r.weekdays.length === 0) bad('weekdays', 'a weekly schedule names at least one weekday (1 Monday … 7 Sunday)');
    r.weekdays.forEach(
      (w, i) =>
        (!Number.isInteger(w) || w < 1 || w > 7) && bad(`weekdays.${i}`, 'a weekday is 1 (Monday) … 7 (Sunday)'),
    );
  } else if (r.weekdays.length > 0) bad('weekdays', 'weekdays are only for kind weekly');
  return out;
}

/** Whether the schedule plays on calendar day `day` (Asia/Shanghai). */
export function occursOn(r: Recurrence, day: string): boolean {
  const n = dayNumber(day);
  if (Number.isNaN(n)) return false;
  if (r.exceptDates.includes(day) || r.exceptWeeks.includes(isoWeek(day))) return false;
  if (r.kind === 'dates' || r.kind === 'once') return r.dates.includes(day);
  if (r.from === null || n < dayNumber(r.from)) return false;
  if (r.until !== null && n > dayNumber(r.until)) return false;
  switch (r.kind) {
    case 'daily':
      return true;
    case 'weekdays':
      return isoWeekday(day) <= 5;
    case 'weekly':
      return r.weekdays.includes(isoWeekday(day));
  }
}

/** The UTC instants of the slot on `day` (Asia/Shanghai wall times). */
export function slotOn(r: Pick<Recurrence, 'start' | 'end'>, day: string): { start: Date; end: Date } {
  const midnight = dayNumber(day) * DAY_MS - SHANGHAI_OFFSET_MS;
  return {
    start: new Date(midnight + secondsOfDay(r.start) * 1000),
    end: new Date(midnight + secondsOfDay(r.end) * 1000),
  };
}

/** Every slot of the schedule in the days [first, last] (inclusive), in order. */
export function expand(r: Recurrence, first: string, last: string): { day: string; start: Date; end: Date }[] {
  const out: { day: string; start: Date; end: Date }[] = [];
  for (let n = dayNumber(first); n <= dayNumber(last); n++) {
    const day = dayOf(n);
    if (occursOn(r, day)) out.push({ day, ...slotOn(r, day) });
  }
  return out;
}
