import fc from 'fast-check';
import { findConflicts, resolveTerminal, type PlannedSlot, type ScheduleFootprint } from './day-view';
import type { Recurrence } from './recurrence';

const at = (hm: string) => new Date(`2026-12-07T${hm}:00+08:00`);
const slot = (
  scheduleId: number,
  priority: number,
  from: string,
  to: string,
  published = '2026-12-01',
): PlannedSlot => ({
  scheduleId,
  programmeId: scheduleId,
  programmeName: `p${scheduleId}`,
  priority,
  publishedAt: new Date(`${published}T00:00:00Z`),
  start: at(from),
  end: at(to),
});

describe('day view', () => {
  it('gives the air to the higher class; the lower one plays around it', () => {
    const [county, town] = [slot(1, 6, '12:00', '12:30'), slot(2, 7, '12:20', '12:40')];
    const out = resolveTerminal([town, county]);
    expect(out.map((s) => s.scheduleId)).toEqual([1, 2]);
    expect(out[0].plays).toEqual([{ from: at('12:00'), to: at('12:30') }]);
    expect(out[1].plays).toEqual([{ from: at('12:30'), to: at('12:40') }]);
    expect(out[1].yields).toEqual([{ from: at('12:20'), to: at('12:30'), toScheduleId: 1 }]);
  });

  it('at equal class the schedule published first keeps the air, even when it is cut in the middle', () => {
    const first = slot(5, 8, '07:00', '08:00', '2026-11-01');
    const later = slot(3, 8, '07:20', '07:40', '2026-11-02');
    const inner = slot(9, 6, '07:10', '07:15');
    const out = resolveTerminal([later, first, inner]);
    const byId = new Map(out.map((s) => [s.scheduleId, s]));
    expect(byId.get(3)?.plays).toEqual([]);
    expect(byId.get(5)?.plays).toEqual([
      { from: at('07:00'), to: at('07:10') },
      { from: at('07:15'), to: at('08:00') },
    ]);
  });

  it('property: at every moment exactly one slot plays where any is planned, and it is the strongest planned then', () => {
    const minute = fc.integer({ min: 0, max: 120 });
    const planned = fc.array(
      fc.record({ a: minute, b: minute, p: fc.integer({ min: 6, max: 8 }), d: fc.integer({ min: 0, max: 5 }) }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(planned, (xs) => {
        const base = at('12:00').getTime();
        const slots = xs
          .filter((x) => x.a !== x.b)
          .map((x, i) => ({
            ...slot(i + 1, x.p, '12:00', '12:00', `2026-11-0${x.d + 1}`),
            start: new Date(base + Math.min(x.a, x.b) * 60_000),
            end: new Date(base + Math.max(x.a, x.b) * 60_000),
          }));
        const out = resolveTerminal(slots);
        for (let m = 0; m < 120; m++) {
          const t = base + m * 60_000 + 30_000;
          const on = slots.filter((s) => s.start.getTime() <= t && t < s.end.getTime());
          const playing = out.filter((s) => s.plays.some((p) => p.from.getTime() <= t && t < p.to.getTime()));
          expect(playing.length).toBe(on.length > 0 ? 1 : 0);
          if (on.length) {
            const best = [...on].sort(
              (a, b) =>
                a.priority - b.priority ||
                a.publishedAt.getTime() - b.publishedAt.getTime() ||
                a.scheduleId - b.scheduleId,
            )[0];
            expect(playing[0].scheduleId).toBe(best.scheduleId);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lists the conflicts of a candidate with who wins and on which days', () => {
    const rec = (over: Partial<Recurrence>): Recurrence => ({
      kind: 'daily',
      weekdays: [],
      dates: [],
      from: '2026-12-07',
      until: null,
      start: '12:00',
      end: '12:30',
      exceptDates: [],
      exceptWeeks: [],
      ...over,
    });
    const fp = (
      id: number,
      priority: number,
      r: Recurrence,
      terminals: number[],
      published: Date | null,
    ): ScheduleFootprint => ({
      scheduleId: id,
      programmeName: `p${id}`,
      priority,
      publishedAt: published,
      recurrence: r,
      terminalIds: new Set(terminals),
    });
    const county = fp(1, 6, rec({ kind: 'weekdays' }), [1, 2, 3], new Date('2026-12-01'));
    const elsewhere = fp(2, 6, rec({}), [9], new Date('2026-12-01'));
    const village = fp(3, 8, rec({ start: '12:15', end: '13:00' }), [2, 3, 4], null);
    const out = findConflicts(village, [county, elsewhere], '2026-12-07', '2026-12-13', new Date('2026-12-06'));
    expect(out).toEqual([
      {
        scheduleId: 1,
        programmeName: 'p1',
        priority: 6,
        days: ['2026-12-07', '2026-12-08', '2026-12-09', '2026-12-10', '2026-12-11'],
        from: at('12:15'),
        to: at('12:30'),
        terminalCount: 2,
        winnerScheduleId: 1,
        decidedBy: 'priority',
      },
    ]);
    const same = fp(4, 6, rec({ start: '12:20', end: '12:25' }), [1], null);
    expect(findConflicts(same, [county], '2026-12-07', '2026-12-07', new Date('2026-12-06'))[0]).toMatchObject({
      winnerScheduleId: 1,
      decidedBy: 'published-first',
    });
  });
});
