import { TERMINAL_EXCEPTIONS } from '../../firmware-protocols/terminal-modbus';
import { Clock, type TimerHandle } from '../common/clock';
import {
  FieldCommands,
  FieldError,
  type ClipToTransfer,
  type CommandResult,
  type ConnectionState,
  type FieldTransferResult,
  type OpenGateway,
  type RequestFailureKind,
  type TerminalCommand,
  type TerminalLocation,
  type TerminalStatus,
} from '../field/field-commands';
import { meaningOf, startPhase, transferPhase, type OurBroadcast, type PlayCommand } from './bus-plan';
import { sameBlockWindow } from './dispatch-policy';
import { fieldLink } from './field-link';

const ID = '43415230000000101010101202612010001';
const idle: TerminalStatus = {
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 60,
  faults: [],
  supplyVoltage: null,
  temperature: null,
  signalQuality: null,
  uptimeSeconds: null,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
};
const failure = (kind: RequestFailureKind, exceptionCode: number | null = null): FieldError =>
  new FieldError({ kind, exceptionCode, message: `bus 1 unit 2 request: ${kind}` }, 'bus 1', 2, 'request');

/**
 * The field port with nothing behind it: every call is recorded, terminals 1–3 sit on gateway 1, and each terminal
 * answers as `behaviour` says (plays what it is told by default).
 */
class RecordingField extends FieldCommands {
  readonly calls: string[] = [];
  readonly signedBlockWindowMs = 5_000;
  private sequence = 0;
  private readonly playing = new Map<number, string | null>();
  constructor(private readonly behaviour: Partial<Record<number, { command?: FieldError; status?: FieldError }>> = {}) {
    super();
  }
  busSequenceFloor(): number | null {
    return null;
  }

  sequenceFloor(): number {
    return this.sequence;
  }
  locate(terminalId: number): TerminalLocation | null {
    return terminalId >= 1 && terminalId <= 3 ? { terminalId, gatewayId: 1, unit: terminalId } : null;
  }
  connection(): ConnectionState | null {
    return 'connected';
  }
  openGateways(): OpenGateway[] {
    return [{ gatewayId: 1, family: 'modbus', connection: 'connected' }];
  }
  settled(): Promise<void> {
    return Promise.resolve();
  }
  command(terminalId: number, command: TerminalCommand): Promise<CommandResult> {
    this.calls.push(`command ${terminalId} ${command.code}`);
    const refusal = this.behaviour[terminalId]?.command;
    if (refusal) return Promise.reject(refusal);
    if (command.code === 'play') this.playing.set(terminalId, command.broadcastId);
    return Promise.resolve({ accepted: true, unit: terminalId, sequence: ++this.sequence });
  }
  guardSigning(): void {}
  commandBus(gatewayId: number, command: TerminalCommand): Promise<CommandResult> {
    this.calls.push(`commandBus ${gatewayId} ${command.code}`);
    return Promise.resolve({ accepted: false, unit: 'all', sequence: ++this.sequence });
  }
  readStatus(terminalId: number): Promise<TerminalStatus> {
    this.calls.push(`readStatus ${terminalId}`);
    const silence = this.behaviour[terminalId]?.status;
    if (silence) return Promise.reject(silence);
    const id = this.playing.get(terminalId);
    return Promise.resolve(
      id === undefined ? idle : { ...idle, state: 5, priority: 2, broadcastId: id, clipId: 7, broadcastClass: 4 },
    );
  }
  readRegisters(): Promise<number[]> {
    return Promise.reject(failure('protocol'));
  }
  transferClip(gatewayId: number, terminalIds: number[], clip: ClipToTransfer): Promise<FieldTransferResult> {
    this.calls.push(`transferClip ${gatewayId} ${terminalIds.join(',')} clip ${clip.clipId}`);
    return Promise.resolve({
      stored: [1],
      alreadyStored: [],
      failed: [
        {
          terminalId: 2,
          failure: { kind: 'timeout', exceptionCode: null, message: 'unit 2 FC03 clip receive: timed out' },
        },
        {
          terminalId: 3,
          failure: {
            kind: 'incomplete',
            exceptionCode: null,
            message:
              '4 of 167 chunks still missing (from chunk 3, 9, 40, 41) after 3 repair rounds, the last 3 without progress',
          },
        },
      ],
      framesSent: { broadcast: 3, unicast: 1 },
    });
  }
}

class StillClock extends Clock {
  now(): number {
    return 1_000_000;
  }
  setTimeout(fn: () => void): TimerHandle {
    fn();
    return { cancel: () => undefined };
  }
}

const play: PlayCommand = {
  code: 'play',
  source: 'stored',
  clipId: 7,
  priority: 2,
  broadcastClass: 4,
  repeat: 1,
  volume: 60,
  broadcastId: ID,
};
const ours: OurBroadcast = { broadcastId: ID, clipId: 7, priority: 2, broadcastClass: 4, startAt: 1_001_500 };
const options = {
  command: play,
  ours,
  priority: 'emergency' as const,
  readFirst: [],
  deadline: 1_010_000,
  backoffMs: [200],
  sameBlockWindowMs: sameBlockWindow(5_000),
};

describe('the per-bus plan through the field port', () => {
  it('tells a terminal that did not answer a transfer from one that failed it, by the failure kind', async () => {
    const field = new RecordingField();
    const out = await transferPhase(
      fieldLink(field, 1),
      [1, 2, 3],
      { clipId: 7, codec: 'opus-16k', digest: '0'.repeat(64), data: new Uint8Array(8) },
      'transfer',
    );
    expect(field.calls).toEqual(['transferClip 1 1,2,3 clip 7']);
    expect(out).toEqual({
      ready: [1],
      failed: [
        {
          key: 3,
          reason:
            '4 of 167 chunks still missing (from chunk 3, 9, 40, 41) after 3 repair rounds, the last 3 without progress',
        },
      ],
      unreachable: [{ key: 2, reason: 'unit 2 FC03 clip receive: timed out' }],
    });
  });

  it('hands back a terminal that refuses a play as not holding the clip, and reports one that never answers as unreachable', async () => {
    const field = new RecordingField({
      2: { command: failure('refused', TERMINAL_EXCEPTIONS.clipNotStored) },
      3: { command: failure('timeout'), status: failure('timeout') },
    });
    const out = await startPhase(
      fieldLink(field, 1),
      { ...options, toStart: [1, 2, 3], wholeBus: false },
      new StillClock(),
    );
    expect(out.playing.map((p) => p.key)).toEqual([1]);
    expect(out.clipMissing.map((f) => f.key)).toEqual([2]);
    expect(out.unreachable.map((f) => f.key)).toEqual([3]);
    expect(field.calls.filter((c) => c.startsWith('command'))).toEqual([
      'command 1 play',
      'command 2 play',
      'command 3 play',
    ]);
  });

  it('reads each failure kind the same way wherever it comes from', () => {
    expect(meaningOf(failure('refused', TERMINAL_EXCEPTIONS.replay).failure)).toBe('no-reply');
    expect(meaningOf(failure('refused', TERMINAL_EXCEPTIONS.badSignature).failure)).toBe('failed');
    expect(meaningOf(failure('disconnected').failure)).toBe('no-reply');
    expect(meaningOf(failure('crc').failure)).toBe('failed');
  });
});
