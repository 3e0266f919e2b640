/**
 * Writes firmware-protocols/terminal-modbus/vectors/acceptance.json (PROTOCOL.md §8): what a terminal must answer on
 * the wire, one case per point of §1–§5 and §7. The expected replies and status fields are stated here by hand from
 * the text, never taken from the simulator; acceptance.spec.ts then runs the file against the simulator. SM2
 * signatures are randomised, so a new run writes new signatures that verify all the same.
 * Run: npm run build && node dist/device-drivers/simulator/terminal/acceptance-vectors.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeIdentity,
  encodeStatus,
  REGISTERS,
  type StatusRecord,
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
  pdu,
  play,
  read,
  refused,
  SERIAL,
  START,
  stop,
  T0,
  u16,
  u32,
  values,
  write,
  type Case,
} from './acceptance-frames';
import { commandCases } from './acceptance-commands';
import { sealRtu } from '../../modbus-crc';

const CMD = REGISTERS.command;

// ---- §1 -----------------------------------------------------------------------------------------------------------

const OTHER_FCS: [string, Buffer][] = [
  ['01-read-coils', pdu(0x01, 0, 0, 0, 1)],
  ['02-read-discrete-inputs', pdu(0x02, 0, 0, 0, 1)],
  ['04-read-input-registers', pdu(0x04, 0x01, 0, 0, 20)],
  ['05-write-single-coil', pdu(0x05, 0, 0, 0xff, 0)],
  ['06-write-single-register', pdu(0x06, 0x02, 0x00, 0x00, 0x03)],
  ['15-write-multiple-coils', pdu(0x0f, 0, 0, 0, 8, 1, 0xff)],
  ['17-report-server-id', pdu(0x11)],
  ['22-mask-write-register', pdu(0x16, 0x02, 0x00, 0xff, 0xff, 0, 0)],
  ['23-read-write-multiple', pdu(0x17, 0x01, 0, 0, 1, 0x02, 0, 0, 1, 2, 0, 3)],
  ['43-read-device-identification', pdu(0x2b, 0x0e, 0x01, 0x00)],
];

function functionCodes(): Case[] {
  const cases: Case[] = OTHER_FCS.map(([name, p]) => ({
    name: `fc-other-${name}`,
    settles: '§1: any function code but FC03 and FC16 is answered 0x01, has no effect and is not counted',
    steps: [
      {
        note: 'answered illegal function',
        request: sealRtu(1, p),
        reply: exception(p[0], 0x01),
        status: { ...IDLE, refusedCommands: 0, lastCommandSequence: 0 },
      },
    ],
  }));
  cases.push({
    name: 'broadcast-of-other-fc-ignored',
    settles: '§1: a broadcast of anything but FC16 is ignored: no reply, no effect, not counted',
    steps: [
      { note: 'FC06 broadcast', request: sealRtu(0, pdu(0x06, 0x02, 0x00, 0x00, 0x03)), reply: null },
      { note: 'FC03 broadcast', request: read(REGISTERS.status.address, 20, 0), reply: null },
      {
        note: 'FC01 broadcast',
        request: sealRtu(0, pdu(0x01, 0, 0, 0, 1)),
        reply: null,
        status: { refusedCommands: 0 },
      },
    ],
  });
  return cases;
}

const fc16 = (count: number, byteCount: number, data: number) =>
  sealRtu(1, Buffer.concat([pdu(0x10, 0x02, 0x00, ...u16(count), byteCount), Buffer.alloc(data)]));
const identity = encodeIdentity({ ...IDENTITY, mapVersion: 1 });
const REQUEST_CASES: Case[] = [
  {
    name: 'fc03-count',
    settles:
      '§1: an FC03 count of 0 or above 125 is answered 0x03 before the address is looked at; reads are not counted',
    steps: [
      { note: 'count 0', request: read(0, 0), reply: exception(3, 0x03) },
      { note: 'count 126', request: read(0, 126), reply: exception(3, 0x03) },
      {
        note: 'count 125 runs past the identity block',
        request: read(0, 125),
        reply: exception(3, 0x02),
        status: { refusedCommands: 0 },
      },
    ],
  },
  {
    name: 'fc16-count',
    settles: '§1: FC16 count 1–123 with byte count = 2 × count, else 0x03; counted in reg 15 (§3.2)',
    steps: [
      { note: 'count 0', request: fc16(0, 0, 0), reply: exception(0x10, 0x03) },
      { note: 'count 2, byte count 2', request: fc16(2, 2, 2), reply: exception(0x10, 0x03) },
      {
        note: 'count 124',
        request: fc16(124, 248, 248),
        reply: exception(0x10, 0x03),
        status: { refusedCommands: 3 },
      },
    ],
  },
  {
    name: 'read-ranges',
    settles:
      '§1: any run of registers inside one readable block may be read, from its first register or another; anything else is 0x02',
    steps: [
      {
        note: 'first 8 registers of the identity block (vendor)',
        request: read(0, 8),
        reply: values(identity.slice(0, 8)),
      },
      { note: 'status register 15 alone', request: read(REGISTERS.status.address + 15, 1), reply: values([0]) },
      { note: 'identity block and one more', request: read(0, 41), reply: exception(3, 0x02) },
      { note: 'starts before the status block', request: read(0x00ff, 2), reply: exception(3, 0x02) },
      { note: 'one past the status block', request: read(0x0114, 1), reply: exception(3, 0x02) },
      { note: 'the command block is write-only', request: read(CMD.address, 1), reply: exception(3, 0x02) },
      { note: 'no block', request: read(0x0300, 1), reply: exception(3, 0x02), status: { refusedCommands: 0 } },
    ],
  },
  {
    name: 'write-ranges',
    settles: '§1: a write covers one writable block exactly, else 0x02, counted in reg 15; the sequence does not move',
    steps: [
      {
        note: '68 registers at 0x0200',
        request: write(CMD.address, block(5, stop(0)).slice(0, 68)),
        reply: refused(0x02),
      },
      { note: '69 registers at 0x0201', request: write(CMD.address + 1, block(5, stop(0))), reply: refused(0x02) },
      { note: 'into the status block', request: write(REGISTERS.status.address + 4, [30]), reply: refused(0x02) },
      {
        note: 'into the identity block',
        request: write(0, [1]),
        reply: refused(0x02),
        status: { refusedCommands: 4, lastCommandSequence: 0 },
      },
    ],
  },
];

// ---- §3 -----------------------------------------------------------------------------------------------------------

const STATUS_IDLE: StatusRecord = {
  state: 1,
  priority: 15,
  source: 'none',
  broadcastClass: 0,
  volume: 60,
  clipId: 0,
  broadcastHandle: 0,
  faults: [],
  supplyVoltage: 24,
  temperature: 31.5,
  signalQuality: 90,
  uptimeSeconds: 0,
  crcErrors: 0,
  refusedCommands: 0,
  lastCommandSequence: 0,
  clockSeconds: T0,
};

const S = REGISTERS.status;
const unknown = { supplyVoltage: null, temperature: null, signalQuality: null };
const STATUS_CASES: Case[] = [
  {
    name: 'status-idle',
    settles: '§3: a terminal that never received a command: idle priority 15, its volume, sequence 0, its clock',
    steps: [
      { note: 'whole status block', request: read(S.address, S.count), reply: values(encodeStatus(STATUS_IDLE)) },
    ],
  },
  {
    name: 'status-unknown-measurements',
    settles: '§1, §3.2: unknown supply voltage 0xFFFF, temperature 0x8000, signal quality 0xFFFF',
    terminal: unknown,
    steps: [
      {
        note: 'whole status block',
        request: read(S.address, S.count),
        reply: values(encodeStatus({ ...STATUS_IDLE, ...unknown })),
      },
    ],
  },
  {
    name: 'clock-unknown-until-set',
    settles: '§3.2, §7: a terminal that does not know the time reads clock 0, starts plays at once, ignores end times',
    terminal: { clockKnown: false },
    steps: [
      { note: 'clock 0', request: read(S.address + 18, 2), reply: values([0, 0]) },
      {
        note: 'a play to start in an hour, to end in two',
        request: command(block(1, play(6, { startAt: new Date(START + 3600_000), endAt: new Date(START + 7200_000) }))),
        reply: ACCEPTED,
        status: { state: 5, source: 'fm', priority: 6 },
      },
      {
        note: 'clock set to T0 + 5 s',
        request: command(block(2, { code: 'clock', at: new Date(START + 5000) })),
        reply: ACCEPTED,
        status: { clockSeconds: T0 + 5 },
      },
      {
        note: 'the clock runs on; the play has no end',
        at: 3 * 3600_000,
        request: read(S.address + 18, 2),
        reply: values(u32(T0 + 5 + 3 * 3600)),
        status: { state: 5 },
      },
    ],
  },
  {
    name: 'clock-set',
    settles: '§4.2: clock set takes seconds and milliseconds 0–999; 1,000 ms is refused 0x03',
    steps: [
      {
        note: 'set to 2030-01-01T00:00:00.500Z',
        request: command(block(1, { code: 'clock', at: new Date('2030-01-01T00:00:00.500Z') })),
        reply: ACCEPTED,
        status: { clockSeconds: 1893456000 },
      },
      { note: '1.5 s later', at: 1500, request: read(S.address + 18, 2), reply: values(u32(1893456002)) },
      {
        note: 'ms 1000',
        at: 1500,
        request: command(block(2, { code: 'clock', at: new Date(START) }, { patch: (b) => b.writeUInt16BE(1000, 12) })),
        reply: refused(0x03),
        status: { lastCommandSequence: 1, refusedCommands: 1 },
      },
    ],
  },
  {
    name: 'volume',
    settles:
      '§3.2, §4.2: volume 0–100 (101 refused 0x03, not moving the sequence); 255 in a play keeps the terminal volume; a volume command changes what plays',
    steps: [
      {
        note: 'volume 65',
        request: command(block(1, { code: 'volume', volume: 65 })),
        reply: ACCEPTED,
        status: { volume: 65 },
      },
      {
        note: 'volume 101',
        request: command(block(2, { code: 'volume', volume: 0 }, { patch: param(0, 101) })),
        reply: refused(0x03),
        status: { volume: 65, refusedCommands: 1, lastCommandSequence: 1 },
      },
      {
        note: 'play volume 150',
        request: command(block(2, play(6), { patch: param(3, 150) })),
        reply: refused(0x03),
      },
      {
        note: 'play keeping the terminal volume (255)',
        request: command(block(2, play(6, { volume: 255 }))),
        reply: ACCEPTED,
        status: { state: 5, volume: 65 },
      },
      {
        note: 'volume 30 while playing',
        request: command(block(3, { code: 'volume', volume: 30 })),
        reply: ACCEPTED,
        status: { state: 5, volume: 30, refusedCommands: 2, lastCommandSequence: 3 },
      },
    ],
  },
  {
    name: 'refused-writes-counted',
    settles:
      '§3.2: reg 15 counts every FC16 request not carried out, unicast (whatever the exception) and broadcast; not 0x01 nor reads',
    steps: [
      {
        note: 'unsigned play, unicast',
        request: command(block(1, play(6), { signing: 'unsigned' })),
        reply: refused(0x41),
        status: { refusedCommands: 1 },
      },
      {
        note: 'unsigned play, broadcast',
        request: command(block(1, play(6), { signing: 'unsigned' }), 0),
        reply: null,
        status: { refusedCommands: 2, state: 1 },
      },
      {
        note: 'bad parameter, unicast',
        request: command(block(1, { code: 'amplifier', on: true }, { patch: param(0, 2) })),
        reply: refused(0x03),
        status: { refusedCommands: 3 },
      },
      {
        note: 'bad parameter, broadcast',
        request: command(block(1, { code: 'amplifier', on: true }, { patch: param(0, 2) }), 0),
        reply: null,
        status: { refusedCommands: 4 },
      },
      {
        note: 'FC06: 0x01, not counted',
        request: sealRtu(1, pdu(0x06, 0x02, 0x00, 0, 3)),
        reply: exception(0x06, 0x01),
      },
      {
        note: 'read outside: 0x02, not counted',
        request: read(0x0300, 1),
        reply: exception(3, 0x02),
        status: { refusedCommands: 4 },
      },
      { note: 'accepted play, broadcast', request: command(block(1, play(6)), 0), reply: null },
      {
        note: 'sequence 1 again, broadcast: replay',
        request: command(block(1, play(6)), 0),
        reply: null,
        status: { refusedCommands: 5, lastCommandSequence: 1, state: 5 },
      },
    ],
  },
];

export function acceptanceVectors(): object {
  return {
    comment:
      'terminal-modbus PROTOCOL.md §8. Each case: a fresh terminal at unit 1, its clock at `start`, trusting `certificate`; each step sends `request` (RTU frame, hex, CRC included) `at` ms after the start and expects `reply` (null: none) and, read afterwards, the `status` fields named as in status.ts. Written by device-drivers/simulator/terminal/acceptance-vectors.ts.',
    start: new Date(START).toISOString(),
    certificate: { serial: SERIAL, publicKey: KEY.publicKey, privateKey: KEY.privateKey },
    terminal: {
      identity: IDENTITY,
      volume: 60,
      supplyVoltage: 24,
      temperature: 31.5,
      signalQuality: 90,
      clockKnown: true,
    },
    cases: [...functionCodes(), ...REQUEST_CASES, ...STATUS_CASES, ...commandCases()].map((c) => ({
      name: c.name,
      settles: c.settles,
      ...(c.terminal ? { terminal: c.terminal } : {}),
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
  const file = join(__dirname, '../../../../firmware-protocols/terminal-modbus/vectors/acceptance.json');
  writeFileSync(process.argv[2] ?? file, `${JSON.stringify(acceptanceVectors(), null, 1)}\n`);
}
