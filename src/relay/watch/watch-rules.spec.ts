import { PRIORITY, TERMINAL_STATES } from '../../../firmware-protocols/codes';
import type { TerminalReading } from '../../monitoring/terminal-reading';
import { FALLBACK_AFTER_MS, fallsBack, judge, type WatchExpectation } from './watch-rules';

const ID = '43415230000000101010101202612060001';
const expect_: WatchExpectation = { broadcastId: ID, priority: PRIORITY.county, source: 'fm', minSignalQuality: 50 };

function reading(over: Partial<TerminalReading>): TerminalReading {
  return {
    state: TERMINAL_STATES.broadcasting,
    priority: PRIORITY.county,
    source: 'fm',
    clipId: 0,
    broadcastId: ID,
    broadcastClass: 5,
    volume: 70,
    faults: [],
    supplyVoltage: 24,
    temperature: 30,
    signalQuality: 80,
    uptimeSeconds: 100,
    counters: { crcErrors: 0, refusedCommands: 0 },
    lastCommandSequence: 1,
    clock: null,
    ...over,
  };
}

describe('the watch judges a terminal playing a slot', () => {
  it('finds nothing wrong with the programme on its source and a good signal', () => {
    expect(judge(reading({}), expect_)).toBeNull();
  });

  it('a terminal playing our broadcast on another source', () => {
    expect(judge(reading({ source: 'ip' }), expect_)).toEqual({
      kind: 'relay-source',
      detail: 'plays ip instead of fm',
      fallback: true,
    });
  });

  it('a weak FM signal, but not a weak signal on line-in', () => {
    expect(judge(reading({ signalQuality: 20 }), expect_)).toEqual({
      kind: 'relay-signal',
      detail: 'signal 20 below 50 on fm',
      fallback: true,
    });
    expect(judge(reading({ signalQuality: 20, source: 'line-in' }), { ...expect_, source: 'line-in' })).toBeNull();
  });

  it('a silent terminal, but not one a stronger broadcast took', () => {
    expect(judge(reading({ state: TERMINAL_STATES.normal, broadcastId: null, priority: 15 }), expect_)?.kind).toBe(
      'relay-silent',
    );
    expect(judge(reading({ broadcastId: 'other', priority: 2, source: 'stored' }), expect_)).toBeNull();
  });

  it('another broadcast at no higher priority is another source', () => {
    expect(judge(reading({ broadcastId: 'other', priority: PRIORITY.town }), expect_)?.kind).toBe('relay-source');
  });

  it('a silent terminal or ours on another source may fall back, another broadcast may not', () => {
    expect(judge(reading({ state: TERMINAL_STATES.normal, broadcastId: null, priority: 15 }), expect_)?.fallback).toBe(
      true,
    );
    expect(judge(reading({ broadcastId: 'other', priority: PRIORITY.town }), expect_)?.fallback).toBe(false);
  });
});

describe('when the watch falls back to the second source', () => {
  const silent = { kind: 'relay-silent' as const, detail: 'silent (state 1)', fallback: true };
  it('a weak signal at once; silence or another source only once it has lasted', () => {
    expect(fallsBack({ kind: 'relay-signal', detail: '', fallback: true }, 1000, 1000)).toBe(true);
    expect(fallsBack(silent, 1000, 1000 + FALLBACK_AFTER_MS - 1)).toBe(false);
    expect(fallsBack(silent, 1000, 1000 + FALLBACK_AFTER_MS)).toBe(true);
    expect(fallsBack({ ...silent, kind: 'relay-source', fallback: false }, 0, 60_000)).toBe(false);
  });
});
