import { LineTiming, REFERENCE_BUS } from '../transport/line-timing';
import { ReplyTimer } from './reply-timer';

const line = new LineTiming(REFERENCE_BUS);
/** A status read on the reference bus: 8-byte request, 45-byte reply, 78.75 ms on the wire with turnaround. */
const READ = [8, 45] as const;
/** The kinds of request: a status read, a signed command. */
const S = 'FC03@0x0100';
const C = 'FC16@0x0200';
const readMs = line.transactionMs(...READ);
/** A signed command: 147-byte FC16, 8-byte reply. */
const COMMAND = [147, 8] as const;
const commandMs = line.transactionMs(...COMMAND);
/** The reference county's gateway request timeout 150 ms plus the 100 ms transport allowance. */
const timer = (granularityMs?: number): ReplyTimer =>
  new ReplyTimer({
    line,
    configuredExtraMs: 250,
    transportMarginMs: 100,
    ...(granularityMs === undefined ? {} : { granularityMs }),
  });

describe('ReplyTimer (RFC 6298 over the line model)', () => {
  it('waits the configured time before it has heard anything', () => {
    expect(timer().waitFor(S, 1, ...READ)).toEqual({ ms: Math.ceil(readMs + 250), basis: 'configured' });
    expect(timer().state()).toEqual({ learned: {}, timedOut: [] });
  });

  it('takes the first reply as SRTT = R, RTTVAR = R/2 over the model, and waits SRTT + 4·RTTVAR beyond it', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 6); // 6 ms beyond the wire
    expect(t.state().learned[S]).toEqual({ srttMs: 6, rttvarMs: 3, samples: 1 });
    // 6 + 4 × 3 = 18 beyond the model
    expect(t.waitFor(S, 2, ...READ)).toEqual({ ms: Math.ceil(readMs + 18), basis: 'learned' });
  });

  it('smooths later replies with α = 1/8 and β = 1/4, the deviation from the mean before the sample', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 8);
    t.answered(S, 2, ...READ, readMs + 16);
    // RTTVAR = 3/4 × 4 + 1/4 × |8 − 16| = 5; SRTT = 7/8 × 8 + 1/8 × 16 = 9
    expect(t.state().learned[S]).toEqual({ srttMs: 9, rttvarMs: 5, samples: 2 });
    expect(t.waitFor(S, 3, ...READ).ms).toBe(Math.ceil(readMs + 9 + 20));
  });

  it('learns the excess over the model, so requests of one kind but of any length share it', () => {
    const t = timer();
    t.answered(S, 1, 8, 5 + 2 * 125, line.transactionMs(8, 255) + 4); // a read of 125 registers
    expect(t.waitFor(S, 1, ...READ).ms).toBe(Math.ceil(readMs + 4 + 10));
  });

  it('learns each kind of request on its own: a signed command a terminal must check is slower than a read', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 3);
    expect(t.waitFor(C, 1, ...COMMAND)).toEqual({ ms: Math.ceil(commandMs + 250), basis: 'configured' });
    t.answered(C, 1, ...COMMAND, commandMs + 60);
    expect(t.waitFor(C, 1, ...COMMAND).ms).toBe(Math.ceil(commandMs + 60 + 4 * 30));
    expect(t.waitFor(S, 1, ...READ).ms).toBe(Math.ceil(readMs + 3 + 10));
  });

  it('keeps at least the granularity above the mean when replies are regular', () => {
    const t = timer(10);
    for (let i = 0; i < 40; i++) t.answered(S, 1, ...READ, readMs + 2);
    expect(t.state().learned[S].rttvarMs).toBeLessThan(0.01);
    expect(t.waitFor(S, 1, ...READ).ms).toBe(Math.ceil(readMs + 2 + 10));
  });

  it('never waits less than the wire needs, whatever the replies said', () => {
    const t = timer(0);
    t.answered(S, 1, ...READ, 1); // a reply "faster" than the wire: a stale frame; counts as no excess
    expect(t.state().learned[S]).toMatchObject({ srttMs: 0, rttvarMs: 0 });
    expect(t.waitFor(S, 1, ...READ).ms).toBe(Math.ceil(readMs));
  });

  it('never waits more than configured, however slow the replies', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 400);
    expect(t.waitFor(S, 1, ...READ)).toEqual({ ms: Math.ceil(readMs + 250), basis: 'configured' });
  });

  it('doubles the wait of a unit that timed out, up to the configured wait, and not of the others', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 6);
    const learned = readMs + 18;
    t.timedOut(5);
    expect(t.waitFor(S, 5, ...READ)).toEqual({ ms: Math.ceil(2 * learned), basis: 'learned' });
    expect(t.waitFor(S, 4, ...READ).ms).toBe(Math.ceil(learned));
    t.timedOut(5);
    expect(t.waitFor(S, 5, ...READ)).toEqual({ ms: Math.ceil(readMs + 250), basis: 'configured' });
    expect(t.state().timedOut).toEqual([{ unit: 5, times: 2 }]);
    // its answer ends the backoff and is learned like any other
    t.answered(S, 5, ...READ, readMs + 6);
    expect(t.waitFor(S, 5, ...READ).ms).toBeLessThan(Math.ceil(learned) + 1);
    expect(t.state().timedOut).toEqual([]);
  });

  it('allows after a broadcast the least the transport has been seen to add, the granularity before it has seen any', () => {
    const t = timer(10);
    expect(t.transportAllowanceMs()).toBe(10);
    t.answered(C, 1, ...COMMAND, commandMs + 60); // a signed command: the terminal's own work on top
    t.answered(S, 1, ...READ, readMs + 4); // a read: the transport alone
    expect(t.transportAllowanceMs()).toBe(4 + 10);
  });

  it('never lengthens a broadcast by more than the configured transport margin, however slow the link has been', () => {
    const t = timer();
    t.answered(S, 1, ...READ, readMs + 240);
    expect(t.transportAllowanceMs()).toBe(100);
  });
});
