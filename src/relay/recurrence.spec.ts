import fc from 'fast-check';
import {
  checkRecurrence,
  dayNumber,
  dayOf,
  expand,
  isIsoWeek,
  isoWeek,
  isoWeekday,
  occursOn,
  shanghaiDay,
  slotOn,
  type Recurrence,
} from './recurrence';

const base: Recurrence = {
  kind: 'daily',
  weekdays: [],
  dates: [],
  from: '2026-12-01',
  until: null,
  start: '12:00',
  end: '12:30',
  exceptDates: [],
  exceptWeeks: [],
};
const r = (over: Partial<Recurrence>): Recurrence => ({ ...base, ...over });

describe('recurrence', () => {
  it('knows ISO weekdays and weeks, including the year boundary', () => {
    expect(isoWeekday('2026-12-07')).toBe(1);
    expect(isoWeekday('2026-12-06')).toBe(7);
    expect(isoWeek('2026-12-07')).toBe('2026-W50');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
    expect(isIsoWeek('2026-W53')).toBe(true);
    expect(isIsoWeek('2025-W53')).toBe(false);
    expect(isIsoWeek('2026-W00')).toBe(false);
  });

  it('puts Shanghai wall times on UTC (UTC+8 all year) and tells the Shanghai day of an instant', () => {
    expect(slotOn(base, '2026-12-07')).toEqual({
      start: new Date('2026-12-07T04:00:00Z'),
      end: new Date('2026-12-07T04:30:00Z'),
    });
    expect(slotOn({ start: '00:00', end: '24:00' }, '2026-07-01').end).toEqual(new Date('2026-07-01T16:00:00Z'));
    expect(shanghaiDay(new Date('2026-12-06T16:30:00Z'))).toBe('2026-12-07');
  });

  it('plays daily, on weekdays, on chosen weekdays, on dates and once, within from and until', () => {
    expect(occursOn(base, '2026-11-30')).toBe(false);
    expect(occursOn(base, '2026-12-06')).toBe(true);
    expect(occursOn(r({ until: '2026-12-05' }), '2026-12-06')).toBe(false);
    expect(occursOn(r({ kind: 'weekdays' }), '2026-12-05')).toBe(false); // Saturday
    expect(occursOn(r({ kind: 'weekdays' }), '2026-12-07')).toBe(true);
    expect(occursOn(r({ kind: 'weekly', weekdays: [6] }), '2026-12-05')).toBe(true);
    const once = r({ kind: 'once', from: null, dates: ['2026-12-24'] });
    expect(expand(once, '2026-12-01', '2026-12-31').map((s) => s.day)).toEqual(['2026-12-24']);
  });

  it('skips holidays and whole weeks', () => {
    const x = r({ exceptDates: ['2026-12-08'], exceptWeeks: ['2026-W51'] });
    const days = expand(x, '2026-12-07', '2026-12-21').map((s) => s.day);
    expect(days).toEqual([
      '2026-12-07',
      '2026-12-09',
      '2026-12-10',
      '2026-12-11',
      '2026-12-12',
      '2026-12-13',
      '2026-12-21',
    ]);
  });

  it('refuses what makes no sense: end not after start, overnight, no weekdays, one-off with two dates', () => {
    const fields = (x: Recurrence) => checkRecurrence(x).map((f) => f.field);
    expect(fields(r({ start: '12:30', end: '12:00' }))).toEqual(['recurrence.end']);
    expect(fields(r({ start: '23:00', end: '01:00' }))).toEqual(['recurrence.end']);
    expect(fields(r({ start: '12:00', end: '12:00' }))).toEqual(['recurrence.end']);
    expect(fields(r({ start: '23:30', end: '24:00' }))).toEqual([]);
    expect(fields(r({ start: '24:00', end: '24:00' }))).toContain('recurrence.start');
    expect(fields(r({ kind: 'weekly' }))).toEqual(['recurrence.weekdays']);
    expect(fields(r({ kind: 'weekly', weekdays: [0] }))).toEqual(['recurrence.weekdays.0']);
    expect(fields(r({ kind: 'once', from: null, dates: ['2026-12-24', '2026-12-25'] }))).toEqual(['recurrence.dates']);
    expect(fields(r({ kind: 'dates' }))).toContain('recurrence.from');
    expect(fields(r({ until: '2026-11-01' }))).toEqual(['recurrence.until']);
  });

  const day = fc.integer({ min: dayNumber('2026-01-01'), max: dayNumber('2028-12-31') }).map(dayOf);
  const second = fc.integer({ min: 0, max: 86_399 });
  const hms = (s: number): string =>
    [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  const recurrence: fc.Arbitrary<Recurrence> = fc
    .record({
      kind: fc.constantFrom('daily', 'weekdays', 'weekly', 'dates', 'once'),
      weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
      dates: fc.uniqueArray(day, { minLength: 1, maxLength: 20 }),
      from: day,
      span: fc.option(fc.integer({ min: 0, max: 400 })),
      a: second,
      b: second,
      exceptDates: fc.uniqueArray(day, { maxLength: 30 }),
      exceptWeeks: fc.uniqueArray(day.map(isoWeek), { maxLength: 10 }),
    })
    .filter((x) => x.a !== x.b)
    .map((x) => {
      const ranged = x.kind === 'daily' || x.kind === 'weekdays' || x.kind === 'weekly';
      return {
        kind: x.kind,
        weekdays: x.kind === 'weekly' ? x.weekdays : [],
        dates: ranged ? [] : x.kind === 'once' ? x.dates.slice(0, 1) : x.dates,
        from: ranged ? x.from : null,
        until: ranged && x.span !== null ? dayOf(dayNumber(x.from) + x.span) : null,
        start: hms(Math.min(x.a, x.b)),
        end: hms(Math.max(x.a, x.b)),
        exceptDates: x.exceptDates,
        exceptWeeks: x.exceptWeeks,
      };
    });

  it('property: every generated slot lies on an allowed day, never on an exception, and start < end on that Shanghai day', () => {
    fc.assert(
      fc.property(recurrence, day, fc.integer({ min: 0, max: 120 }), (rec, first, length) => {
        expect(checkRecurrence(rec)).toEqual([]);
        const last = dayOf(dayNumber(first) + length);
        for (const s of expand(rec, first, last)) {
          expect(s.start.getTime()).toBeLessThan(s.end.getTime());
          expect(shanghaiDay(s.start)).toBe(s.day);
          expect(rec.exceptDates).not.toContain(s.day);
          expect(rec.exceptWeeks).not.toContain(isoWeek(s.day));
          if (rec.kind === 'weekly') expect(rec.weekdays).toContain(isoWeekday(s.day));
          if (rec.kind === 'weekdays') expect(isoWeekday(s.day) <= 5).toBe(true);
          if (rec.kind === 'dates' || rec.kind === 'once') expect(rec.dates).toContain(s.day);
          else {
            expect(s.day >= (rec.from ?? '')).toBe(true);
            if (rec.until) expect(s.day <= rec.until).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
