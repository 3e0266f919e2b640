import type { LiveStatus } from '../monitoring/status-store';
import { type FeedTimers, LiveFeed, MAX_PENDING_ALARMS } from './live-feed';
import type { LiveDelta } from './live-payload';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers(): FeedTimers & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = until;
    },
  };
}

const status = (terminalId: number, online: boolean): LiveStatus => ({
  terminalId,
  areaCode: '341523100201',
  gatewayId: 1,
  connectivity: online ? 'online' : 'offline',
  online,
  since: 0,
  lastSeen: null,
  failures: 0,
  lastError: null,
  errorCounts: {},
  reading: null,
});

function feed(ready = () => true) {
  const timers = manualTimers();
  const sent: LiveDelta[] = [];
  const f = new LiveFeed({ ready, send: (d) => sent.push(d) }, timers, (areaCode) => ({
    areaCode,
    registered: 1,
    online: 1,
    unknown: 0,
    ratePercent: 100,
  }));
  return { f, timers, sent };
}

describe('LiveFeed', () => {
  it('sends the first change at once and then at most four batches a second, each with the latest state per terminal', () => {
    const { f, timers, sent } = feed();
    f.terminal(status(1, true), 0);
    timers.advance(0);
    expect(sent).toHaveLength(1);
    for (let ms = 1; ms <= 1000; ms++) {
      f.terminal(status(ms % 7, ms % 2 === 0), ms);
      timers.advance(1);
    }
    // one at t=0, then one every 250 ms
    expect(sent.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < sent.length; i++) expect(sent[i].sentAt - sent[i - 1].sentAt).toBeGreaterThanOrEqual(250);
    for (const d of sent) expect(new Set(d.terminals.map((t) => t.id)).size).toBe(d.terminals.length);
    expect(sent.map((d) => d.seq)).toEqual(sent.map((_, i) => i + 1));
  });

  it('folds repeated changes of one terminal into its latest state', () => {
    const { f, timers, sent } = feed();
    f.terminal(status(1, true), 0);
    timers.advance(0);
    const s = status(2, true);
    f.terminal(s, 10);
    s.online = false;
    s.connectivity = 'offline';
    f.terminal(s, 20);
    f.rate('341523100000');
    timers.advance(250);
    expect(sent[1].terminals).toEqual([expect.objectContaining({ id: 2, online: false, at: 20 })]);
    expect(sent[1].rates).toEqual([
      { areaCode: '341523100000', registered: 1, online: 1, unknown: 0, ratePercent: 100 },
    ]);
  });

  it('skips a client whose connection is still busy, keeps folding with bounded memory, and catches up when it drains', () => {
    let busy = true;
    const { f, timers, sent } = feed(() => !busy);
    for (let i = 0; i < 10_000; i++) f.terminal(status(i % 50, i % 2 === 0), i);
    for (let i = 0; i < MAX_PENDING_ALARMS + 10; i++) f.alarm({ type: 'raised', at: i, alarm: { id: i } as never });
    timers.advance(5_000);
    expect(sent).toHaveLength(0);
    expect(f.size).toBe(50 + MAX_PENDING_ALARMS);
    busy = false;
    timers.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0].terminals).toHaveLength(50);
    expect(sent[0].alarms).toHaveLength(MAX_PENDING_ALARMS);
    expect(sent[0].alarmsDropped).toBe(10);
    expect(f.size).toBe(0);
  });

  it('sends nothing after close', () => {
    const { f, timers, sent } = feed();
    f.terminal(status(1, true), 0);
    f.close();
    timers.advance(1000);
    expect(sent).toHaveLength(0);
  });
});
