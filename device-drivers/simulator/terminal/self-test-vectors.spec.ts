/**
 * Runs firmware-protocols/terminal-modbus/vectors/self-test.json (PROTOCOL.md §3.3, §4.2 code 8) against the
 * simulator, as acceptance.spec.ts runs acceptance.json: a fresh SimulatedTerminal per case at unit 1 on a VirtualBus,
 * each step's frame on the wire at its time, the reply compared byte for byte; and the codec's own vectors.
 */
import vectors from '../../../firmware-protocols/terminal-modbus/vectors/self-test.json';
import {
  decodeSelfTest,
  decodeStatus,
  encodeCommandBody,
  encodeSelfTest,
  parseCommandBlock,
  REGISTERS,
  type CommandRecord,
  type IdentityRecord,
  type SelfTestRecord,
} from '../../../firmware-protocols/terminal-modbus';
import { bytesToRegisters } from '../../../firmware-protocols/terminal-modbus/words';
import { sealRtu } from '../../modbus-crc';
import { ManualClock } from '../../transport/clock';
import { VirtualBus, type BusTiming, type UnitFault } from '../modbus/virtual-bus';
import { CommandVerifier } from './command-verifier';
import { SimulatedTerminal } from './simulated-terminal';

const INSTANT: BusTiming = { frameMs: () => 0, gapMs: 0, turnaroundMs: 0, broadcastDelayMs: 0 };
const START = Date.parse(vectors.start);

function rig(selfTest: boolean, fault: UnitFault | undefined) {
  const clock = new ManualClock(START);
  const bus = new VirtualBus({ timing: INSTANT, clock });
  const { identity, supplyVoltage, batteryVoltage, clockKnown } = vectors.terminal;
  const terminal = new SimulatedTerminal({
    now: START,
    identity: identity as Omit<IdentityRecord, 'mapVersion'>,
    verifier: new CommandVerifier(
      [{ serial: vectors.certificate.serial, publicKeyHex: vectors.certificate.publicKey }],
      0,
    ),
    supplyVoltage,
    batteryVoltage,
    clockKnown,
    selfTest,
  });
  bus.attach(1, terminal);
  if (fault) bus.setFault(1, fault);
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
  return { clock, send, status };
}

describe('self-test vectors (PROTOCOL.md §3.3, §4.2 code 8)', () => {
  it('codec: the command body and the result block', () => {
    const c = vectors.codec.command;
    const body = encodeCommandBody(c.sequence, c.record as CommandRecord);
    expect(body.toString('hex')).toBe(c.body);
    const regs = [...bytesToRegisters(Buffer.concat([body, Buffer.alloc(74)]))];
    expect(parseCommandBlock(regs).command).toEqual(c.record);
    const r = vectors.codec.result;
    expect(encodeSelfTest(r.record as SelfTestRecord)).toEqual(r.registers);
    expect(decodeSelfTest(r.registers)).toEqual(r.record);
  });

  describe.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it(c.settles, () => {
      const { clock, send, status } = rig(
        'selfTest' in c ? c.selfTest !== false : true,
        'unitFault' in c ? (c.unitFault as UnitFault) : undefined,
      );
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
});

describe('a simulated county with self-test findings', () => {
  it('gives about 1 % of the live terminals a latent fault and about 1 % older firmware, the dead ones untouched', async () => {
    const { startCountyNetwork } = await import('../county-network');
    const { referenceCounty } = await import('../county-shape');
    const shape = referenceCounty();
    const { network } = await startCountyNetwork({
      shape,
      clock: new ManualClock(START),
      seed: 1,
      deadFraction: 0.05,
      selfTestFindings: 0.01,
    });
    try {
      const faults = network.gateways.flatMap((g) => g.bus.unitIds().map((u) => g.bus.fault(u)));
      const latent = faults.filter((f) =>
        ['speaker-line-short', 'amplifier-low', 'battery-low', 'mains-lost'].includes(f),
      );
      expect(latent.length / faults.length).toBeGreaterThan(0.004);
      expect(latent.length / faults.length).toBeLessThan(0.02);
      expect(network.deadUnits().length / faults.length).toBeGreaterThan(0.03);
    } finally {
      await network.stop();
    }
  });
});
