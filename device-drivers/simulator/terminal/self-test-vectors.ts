/**
 * Writes firmware-protocols/terminal-modbus/vectors/self-test.json (PROTOCOL.md §3.3, §4.2 code 8): the codec's
 * vectors for the command parameters and the result block, and the self-test's behaviour on the wire, in the format
 * of acceptance.json (§8) with two more setup fields per case: `selfTest` false for a terminal without it, and
 * `unitFault`, a simulator fault given before the first step. Every expected answer is written here from the text;
 * self-test-vectors.spec.ts runs the file against the simulator.
 * Run: npm run build && node dist/device-drivers/simulator/terminal/self-test-vectors.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeCommandBody,
  encodeSelfTest,
  REGISTERS,
  type CommandRecord,
  type SelfTestRecord,
} from '../../../firmware-protocols/terminal-modbus';
import {
  ACCEPTED,
  block,
  command,
  exception,
  IDENTITY,
  IDLE,
  KEY,
  param,
  play,
  read,
  refused,
  SERIAL,
  START,
  T0,
  u32,
  values,
  write,
  type Case,
  type Step,
} from './acceptance-frames';

const ST = REGISTERS.selfTest;
const UNKNOWN = 0xffff;
const selfTest = (testId: number, checks = 0x0f): CommandRecord => ({ code: 'self-test', testId, checks });
const result = (): Step['request'] => read(ST.address, ST.count);
const running = (id: number) => values([id, 1, 0, 0, 0, 0, 0, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
/** The vectors' terminal: supply 24.0 V (status reg 9), a 13.2 V battery, the simulator's 10 V test output, 330 Ω line. */
const passed = (id: number, endSeconds: number) => values([id, 2, ...u32(endSeconds), 1, 1, 1, 1, 100, 330, 240, 132]);

type SelfTestCase = Case & { selfTest?: boolean; unitFault?: string };

const CASES: SelfTestCase[] = [
  {
    name: 'self-test-passes-silently',
    settles:
      '§3.3: accepted when idle; running at once (no sound: status stays idle); done within 10 s with every check and its value',
    steps: [
      { note: 'self-test 7, every check', request: command(block(1, selfTest(7))), reply: ACCEPTED, status: IDLE },
      { note: 'result block while it runs', request: result(), reply: running(7) },
      { note: 'status: still idle, nothing sounds', at: 1500, request: read(0x0100, 4), reply: values([1, 15, 0, 0]) },
      { note: 'done after the simulator’s 3 s', at: 3000, request: result(), reply: passed(7, T0 + 3) },
      {
        note: 'a partial read inside the block',
        at: 3000,
        request: read(ST.address + 4, 4),
        reply: values([1, 1, 1, 1]),
      },
    ],
  },
  {
    name: 'self-test-refused-while-playing',
    settles: '§3.3: refused 0x44 while any play is armed or sounding, whatever its priority; never deferred',
    steps: [
      { note: 'village play (8)', request: command(block(1, play(8))), reply: ACCEPTED },
      {
        note: 'self-test under it',
        request: command(block(2, selfTest(3))),
        reply: refused(0x44),
        status: { state: 5, priority: 8, lastCommandSequence: 1, refusedCommands: 1 },
      },
      {
        note: 'no test ran',
        request: result(),
        reply: values([0, 0, 0, 0, 0, 0, 0, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]),
      },
    ],
  },
  {
    name: 'self-test-aborted-by-play',
    settles:
      '§3.3: a play obeyed while the test runs ends it as aborted (state 3, nothing measured) and sounds at once',
    steps: [
      { note: 'self-test 9', request: command(block(1, selfTest(9))), reply: ACCEPTED },
      {
        note: 'village play (8) 1 s later',
        at: 1000,
        request: command(block(2, play(8))),
        reply: ACCEPTED,
        status: { state: 5 },
      },
      {
        note: 'aborted at the play',
        at: 3000,
        request: result(),
        reply: values([9, 3, ...u32(T0 + 1), 0, 0, 0, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]),
      },
    ],
  },
  {
    name: 'self-test-finds-line-short',
    settles: '§3.3: a speaker line short is verdict 3 with its impedance; the status fault bitmap does not change',
    unitFault: 'speaker-line-short',
    steps: [
      { note: 'self-test 11', request: command(block(1, selfTest(11))), reply: ACCEPTED },
      {
        note: 'line short at 2 Ω',
        at: 3000,
        request: result(),
        reply: values([11, 2, ...u32(T0 + 3), 1, 3, 1, 1, 100, 2, 240, 132]),
        status: { state: 1, faults: [] },
      },
    ],
  },
  {
    name: 'self-test-chosen-checks',
    settles: '§4.2: the checks byte chooses; a check not asked reads 0 and unknown; mains lost is supply verdict 3',
    unitFault: 'mains-lost',
    steps: [
      {
        note: 'self-test 12: amplifier and supply (0x05)',
        request: command(block(1, selfTest(12, 0x05))),
        reply: ACCEPTED,
      },
      {
        note: 'supply: mains lost, 0 V',
        at: 3000,
        request: result(),
        reply: values([12, 2, ...u32(T0 + 3), 1, 0, 3, 0, 100, UNKNOWN, 0, UNKNOWN]),
      },
    ],
  },
  {
    name: 'self-test-parameters',
    settles: '§4.2: test id 1–65,535 and checks 1–15, else 0x03 (after the signature and replay checks)',
    steps: [
      { note: 'checks 0', request: command(block(1, selfTest(1), { patch: param(2, 0) })), reply: refused(0x03) },
      { note: 'checks 16', request: command(block(1, selfTest(1), { patch: param(2, 16) })), reply: refused(0x03) },
      {
        note: 'test id 0',
        request: command(block(1, selfTest(1), { patch: (b) => b.writeUInt16BE(0, 8) })),
        reply: refused(0x03),
      },
      { note: 'replayed sequence 0', request: command(block(0, selfTest(1))), reply: refused(0x43) },
      { note: 'unsigned', request: command(block(1, selfTest(1), { signing: 'unsigned' })), reply: refused(0x41) },
    ],
  },
  {
    name: 'self-test-block-reads',
    settles: '§3.3: reads of 1–12 registers inside 0x0140–0x014B; past the end 0x02; the block is read-only (0x02)',
    steps: [
      { note: '13 registers', request: read(ST.address, ST.count + 1), reply: exception(3, 0x02) },
      { note: 'from 0x014B, 2 registers', request: read(ST.address + 11, 2), reply: exception(3, 0x02) },
      { note: 'a write into it', request: write(ST.address, [1]), reply: exception(0x10, 0x02) },
    ],
  },
  {
    name: 'self-test-not-supported',
    settles: '§3.3: a terminal without the self-test refuses code 8 with 0x03 and answers a read of 0x0140 with 0x02',
    selfTest: false,
    steps: [
      {
        note: 'self-test',
        request: command(block(1, selfTest(1))),
        reply: refused(0x03),
        status: { refusedCommands: 1 },
      },
      { note: 'result block', request: result(), reply: exception(3, 0x02) },
    ],
  },
  {
    name: 'self-test-lost-at-restart',
    settles: '§3.3: the block reads "none" after a restart (reboot command)',
    steps: [
      { note: 'self-test 5', request: command(block(1, selfTest(5))), reply: ACCEPTED },
      { note: 'done', at: 3000, request: result(), reply: passed(5, T0 + 3) },
      { note: 'reboot', at: 3000, request: command(block(2, { code: 'reboot' })), reply: ACCEPTED },
      {
        note: 'nothing to report',
        at: 3000,
        request: result(),
        reply: values([0, 0, 0, 0, 0, 0, 0, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]),
      },
    ],
  },
];

const RECORD: SelfTestRecord = {
  testId: 513,
  state: 'done',
  finishedAtSeconds: T0 + 3,
  checks: {
    amplifier: { verdict: 'output-low', value: 4.2 },
    speakerLine: { verdict: 'open', value: 65_534 },
    supply: { verdict: 'ok', value: 23.9 },
    battery: { verdict: 'not-fitted', value: null },
  },
};

export function selfTestVectors(): object {
  return {
    comment:
      'terminal-modbus PROTOCOL.md §3.3 and §4.2 code 8. `codec`: command body bytes 0–63 (unsigned) and result-block registers for a record. `cases`: as acceptance.json (§8), plus per case `selfTest` (false: a terminal without the self-test) and `unitFault` (a simulator fault set before the first step). Written by device-drivers/simulator/terminal/self-test-vectors.ts.',
    start: new Date(START).toISOString(),
    certificate: { serial: SERIAL, publicKey: KEY.publicKey, privateKey: KEY.privateKey },
    terminal: { identity: IDENTITY, supplyVoltage: 24, batteryVoltage: 13.2, clockKnown: true },
    codec: {
      command: {
        record: selfTest(513, 0x0b),
        sequence: 42,
        body: encodeCommandBody(42, selfTest(513, 0x0b)).toString('hex'),
      },
      result: { record: RECORD, registers: encodeSelfTest(RECORD) },
    },
    cases: CASES.map((c) => ({
      name: c.name,
      settles: c.settles,
      ...(c.selfTest === undefined ? {} : { selfTest: c.selfTest }),
      ...(c.unitFault === undefined ? {} : { unitFault: c.unitFault }),
      steps: c.steps.map((s) => ({
        note: s.note,
        at: s.at ?? 0,
        request: s.request.toString('hex'),
        reply: s.reply === null ? null : s.reply.toString('hex'),
        ...(s.status ? { status: s.status } : {}),
      })),
    })),
  };
}

if (require.main === module) {
  const file = join(__dirname, '../../../../firmware-protocols/terminal-modbus/vectors/self-test.json');
  writeFileSync(process.argv[2] ?? file, `${JSON.stringify(selfTestVectors(), null, 1)}\n`);
}
