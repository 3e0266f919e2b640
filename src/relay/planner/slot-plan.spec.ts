import type { TerminalDay } from '../day-plan.service';
import type { PublishedRevision } from '../relay.entities';
import { differs, slotOrder, slotsOf } from './slot-plan';

const start = new Date('2026-12-07T04:00:00.000Z');
const end = new Date('2026-12-07T04:30:00.000Z');

function revision(over: Partial<PublishedRevision['programme']> = {}): PublishedRevision {
  return {
    revision: 2,
    recurrence: {} as PublishedRevision['recurrence'],
    areaIndex: '|341523000000|',
    programme: {
      name: '县台新闻',
      source: { kind: 'fm', frequency: 9530 },
      fallback: null,
      minSignalQuality: null,
      volume: 70,
      priorityClass: 'county',
      priority: 6,
      targets: { areaCodes: ['341523000000'], terminalIds: [] },
      ...over,
    },
  };
}

function day(terminalId: number, plays: boolean, scheduleId = 1): TerminalDay {
  const slot = { scheduleId, programmeId: 1, programmeName: 'x', priority: 6, publishedAt: start, start, end };
  return {
    terminalId,
    areaCode: '341523100201',
    slots: [{ ...slot, plays: plays ? [{ from: start, to: end }] : [], yields: [] }],
  };
}

describe('the slots the planner puts on air', () => {
  it('one slot per schedule and start, with the terminals the conflict rule leaves some of it', () => {
    const revisions = new Map([[1, { published: revision(), publishedById: 7 }]]);
    const slots = slotsOf([{ terminals: [day(3, true), day(1, true), day(2, false)] }], revisions);
    expect(slots).toEqual([
      expect.objectContaining({ key: `1@${start.toISOString()}`, revision: 2, terminalIds: [1, 3], publishedById: 7 }),
    ]);
  });

  it('a broadcast of class daily at the programme priority, carrying the live source and the slot times', () => {
    const [slot] = slotsOf(
      [{ terminals: [day(1, true)] }],
      new Map([[1, { published: revision(), publishedById: 7 }]]),
    );
    expect(slotOrder(slot, 'B')).toMatchObject({
      alertId: 0,
      broadcastId: 'B',
      broadcastClass: 5,
      priority: 6,
      source: 'fm',
      sourceParam: 9530,
      clipId: '',
      repeat: 0,
      startAt: start,
      endAt: end,
      terminalIds: [1],
      emergency: false,
    });
    const line = revision({ source: { kind: 'line-in', channel: 2 } });
    const [l] = slotsOf([{ terminals: [day(1, true)] }], new Map([[1, { published: line, publishedById: 7 }]]));
    expect(slotOrder(l, 'B')).toMatchObject({ source: 'line-in', sourceParam: 2 });
  });

  it('a slot not started is planned again when its revision, end or terminals changed', () => {
    const [slot] = slotsOf(
      [{ terminals: [day(1, true)] }],
      new Map([[1, { published: revision(), publishedById: 7 }]]),
    );
    expect(differs(slot, { revision: 2, end, terminalIds: [1] })).toBe(false);
    expect(differs(slot, { revision: 1, end, terminalIds: [1] })).toBe(true);
    expect(differs(slot, { revision: 2, end: start, terminalIds: [1] })).toBe(true);
    expect(differs(slot, { revision: 2, end, terminalIds: [1, 2] })).toBe(true);
  });
});
