/**
 * When the periodic tests are due (docs/self-test.md): the nightly window of the silent self-test and the monthly
 * audible test of a county, in Asia/Shanghai wall time (UTC+8 all year, as src/relay/recurrence.ts reckons it), and
 * how one night's tests are spread over a bus. Pure.
 */
import { dayNumber, dayOf, secondsOfDay, shanghaiDay } from '../relay/recurrence';

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** A nightly window, seconds after midnight Asia/Shanghai; `end` after `start` (a window does not cross midnight). */
export interface NightlyWindow {
  startSeconds: number;
  endSeconds: number;
}

/** One night's window as instants, and the calendar day its tests are due on. */
export interface WindowRun {
  day: string;
  startAt: number;
  endAt: number;
}

/** `HH:MM-HH:MM` (Asia/Shanghai), or 'off'; throws with the reason otherwise. */
export function parseWindow(text: string): NightlyWindow | null {
  if (text === 'off') return null;
  const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(text);
  if (!m) throw new RangeError(`must be HH:MM-HH:MM or off, got "${text}"`);
  const startSeconds = secondsOfDay(m[1]);
  const endSeconds = secondsOfDay(m[2]);
  if (Number.isNaN(startSeconds) || Number.isNaN(endSeconds) || endSeconds <= startSeconds || endSeconds > 86_400)
    throw new RangeError(`the window must end after it starts, within one day; got "${text}"`);
  return { startSeconds, endSeconds };
}

/** Midnight Asia/Shanghai of a calendar day, as an instant. */
export function shanghaiMidnight(day: string): number {
  return dayNumber(day) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** The window that is open at `now`, else the next one. */
export function windowAt(w: NightlyWindow, now: number): WindowRun {
  const today = shanghaiDay(new Date(now));
  for (const day of [today, dayOf(dayNumber(today) + 1)]) {
    const midnight = shanghaiMidnight(day);
    const run = { day, startAt: midnight + w.startSeconds * 1000, endAt: midnight + w.endSeconds * 1000 };
    if (now < run.endAt) return run;
  }
  throw new Error('unreachable: tomorrow’s window always ends after now');
}

/**
 * When each terminal of one bus is tested: spread evenly over the window, one after the other, in unit order, so that
 * a bus carries one self-test at a time and the sweep keeps its pace. Buses run side by side.
 */
export function spread<T>(terminals: readonly T[], run: WindowRun, now: number): { terminal: T; at: number }[] {
  const from = Math.max(now, run.startAt);
  const step = terminals.length ? (run.endAt - from) / terminals.length : 0;
  return terminals.map((terminal, i) => ({ terminal, at: Math.round(from + i * step) }));
}

/** A county's monthly audible test: a day of the month (1–28, so every month has it) and a wall time. */
export interface AudiblePlan {
  dayOfMonth: number;
  /** `HH:MM`, Asia/Shanghai. */
  time: string;
}

/** The next audible test at or after `now`. */
export function nextAudible(plan: AudiblePlan, now: number): number {
  const today = shanghaiDay(new Date(now));
  const [y, m] = today.split('-').map(Number);
  for (let i = 0; i < 2; i++) {
    const month = m + i;
    const day = `${y + Math.floor((month - 1) / 12)}-${String(((month - 1) % 12) + 1).padStart(2, '0')}-${String(plan.dayOfMonth).padStart(2, '0')}`;
    const at = shanghaiMidnight(day) + secondsOfDay(plan.time) * 1000;
    if (at >= now) return at;
  }
  throw new Error('unreachable: next month’s test is always ahead');
}
