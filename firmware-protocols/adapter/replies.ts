/**
 * Adapter → platform bodies of the command protocol (PROTOCOL.md §4): replies 0x12–0x17, 0x21, 0x22; task start
 * 0x18 and end 0x19; heartbeat 0x20.
 */
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { keyOf } from './commands';
import { ADAPTER_STATES, COMMANDS, REPLY_CODES, REPLY_FOR, REPORTS, RESULTS, type CommandName } from './layout';

export type ResultName = keyof typeof RESULTS;
export type AdapterState = keyof typeof ADAPTER_STATES;

export type AdapterMessage =
  | { kind: 'reply'; answers: CommandName; result: ResultName; data: Buffer }
  | { kind: 'taskStart' | 'taskEnd'; broadcastId: string; at: Date; terminals: string[] }
  | { kind: 'heartbeat'; state: AdapterState; at: Date };

export function messageCode(m: AdapterMessage): number {
  switch (m.kind) {
    case 'reply':
      return REPLY_FOR[m.answers];
    case 'taskStart':
      return REPORTS.taskStart;
    case 'taskEnd':
      return REPORTS.taskEnd;
    case 'heartbeat':
      return REPORTS.heartbeat;
  }
}

export function encodeMessageBody(m: AdapterMessage): { code: number; body: Buffer } {
  const w = new ByteWriter();
  switch (m.kind) {
    case 'reply':
      w.u8(COMMANDS[m.answers], 'answers').u8(RESULTS[m.result], 'result').bytes(m.data);
      break;
    case 'taskStart':
    case 'taskEnd':
      w.broadcastId(m.broadcastId).time(m.at, 'at').u16(m.terminals.length, 'terminalCount');
      m.terminals.forEach((t, i) => w.resourceCode(t, `terminals[${i}]`));
      break;
    case 'heartbeat':
      w.u8(ADAPTER_STATES[m.state], 'state').time(m.at, 'at');
      break;
  }
  return { code: messageCode(m), body: w.toBuffer() };
}

export function isMessageCode(code: number): boolean {
  return (REPLY_CODES as readonly number[]).includes(code) || Object.values(REPORTS).includes(code as never);
}

/** Decodes an adapter → platform body; throws AdapterCodecError naming the field. */
export function decodeMessageBody(code: number, body: Buffer): AdapterMessage {
  const r = new ByteReader(body, `0x${code.toString(16)}`);
  if ((REPLY_CODES as readonly number[]).includes(code)) {
    const answers = keyOf(COMMANDS, r.u8('answers'), 'answers');
    if (REPLY_FOR[answers] !== code) {
      throw new AdapterCodecError('answers', `reply 0x${code.toString(16)} cannot answer command ${answers}`);
    }
    const result = keyOf(RESULTS, r.u8('result'), 'result');
    return { kind: 'reply', answers, result, data: Buffer.from(r.rest()) };
  }
  let m: AdapterMessage;
  switch (code) {
    case REPORTS.taskStart:
    case REPORTS.taskEnd: {
      const broadcastId = r.broadcastId('broadcastId');
      const at = r.time('at');
      const n = r.u16('terminalCount');
      const terminals: string[] = [];
      for (let i = 0; i < n; i++) terminals.push(r.resourceCode(`terminals[${i}]`));
      m = { kind: code === REPORTS.taskStart ? 'taskStart' : 'taskEnd', broadcastId, at, terminals };
      break;
    }
    case REPORTS.heartbeat:
      m = { kind: 'heartbeat', state: keyOf(ADAPTER_STATES, r.u8('state'), 'state'), at: r.time('at') };
      break;
    default:
      throw new AdapterCodecError('command', `0x${code.toString(16)} is not an adapter → platform code`);
  }
  r.end();
  return m;
}
