import { SYSTEM_ACTOR } from '../auth/auth-user';
import { AlertEntity } from './alert.entities';
import {
  areaIndexOf,
  areaIndexPatterns,
  assertSecondPerson,
  buildOrder,
  checkContent,
  fieldChanges,
  type AlertContent,
} from './alert-rules';

const now = new Date('2026-12-01T08:00:00Z');
const content = (over: Partial<AlertContent> = {}): AlertContent => ({
  eventType: '11B03',
  severity: 2,
  messageType: 'real',
  text: '暴雨',
  audio: { kind: 'tone', toneId: 'tone-air-raid' },
  targets: { areaCodes: ['341523100000'], terminalIds: [] },
  startAt: null,
  endAt: new Date('2026-12-01T10:00:00Z'),
  ...over,
});
const fields = (over: Partial<AlertContent>) =>
  checkContent(content(over), ['tone-air-raid', 'tone-chime'], now).map((f) => f.field);

describe('checkContent', () => {
  it('accepts a complete alert', () => expect(fields({})).toEqual([]));
  it.each<[string, Partial<AlertContent>, string]>([
    ['an unknown event type', { eventType: '11B99' }, 'eventType'],
    ['a severity the event lacks (冰雹 has Ⅱ–Ⅲ)', { eventType: '11B15', severity: 4 }, 'severity'],
    ['no targets', { targets: { areaCodes: [], terminalIds: [] } }, 'targets'],
    ['a malformed area code', { targets: { areaCodes: ['341523000'], terminalIds: [] } }, 'targets.areaCodes.0'],
    ['a clip without id', { audio: { kind: 'clip' } }, 'audio.clipId'],
    ['an unknown tone', { audio: { kind: 'tone', toneId: 'tone-bell' } }, 'audio.toneId'],
    ['speech without text', { audio: { kind: 'tts' }, text: '  ' }, 'text'],
    ['a tone id beside speech', { audio: { kind: 'tts', toneId: 'tone-chime' } }, 'audio.toneId'],
    ['an unknown tone before the message', { audio: { kind: 'tts', toneBefore: 'tone-bell' } }, 'audio.toneBefore'],
    ['an end before the start', { startAt: new Date('2026-12-01T11:00:00Z') }, 'endAt'],
    ['an end already passed', { endAt: new Date('2026-12-01T07:00:00Z') }, 'endAt'],
  ])('refuses %s', (_, over, field) => expect(fields(over)).toContain(field));
});

describe('area index', () => {
  it('finds alerts inside an area and alerts on its ancestors', () => {
    const index = areaIndexOf(['341523000000'], ['341523100201']);
    expect(index).toBe('|341523000000|341523100201|');
    const like = (pattern: string, text: string) =>
      new RegExp(`^${pattern.replace(/%/g, '.*').replace(/\|/g, '\\|')}$`).test(text);
    expect(areaIndexPatterns('341523101000').some((p) => like(p, index))).toBe(true); // the county reaches every town
    expect(areaIndexPatterns('341523100000').some((p) => like(p, '|341523100201|'))).toBe(true);
    expect(areaIndexPatterns('341523101000').some((p) => like(p, '|341523100201|'))).toBe(false);
  });
});

describe('review rule and order', () => {
  const alert = Object.assign(new AlertEntity(), {
    id: 7,
    createdById: 1,
    submittedById: 2,
    title: 't',
    eventType: '11B03',
    severity: 3,
    messageType: 'real',
    repeat: 2,
    volume: 70,
    startAt: null,
    endAt: new Date('2026-12-01T10:00:00Z'),
  });

  it('lets only a person who never created, edited, submitted or sent it approve or confirm', () => {
    const history = [
      { action: 'created', userId: 1 },
      { action: 'edited', userId: 4 },
      { action: 'submitted', userId: 2 },
      { action: 'rejected', userId: 5 },
      { action: 'emergency', userId: 6 },
    ] as const;
    for (const id of [1, 2, 4, 6]) {
      expect(() => assertSecondPerson(alert, history, { ...SYSTEM_ACTOR, id }, 'approve')).toThrow(/another user/);
      expect(() => assertSecondPerson(alert, history, { ...SYSTEM_ACTOR, id }, 'confirm')).toThrow(/another user/);
    }
    expect(() => assertSecondPerson(alert, history, { ...SYSTEM_ACTOR, id: 3 }, 'approve')).not.toThrow();
    expect(() => assertSecondPerson(alert, history, { ...SYSTEM_ACTOR, id: 5 }, 'approve')).not.toThrow();
    // rows written before the history existed: the alert's own columns still count
    expect(() => assertSecondPerson(alert, [], { ...SYSTEM_ACTOR, id: 2 }, 'approve')).toThrow(/another user/);
  });

  it('lists the fields an edit changes, whatever the key order, dates as ISO text', () => {
    const d = new Date('2026-12-01T10:00:00Z');
    expect(
      fieldChanges({ a: 1, t: { x: [1], y: 2 }, d, n: null }, { a: 1, t: { y: 2, x: [1] }, d: new Date(d), n: null }),
    ).toEqual({});
    expect(fieldChanges({ a: 1, d, n: null as Date | null }, { a: 2, d, n: d })).toEqual({
      a: { from: 1, to: 2 },
      n: { from: null, to: d.toISOString() },
    });
  });

  it.each([
    ['real', 3, 4],
    ['cancel', 3, 4],
    ['platformDrill', 5, 1],
    ['frontEndDrill', 5, 2],
    ['terminalDrill', 5, 3],
  ] as const)('%s travels at priority %i with broadcast class %i', (messageType, priority, broadcastClass) => {
    const order = buildOrder({
      alert: Object.assign(new AlertEntity(), alert, { messageType }),
      broadcastId: 'b',
      clipId: 'c',
      terminalIds: [3, 1, 3],
      emergency: false,
      userId: 9,
      now,
    });
    expect(order).toMatchObject({ priority, broadcastClass, terminalIds: [1, 3], startAt: now, repeat: 2, volume: 70 });
  });
});
