/**
 * Acceptance vectors of terminal-modbus PROTOCOL.md §4, §5 and §7 (see acceptance-vectors.ts): priority, test tone,
 * parameters and their BCD, the signature, the order of the checks, stop, synchronised start, amplifier, reboot.
 */
import { broadcastHandle, REGISTERS } from '../../../firmware-protocols/terminal-modbus';
import {
  ACCEPTED,
  block,
  command,
  ID,
  IDLE,
  param,
  play,
  read,
  refused,
  START,
  stop,
  tone,
  values,
  type Case,
} from './acceptance-frames';

const H = broadcastHandle(ID);
const S = REGISTERS.status.address;
/** Status registers 0–5: state, priority, source, class, volume, clip. */
const head = (): Buffer => read(S, 6);
const code99 = (b: Buffer) => b.writeUInt16BE(99, 0);

const PRIORITY_CASES: Case[] = [
  {
    name: 'priority-direction',
    settles: '§4.3: the smaller number wins; a play or stop is obeyed at a number ≤ status reg 1, else 0x44',
    steps: [
      {
        note: 'idle: village play (8)',
        request: command(block(1, play(8))),
        reply: ACCEPTED,
        status: { priority: 8 },
      },
      {
        note: 'town play (7) over village',
        request: command(block(2, play(7))),
        reply: ACCEPTED,
        status: { priority: 7 },
      },
      {
        note: 'county play (6) over town',
        request: command(block(3, play(6))),
        reply: ACCEPTED,
        status: { priority: 6 },
      },
      { note: 'village play (8) under county', request: command(block(4, play(8))), reply: refused(0x44) },
      { note: 'emergency Ⅱ play (2)', request: command(block(4, play(2))), reply: ACCEPTED, status: { priority: 2 } },
      { note: 'emergency Ⅱ again: equal priority replaces', request: command(block(5, play(2))), reply: ACCEPTED },
      { note: 'test tone (5) under emergency Ⅱ', request: command(block(6, tone(3))), reply: refused(0x44) },
      {
        note: 'stop at 6 under emergency Ⅱ',
        request: command(block(6, stop(6))),
        reply: refused(0x44),
        status: { priority: 2, state: 5 },
      },
      {
        note: 'stop at 2',
        request: command(block(6, stop(2))),
        reply: ACCEPTED,
        status: { ...IDLE, lastCommandSequence: 6, refusedCommands: 3 },
      },
    ],
  },
  {
    name: 'test-tone-cuts-off',
    settles:
      '§4.2: a test tone is a play at priority 5, source tone, class 1; it cuts off a county play, which does not resume',
    steps: [
      { note: 'county play (6)', request: command(block(1, play(6))), reply: ACCEPTED },
      {
        note: 'test tone 2 s at volume 50',
        request: command(block(2, tone(2, 50))),
        reply: ACCEPTED,
        status: {
          state: 5,
          priority: 5,
          source: 'tone',
          broadcastClass: 1,
          volume: 50,
          clipId: 0,
          broadcastHandle: 0,
        },
      },
      { note: 'still sounding after 1.999 s', at: 1999, request: head(), reply: values([5, 5, 5, 1, 50, 0]) },
      {
        note: 'after 2 s: idle, the county play is not resumed',
        at: 2000,
        request: head(),
        reply: values([1, 15, 0, 0, 60, 0]),
        status: { broadcastHandle: 0 },
      },
    ],
  },
  {
    name: 'test-tone-parameters',
    settles: '§4.2: test tone seconds 1–65,535 and volume 0–100, else 0x03; refused 0x44 under an emergency',
    steps: [
      {
        note: 'seconds 0',
        request: command(block(1, tone(1), { patch: (b) => b.writeUInt16BE(0, 8) })),
        reply: refused(0x03),
      },
      { note: 'volume 101', request: command(block(1, tone(1), { patch: param(2, 101) })), reply: refused(0x03) },
      { note: 'emergency Ⅲ play (3)', request: command(block(1, play(3))), reply: ACCEPTED },
      {
        note: 'test tone under it',
        request: command(block(2, tone(1))),
        reply: refused(0x44),
        status: { priority: 3, lastCommandSequence: 1, refusedCommands: 3 },
      },
    ],
  },
];

const startMs = (ms: number) => (b: Buffer) => b.writeUInt16BE(ms, 8 + 14);
const PARAMETER_CASES: Case[] = [
  {
    name: 'broadcast-id-bcd',
    settles:
      '§1, §4.2: the broadcast id is the pad nibble 0xF then 35 digits in bytes 24–41; another pad or a nibble above 9 is 0x03',
    steps: [
      {
        note: 'pad nibble 0 (byte 24 = 0x04)',
        request: command(block(1, play(6), { patch: param(24, 0x04) })),
        reply: refused(0x03),
      },
      {
        note: 'pad nibble 0xA',
        request: command(block(1, play(6), { patch: param(24, 0xa4) })),
        reply: refused(0x03),
      },
      {
        note: 'digit nibble 0xA at byte 30',
        request: command(block(1, play(6), { patch: param(30, 0x1a) })),
        reply: refused(0x03),
      },
      { note: 'month 13', request: command(block(1, play(6), { patch: param(38, 0x13) })), reply: refused(0x03) },
      {
        note: 'pad 0xF: f4 34 15 23 …',
        request: command(block(1, play(6))),
        reply: ACCEPTED,
        status: { broadcastHandle: H, lastCommandSequence: 1, refusedCommands: 4 },
      },
    ],
  },
  {
    name: 'play-parameters',
    settles:
      '§4.2: play source 1–5 and one the terminal has, class 0–5, priority 0–15, volume 0–100 or 255, start ms 0–999, else 0x03',
    steps: [
      {
        note: 'source IP, missing from identity reg 35',
        request: command(block(1, play(6, { source: 'ip' }))),
        reply: refused(0x03),
      },
      { note: 'source 0', request: command(block(1, play(6), { patch: param(0, 0) })), reply: refused(0x03) },
      { note: 'source 6', request: command(block(1, play(6), { patch: param(0, 6) })), reply: refused(0x03) },
      { note: 'priority 16', request: command(block(1, play(6), { patch: param(1, 16) })), reply: refused(0x03) },
      { note: 'class 6', request: command(block(1, play(6), { patch: param(2, 6) })), reply: refused(0x03) },
      {
        note: 'start ms 1000',
        request: command(block(1, play(6, { startAt: new Date(START + 1000) }), { patch: startMs(1000) })),
        reply: refused(0x03),
        status: { ...IDLE, lastCommandSequence: 0, refusedCommands: 6 },
      },
      {
        note: 'line-in, volume 0 (mute)',
        request: command(block(1, play(6, { source: 'line-in', volume: 0, sourceParam: 1 }))),
        reply: ACCEPTED,
        status: { state: 5, source: 'line-in', volume: 0 },
      },
    ],
  },
];

const flip = (b: Buffer) => (b[8 + 1] ^= 1);
const SIGNATURE_CASES: Case[] = [
  {
    name: 'signature-absent',
    settles:
      '§5.1: absent = the 64 signature bytes all zero, whatever time and serial hold (0x41); an unknown or all-zero serial is 0x42; the signing time is not checked (§5.5)',
    steps: [
      {
        note: 'time and serial set, signature zero',
        request: command(block(1, play(6), { signing: { signature: 'zero' } })),
        reply: refused(0x41),
      },
      {
        note: 'time, serial and signature zero',
        request: command(block(1, play(6), { signing: 'unsigned' })),
        reply: refused(0x41),
      },
      {
        note: 'unknown serial, signature zero: absent wins',
        request: command(block(1, play(6), { signing: { serial: '000000000099', signature: 'zero' } })),
        reply: refused(0x41),
      },
      {
        note: 'unknown serial, signature present',
        request: command(block(1, play(6), { signing: { serial: '000000000099' } })),
        reply: refused(0x42),
      },
      {
        note: 'all-zero serial, signature present',
        request: command(block(1, play(6), { signing: { serial: '000000000000' } })),
        reply: refused(0x42),
      },
      {
        note: 'priority changed after signing',
        request: command(block(1, play(6), { tamper: flip })),
        reply: refused(0x41),
        status: { refusedCommands: 6, lastCommandSequence: 0 },
      },
      { note: 'signing time 0', request: command(block(1, play(6), { signing: { time: 0 } })), reply: ACCEPTED },
      {
        note: 'signed in 2001, far from the terminal clock',
        request: command(block(2, play(6), { signing: { time: 978307200 } })),
        reply: ACCEPTED,
        status: { lastCommandSequence: 2, refusedCommands: 6 },
      },
    ],
  },
  {
    name: 'check-order',
    settles:
      '§5.4: signature, certificate, signature, sequence, code and parameters, priority, clip; a refused command does not move the sequence',
    steps: [
      {
        note: 'sequence 0 on a fresh terminal',
        request: command(block(0, { code: 'volume', volume: 40 })),
        reply: refused(0x43),
      },
      { note: 'sequence 1 accepted', request: command(block(1, { code: 'volume', volume: 40 })), reply: ACCEPTED },
      {
        note: 'replayed sequence with a bad parameter: 0x43, not 0x03',
        request: command(block(1, { code: 'volume', volume: 0 }, { patch: param(0, 101) })),
        reply: refused(0x43),
      },
      {
        note: 'unsigned, unknown command code: 0x41',
        request: command(block(5, { code: 'reboot' }, { patch: code99, signing: 'unsigned' })),
        reply: refused(0x41),
      },
      {
        note: 'unknown certificate, replayed: 0x42',
        request: command(block(1, { code: 'reboot' }, { signing: { serial: '000000000099' } })),
        reply: refused(0x42),
      },
      {
        note: 'forged, replayed: 0x41',
        request: command(block(1, { code: 'reboot' }, { tamper: (b) => (b[9] ^= 1) })),
        reply: refused(0x41),
      },
      {
        note: 'fresh sequence 2, bad parameter: 0x03',
        request: command(block(2, { code: 'amplifier', on: true }, { patch: param(0, 2) })),
        reply: refused(0x03),
        status: { lastCommandSequence: 1 },
      },
      {
        note: 'sequence 2 again, good: accepted (0x03 did not move it)',
        request: command(block(2, { code: 'volume', volume: 50 })),
        reply: ACCEPTED,
        status: { lastCommandSequence: 2 },
      },
      {
        note: 'signed unknown command code 99: 0x03',
        request: command(block(3, { code: 'reboot' }, { patch: code99 })),
        reply: refused(0x03),
      },
      { note: 'emergency Ⅱ play (2)', request: command(block(3, play(2))), reply: ACCEPTED },
      {
        note: 'outranked play of a clip not stored: 0x44',
        request: command(block(4, play(6, { source: 'stored', clipId: 77 }))),
        reply: refused(0x44),
      },
      {
        note: 'play of a clip not stored at priority 2: 0x45',
        request: command(block(4, play(2, { source: 'stored', clipId: 77 }))),
        reply: refused(0x45),
        status: { lastCommandSequence: 3, refusedCommands: 9 },
      },
    ],
  },
];

const PLAY_CASES: Case[] = [
  {
    name: 'stop',
    settles:
      '§4.2: a stop with nothing playing, or for another handle, is accepted and changes nothing; handle 0 stops whatever plays',
    steps: [
      {
        note: 'stop while idle',
        request: command(block(1, stop(6))),
        reply: ACCEPTED,
        status: { ...IDLE, lastCommandSequence: 1 },
      },
      { note: 'play (6)', request: command(block(2, play(6))), reply: ACCEPTED, status: { broadcastHandle: H } },
      {
        note: 'stop of another handle',
        request: command(block(3, stop(6, 12345))),
        reply: ACCEPTED,
        status: { state: 5, lastCommandSequence: 3 },
      },
      { note: 'stop of its handle', request: command(block(4, stop(6, H))), reply: ACCEPTED, status: IDLE },
      { note: 'play (6) again', request: command(block(5, play(6))), reply: ACCEPTED },
      { note: 'stop of handle 0', request: command(block(6, stop(6))), reply: ACCEPTED, status: IDLE },
    ],
  },
  {
    name: 'synchronised-start',
    settles:
      '§7: a play is armed until its start time (state 1, priority and handle shown, judged against); sounds at its start; ends at its end',
    steps: [
      {
        note: 'play (4) from T0 + 2.250 s to T0 + 5 s',
        request: command(block(1, play(4, { startAt: new Date(START + 2250), endAt: new Date(START + 5000) }))),
        reply: ACCEPTED,
        status: { state: 1, priority: 4, source: 'none', broadcastClass: 0, broadcastHandle: H },
      },
      {
        note: 'a county play is judged against the armed play',
        request: command(block(2, play(6))),
        reply: refused(0x44),
      },
      { note: 'armed at 2.249 s', at: 2249, request: read(S, 3), reply: values([1, 4, 0]) },
      { note: 'sounding at 2.250 s', at: 2250, request: read(S, 3), reply: values([5, 4, 2]) },
      { note: 'over at 5 s', at: 5000, request: read(S, 3), reply: values([1, 15, 0]) },
    ],
  },
  {
    name: 'start-in-the-past',
    settles: '§7: a start time already past starts at once; the play still ends at its end time',
    steps: [
      {
        note: 'play started 10 s ago, ends in 1 s',
        request: command(block(1, play(6, { startAt: new Date(START - 10_000), endAt: new Date(START + 1000) }))),
        reply: ACCEPTED,
        status: { state: 5 },
      },
      { note: 'over at 1 s', at: 1000, request: read(S, 2), reply: values([1, 15]) },
    ],
  },
  {
    name: 'amplifier',
    settles: '§4.2: amplifier off silences (state 2) without ending the play; on again it sounds; other values 0x03',
    steps: [
      { note: 'play (6)', request: command(block(1, play(6))), reply: ACCEPTED },
      {
        note: 'amplifier off',
        request: command(block(2, { code: 'amplifier', on: false })),
        reply: ACCEPTED,
        status: { state: 2, priority: 6 },
      },
      {
        note: 'amplifier on',
        request: command(block(3, { code: 'amplifier', on: true })),
        reply: ACCEPTED,
        status: { state: 5, priority: 6 },
      },
      {
        note: 'amplifier 2',
        request: command(block(4, { code: 'amplifier', on: true }, { patch: param(0, 2) })),
        reply: refused(0x03),
      },
    ],
  },
  {
    name: 'reboot',
    settles:
      '§4.2: reboot answers, then loses what plays; the last sequence and the counters survive; uptime starts again',
    steps: [
      {
        note: 'unsigned play: one refusal',
        request: command(block(1, play(6), { signing: 'unsigned' })),
        reply: refused(0x41),
      },
      { note: 'play (6)', request: command(block(1, play(6))), reply: ACCEPTED },
      {
        note: 'reboot at 5 s',
        at: 5000,
        request: command(block(2, { code: 'reboot' })),
        reply: ACCEPTED,
        status: { ...IDLE, uptimeSeconds: 0, lastCommandSequence: 2, refusedCommands: 1 },
      },
      { note: 'uptime 2 s later', at: 7000, request: read(S + 12, 2), reply: values([0, 2]) },
    ],
  },
];

export function commandCases(): Case[] {
  return [...PRIORITY_CASES, ...PARAMETER_CASES, ...SIGNATURE_CASES, ...PLAY_CASES];
}
