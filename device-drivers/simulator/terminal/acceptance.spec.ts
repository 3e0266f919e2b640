/**
 * Runs firmware-protocols/terminal-modbus/vectors/acceptance.json (PROTOCOL.md §8) against the simulator: one fresh
 * SimulatedTerminal per case at unit 1 on a VirtualBus (the simulator's Modbus front), each step's RTU frame put on
 * the wire at its time, the reply compared byte for byte, the status fields read afterwards through the bus.
 */
import vectors from '../../../firmware-protocols/terminal-modbus/vectors/acceptance.json';
import { decodeStatus, REGISTERS, type IdentityRecord } from '../../../firmware-protocols/terminal-modbus';
import { bytesToRegisters } from '../../../firmware-protocols/terminal-modbus/words';
import { sealRtu } from '../../modbus-crc';
import { ManualClock } from '../../transport/clock';
import { VirtualBus, type BusTiming } from '../modbus/virtual-bus';
import { CommandVerifier } from './command-verifier';
import { SimulatedTerminal, type SimulatedTerminalOptions } from './simulated-terminal';

/** No wire time: a step's `at` is exactly when the terminal sees it. Line timing has its own specs. */
const INSTANT: BusTiming = { frameMs: () => 0, gapMs: 0, turnaroundMs: 0, broadcastDelayMs: 0 };
const START = Date.parse(vectors.start);

type Setup = Partial<Pick<SimulatedTerminalOptions, 'supplyVoltage' | 'temperature' | 'signalQuality' | 'clockKnown'>>;

function rig(setup: Setup = {}) {
  const clock = new ManualClock(START);
  const bus = new VirtualBus({ timing: INSTANT, clock });
  const { identity, supplyVoltage, temperature, signalQuality, clockKnown } = vectors.terminal;
  const terminal = new SimulatedTerminal({
    now: START,
    identity: identity as Omit<IdentityRecord, 'mapVersion'>,
    // the terminal's verification time would move the clock between steps
    verifier: new CommandVerifier(
      [{ serial: vectors.certificate.serial, publicKeyHex: vectors.certificate.publicKey }],
      0,
    ),
    supplyVoltage,
    temperature,
    signalQuality,
    clockKnown,
    ...setup,
  });
  bus.attach(1, terminal);
  /** Puts a frame on the wire and returns the reply, or null when none comes. */
  const send = (frame: Buffer): Buffer | null => {
    let reply: Buffer | null = null;
    bus.transmit(frame, (r) => (reply = r));
    clock.advance(0);
    return reply;
  };
  const status = () => {
    const r = send(sealRtu(1, Buffer.from([3, 0x01, 0x00, 0, REGISTERS.status.count])));
    if (r === null) throw new Error('status read unanswered');
    return decodeStatus(bytesToRegisters(r.subarray(3, r.length - 2)));
  };
  return { clock, terminal, send, status };
}

describe('terminal acceptance vectors (PROTOCOL.md §8) against the simulator', () => {
  it('cover every point the text settles', () => {
    const names = vectors.cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['fc-other-06-write-single-register', 'check-order', 'signature-absent', 'test-tone-cuts-off'])
      expect(names).toContain(n);
  });

  describe.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it(c.settles, () => {
      const { clock, send, status } = rig('terminal' in c ? c.terminal : {});
      for (const step of c.steps) {
        const due = START + step.at;
        if (due > clock.now()) clock.advance(due - clock.now());
        const reply = send(Buffer.from(step.request, 'hex'));
        expect({ step: step.note, reply: reply?.toString('hex') ?? null }).toEqual({
          step: step.note,
          reply: step.reply,
        });
        if ('status' in step)
          expect({ step: step.note, ...status() }).toMatchObject({ step: step.note, ...step.status });
      }
    });
  });

  it('counts refused writes modulo 65,536 (§3.2)', () => {
    const { terminal, status } = rig();
    for (let i = 0; i < 65_537; i++) terminal.writeRegisters(0x0000, [1], START, false);
    expect(status().refusedCommands).toBe(1);
  });
});
