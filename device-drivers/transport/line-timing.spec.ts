import { Bound, bitsPerCharacter, LineTiming, parallelBoundMs, REFERENCE_BUS } from './line-timing';

describe('line-timing model (docs/protocols.md)', () => {
  it('counts bits per character: 8E1 and 8N2 are 11, 8N1 is 10, 7E1 is 10', () => {
    expect(bitsPerCharacter(8, 'even', 1)).toBe(11);
    expect(bitsPerCharacter(8, 'none', 2)).toBe(11);
    expect(bitsPerCharacter(8, 'none', 1)).toBe(10);
    expect(bitsPerCharacter(7, 'odd', 1)).toBe(10);
  });

  it('times an 8-byte request at 9,600 8E1 as 8×11/9600 s = 9.1667 ms, and the gap as 3.5 characters', () => {
    const t = new LineTiming(REFERENCE_BUS);
    expect(t.frameMs(8)).toBeCloseTo(9.1667, 4);
    expect(t.gapMs).toBeCloseTo((3.5 * 11 * 1000) / 9600, 9); // 4.0104 ms
    expect(t.gapMs).toBeCloseTo(4.0104, 4);
  });

  it('fixes the gap at 1.75 ms above 19,200 baud and keeps 3.5 characters at 19,200', () => {
    expect(new LineTiming({ baud: 38_400, turnaroundMs: 0, broadcastDelayMs: 0 }).gapMs).toBe(1.75);
    expect(new LineTiming({ baud: 19_200, turnaroundMs: 0, broadcastDelayMs: 0 }).gapMs).toBeCloseTo(
      (3.5 * 11 * 1000) / 19_200,
      9,
    );
  });

  it('times a status poll transaction: 8-byte FC03 request, 45-byte reply (20 registers), turnaround 10 ms', () => {
    const t = new LineTiming(REFERENCE_BUS);
    // (8 + 45) × 11 / 9600 s = 60.7292 ms of frames, 2 gaps of 4.0104 ms, 10 ms turnaround
    expect(t.transactionMs(8, 45)).toBeCloseTo(60.7292 + 2 * 4.0104 + 10, 3);
    expect(t.transactionMs(8, 45)).toBeCloseTo(78.75, 2);
  });

  it('times a broadcast as frame + gap + broadcast delay', () => {
    const t = new LineTiming(REFERENCE_BUS);
    // FC16 of 123 registers: 9 + 246 bytes = 255 bytes → 292.1875 ms
    expect(t.broadcastMs(255)).toBeCloseTo(292.1875 + 4.0104 + 50, 3);
  });

  it('accumulates a workload bound, and takes the slowest of parallel buses', () => {
    const t = new LineTiming(REFERENCE_BUS);
    const a = new Bound(t).transaction(8, 45, 12).broadcast(255, 2).unanswered(8);
    expect(a.ms).toBeCloseTo(12 * t.transactionMs(8, 45) + 2 * t.broadcastMs(255) + t.frameMs(8) + t.gapMs, 9);
    expect(a.seconds).toBeCloseTo(a.ms / 1000, 12);
    expect(a.counts).toEqual({ transactions: 12, broadcasts: 2, unanswered: 1 });
    const b = new Bound(t).transaction(8, 45, 13);
    expect(parallelBoundMs([a, b])).toBe(Math.max(a.ms, b.ms));
    expect(parallelBoundMs([])).toBe(0);
  });

  it('refuses impossible settings, naming the field', () => {
    expect(() => new LineTiming({ baud: 0, turnaroundMs: 0, broadcastDelayMs: 0 })).toThrow(/baud/);
    expect(() => new LineTiming({ baud: 9600, turnaroundMs: -1, broadcastDelayMs: 0 })).toThrow(/turnaroundMs/);
  });
});
