/**
 * The timelines of firmware-protocols/terminal-modbus/vectors/held.json (PROTOCOL.md §9.4) against the simulated
 * terminal: a table committed at 0 s, the requests it heard, the commands it got; what it sounded and logged.
 */
import vec from '../../../firmware-protocols/terminal-modbus/vectors/held.json';
import {
  buildCommandBlock,
  decodeHeldLog,
  heldDigest,
  heldEntryWrites,
  REGISTERS,
  type CommandRecord,
  type HeldEntry,
} from '../../../firmware-protocols/terminal-modbus';
import { heldTerminal, S0, signer, T0 } from './held-spec-fixture';

const H = REGISTERS.held;

describe.each(vec.timelines)('held timeline: $name', (tl) => {
  it('sounds and logs as the vector says', () => {
    let seq = 1;
    const t = heldTerminal();
    const at = (s: number) => T0 + s * 1000;
    const write = (address: number, values: number[], s: number) => {
      t.heard(at(s));
      return t.writeRegisters(address, values, at(s), false);
    };
    const command = (c: CommandRecord, s: number) =>
      write(REGISTERS.command.address, buildCommandBlock(seq++, c, { signer, time: new Date(at(s)) }), s);
    const entries: HeldEntry[] = tl.entries.map(([from, to, priority]) => ({
      start: S0 + from,
      end: S0 + to,
      source: 'fm',
      priority,
      volume: 70,
      sourceParam: 9530,
    }));
    command(
      {
        code: 'hold-schedule',
        tableId: 9,
        entryCount: entries.length,
        validFrom: S0,
        validUntil: S0 + 86_400,
        holdOffSeconds: tl.holdOffSeconds,
        digest: heldDigest(entries),
      },
      0,
    );
    for (const [address, regs] of heldEntryWrites(entries)) expect(write(address, regs, 0)).toBeNull();
    expect(write(H.commitAddress, [9], 0)).toBeNull();
    const events: [number, () => void][] = [
      ...tl.heard.map((s): [number, () => void] => [s, () => t.heard(at(s))]),
      ...tl.commands.map((c): [number, () => void] => {
        const [code, s, priority, from, to] = c as [string, number, number, number?, number?];
        const record: CommandRecord =
          code === 'stop'
            ? { code: 'stop', priority, broadcastHandle: 0 }
            : {
                code: 'play',
                source: 'fm',
                priority,
                broadcastClass: priority < 5 ? 4 : 5,
                volume: 60,
                clipId: 0,
                sourceParam: 9530,
                repeat: 0,
                startAt: new Date(at(from ?? s)),
                endAt: new Date(at(to ?? s)),
                broadcastId: null,
              };
        return [s, () => expect(command(record, s)).toBeNull()];
      }),
    ];
    for (const [, run] of events.sort((a, b) => a[0] - b[0])) run();
    const sounded = t
      .playLog(at(tl.at))
      .map((p) => [(p.startAt - T0) / 1000, ((p.endAt ?? 0) - T0) / 1000, p.priority]);
    expect(sounded).toEqual(tl.plays);
    t.heard(at(tl.at));
    const log = decodeHeldLog(t.readHolding(H.logAddress, 124, at(tl.at)) as number[]);
    expect(log.records.map((r) => [r.entryIndex, r.outcome, r.start - S0, r.end - S0])).toEqual(tl.log);
  });
});
