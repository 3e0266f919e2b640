/**
 * The simulated terminal's held schedule (terminal-modbus PROTOCOL.md §9) through its register front: the signed
 * announce, entries, commit and digest check, the plays it makes while it hears nothing (and only then), and the log.
 */
import {
  buildCommandBlock,
  decodeHeldHeader,
  decodeHeldLog,
  encodeHeldAck,
  heldDigest,
  heldEntryWrites,
  HELD_STATES,
  REGISTERS,
  TERMINAL_EXCEPTIONS,
  type CommandRecord,
  type HeldEntry,
} from '../../../firmware-protocols/terminal-modbus';
import { heldTerminal, S0, signer, T0 } from './held-spec-fixture';
import type { SimulatedTerminal } from './simulated-terminal';

const H = REGISTERS.held;
let seq = 1;
const terminal = heldTerminal;

/** A request as the bus delivers it: heard first, then carried out. */
function write(t: SimulatedTerminal, address: number, values: number[], now: number) {
  t.heard(now);
  return t.writeRegisters(address, values, now, false);
}
function read(t: SimulatedTerminal, address: number, count: number, now: number) {
  t.heard(now);
  return t.readHolding(address, count, now);
}
const command = (t: SimulatedTerminal, c: CommandRecord, now: number) =>
  write(t, REGISTERS.command.address, buildCommandBlock(seq++, c, { signer, time: new Date(now) }), now);

const entry = (from: number, to: number, over: Partial<HeldEntry> = {}): HeldEntry => ({
  start: S0 + from,
  end: S0 + to,
  source: 'fm',
  priority: 6,
  volume: 70,
  sourceParam: 9530,
  ...over,
});

function hold(
  t: SimulatedTerminal,
  entries: HeldEntry[],
  now: number,
  opts: { digest?: string; holdOff?: number } = {},
) {
  const digest = opts.digest ?? heldDigest(entries);
  expect(
    command(
      t,
      {
        code: 'hold-schedule',
        tableId: 7,
        entryCount: entries.length,
        validFrom: S0,
        validUntil: S0 + 3 * 86_400,
        holdOffSeconds: opts.holdOff ?? 10,
        digest,
      },
      now,
    ),
  ).toBeNull();
  for (const [address, regs] of heldEntryWrites(entries)) expect(write(t, address, regs, now)).toBeNull();
  expect(write(t, H.commitAddress, [7], now)).toBeNull();
  return decodeHeldHeader(read(t, H.headerAddress, H.headerCount, now) as number[]);
}
const log = (t: SimulatedTerminal, now: number) => decodeHeldLog(read(t, H.logAddress, 124, now) as number[]);

describe('held schedule (PROTOCOL.md §9)', () => {
  it('is unknown to a terminal without the capability: command 17 is 0x03, its registers 0x02', () => {
    const t = terminal(false);
    const r = command(
      t,
      {
        code: 'hold-schedule',
        tableId: 1,
        entryCount: 0,
        validFrom: S0,
        validUntil: S0 + 1,
        holdOffSeconds: 10,
        digest: '0'.repeat(64),
      },
      T0,
    );
    expect(r).toEqual({ exception: TERMINAL_EXCEPTIONS.illegalValue });
    expect(t.readHolding(H.headerAddress, H.headerCount, T0)).toEqual({
      exception: TERMINAL_EXCEPTIONS.illegalAddress,
    });
  });

  it('activates a table only when the SM3 of the entries written equals the signed digest', () => {
    const t = terminal();
    const entries = [entry(100, 200), entry(300, 400)];
    const h = hold(t, entries, T0);
    expect(h).toMatchObject({
      state: HELD_STATES.active,
      tableId: 7,
      entryCount: 2,
      entriesWritten: 2,
      digest: heldDigest(entries),
    });
    const bad = hold(t, entries, T0 + 1000, { digest: heldDigest([entry(100, 201)]) });
    expect(bad.state).toBe(HELD_STATES.digestMismatch);
    // an entry outside the sources it has: digest matches, the table is refused all the same
    expect(hold(t, [entry(100, 200, { source: 'ip' })], T0 + 2000).state).toBe(HELD_STATES.invalidEntry);
    // entries past the announced count, or not on an entry boundary, are refused
    hold(t, entries, T0 + 3000);
    expect(write(t, H.entriesAddress + 16, new Array<number>(8).fill(0), T0 + 3000)).toEqual({
      exception: TERMINAL_EXCEPTIONS.illegalValue,
    });
    expect(write(t, H.entriesAddress + 3, new Array<number>(8).fill(0), T0 + 3000)).toEqual({
      exception: TERMINAL_EXCEPTIONS.illegalAddress,
    });
  });

  it('plays nothing by itself while it hears the controller', () => {
    const t = terminal();
    hold(t, [entry(20, 40)], T0);
    for (let s = 5; s <= 60; s += 5) read(t, REGISTERS.status.address, 1, T0 + s * 1000);
    expect(t.playLog(T0 + 60_000)).toEqual([]);
    expect(log(t, T0 + 60_000).count).toBe(0);
  });

  it('plays an entry from its start when the link has been lost a hold-off before, and logs the play whole', () => {
    const t = terminal();
    hold(t, [entry(20, 40), entry(50, 60, { priority: 7 })], T0);
    // silence from T0: the link is lost at T0 + 10 s; both entries play on the terminal's own clock
    expect(t.playLog(T0 + 70_000)).toEqual([
      { handle: 0, source: 'fm', priority: 6, startAt: T0 + 20_000, endAt: T0 + 40_000, held: true },
      { handle: 0, source: 'fm', priority: 7, startAt: T0 + 50_000, endAt: T0 + 60_000, held: true },
    ]);
    const l = log(t, T0 + 70_000);
    expect(l.records).toEqual([
      { sequence: 1, tableId: 7, entryIndex: 0, outcome: 'whole', start: S0 + 20, end: S0 + 40 },
      { sequence: 2, tableId: 7, entryIndex: 1, outcome: 'whole', start: S0 + 50, end: S0 + 60 },
    ]);
    expect(write(t, H.ackAddress, encodeHeldAck(1), T0 + 71_000)).toBeNull();
    expect(log(t, T0 + 71_000)).toMatchObject({ count: 1, newest: 2, records: [{ sequence: 2 }] });
  });

  it('joins an entry when the link is lost during it, and a command when the link returns cuts the held play', () => {
    const t = terminal();
    hold(t, [entry(20, 60)], T0);
    for (let s = 5; s <= 30; s += 5) read(t, REGISTERS.status.address, 1, T0 + s * 1000); // heard until 30 s: lost at 40 s
    command(t, { code: 'stop', priority: 6, broadcastHandle: 0 }, T0 + 45_000);
    expect(t.playLog(T0 + 50_000)).toEqual([
      { handle: 0, source: 'fm', priority: 6, startAt: T0 + 40_000, endAt: T0 + 45_000, held: true },
    ]);
    expect(log(t, T0 + 50_000).records).toEqual([
      { sequence: 1, tableId: 7, entryIndex: 0, outcome: 'command', start: S0 + 40, end: S0 + 45 },
    ]);
  });

  it('does not play twice: a commanded play of equal priority covers the entry, an alert defers it', () => {
    const t = terminal();
    hold(t, [entry(20, 60), entry(80, 120)], T0);
    const play = (priority: number, from: number, to: number): CommandRecord => ({
      code: 'play',
      source: 'fm',
      priority,
      broadcastClass: priority < 5 ? 4 : 5,
      volume: 60,
      clipId: 0,
      sourceParam: 9530,
      repeat: 0,
      startAt: new Date(T0 + from * 1000),
      endAt: new Date(T0 + to * 1000),
      broadcastId: null,
    });
    command(t, play(6, 20, 60), T0 + 15_000); // the controller's own play of the slot, then silence
    command(t, play(2, 80, 90), T0 + 70_000); // an alert armed for the second entry's start, then silence
    const plays = t.playLog(T0 + 130_000);
    expect(plays).toEqual([
      { handle: 0, source: 'fm', priority: 6, startAt: T0 + 20_000, endAt: T0 + 60_000 },
      { handle: 0, source: 'fm', priority: 2, startAt: T0 + 80_000, endAt: T0 + 90_000 },
      { handle: 0, source: 'fm', priority: 6, startAt: T0 + 90_000, endAt: T0 + 120_000, held: true },
    ]);
  });
});
