/**
 * What the per-bus plan's specs share (bus-plan-*.spec.ts): a bus of fake terminals that obey by priority, a clock
 * that moves only when slept on, and the start of one emergency broadcast those specs plan on a bus.
 */
import type { Clock } from '../common/clock';
import { FieldError, type ClipToTransfer, type TerminalStatus } from '../field/field-port';
import type { BusLink, OurBroadcast, PlayCommand, StopCommand } from './bus-plan';
import { sameBlockWindow } from './dispatch-policy';

export const SAME_BLOCK_MS = sameBlockWindow(5_000);
export const timedOut = (message: string): FieldError =>
  new FieldError({ kind: 'timeout', exceptionCode: null, message }, 'fake', null, 'request');

export const ID = '43415230000000101010101202612010001';
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

/** A bus of terminals that obey by priority; `silent` never answer, `deaf` ignore the first play they hear. */
export class FakeBus implements BusLink {
  readonly id = 'fake';
  readonly sessions = new Map<number, { broadcastId: string | null; priority: number; clipId: number }>();
  readonly sent: string[] = [];
  /** Keys in the order their status was read. */
  readonly reads: number[] = [];
  /** The last signed command each terminal took, and the next sequence the driver signs. */
  readonly lastSequence = new Map<number, number>();
  private sequence = 100;
  /** Answers lost to noise, per key (the read fails as a gateway time-out would). */
  readonly lose = new Map<number, number>();
  constructor(
    readonly keys: number[],
    readonly silent = new Set<number>(),
    readonly deaf = new Set<number>(),
  ) {}
  private hear(k: number, c: PlayCommand | StopCommand, sequence: number): void {
    if (this.silent.has(k)) return;
    if (c.code === 'stop') {
      if (this.sessions.get(k)?.broadcastId === c.broadcastId) this.sessions.delete(k);
      return;
    }
    if (this.deaf.delete(k)) return;
    const now = this.sessions.get(k);
    if (now && c.priority > now.priority) return;
    this.lastSequence.set(k, sequence);
    this.sessions.set(k, { broadcastId: c.broadcastId, priority: c.priority, clipId: c.clipId ?? 0 });
  }
  /** The keys of each transfer asked for, with its priority class. */
  readonly transfers: string[] = [];
  transfer(keys: number[], _clip: ClipToTransfer, priority: string): ReturnType<BusLink['transfer']> {
    this.transfers.push(`${keys.join(',')} ${priority}`);
    return Promise.resolve({
      stored: keys.filter((k) => !this.silent.has(k)),
      alreadyStored: [],
      failed: keys
        .filter((k) => this.silent.has(k))
        .map((key) => ({
          key,
          failure: { kind: 'timeout' as const, exceptionCode: null, message: 'FC03 clip receive: Timed out' },
        })),
    });
  }
  commandAll(c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`all ${c.code}`);
    const sequence = ++this.sequence;
    for (const k of this.keys) this.hear(k, c, sequence);
    return Promise.resolve(sequence);
  }
  command(k: number, c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`${k} ${c.code}`);
    if (this.silent.has(k)) return Promise.reject(timedOut('Timed out'));
    const sequence = ++this.sequence;
    this.hear(k, c, sequence);
    return Promise.resolve(sequence);
  }
  status(k: number): Promise<TerminalStatus> {
    this.reads.push(k);
    const lost = this.lose.get(k) ?? 0;
    if (lost > 0) this.lose.set(k, lost - 1);
    if (this.silent.has(k) || lost > 0)
      return Promise.reject(timedOut('GatewayTargetDeviceFailedToRespond: Timed out'));
    const s = this.sessions.get(k);
    const last = { lastCommandSequence: this.lastSequence.get(k) ?? 0 };
    return Promise.resolve(
      s
        ? {
            ...idle,
            ...last,
            state: 5,
            priority: s.priority,
            broadcastId: s.broadcastId,
            clipId: s.clipId,
            broadcastClass: 4,
          }
        : { ...idle, ...last },
    );
  }
}

export class FakeClock implements Pick<Clock, 'now' | 'sleep'> {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
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
export const ours: OurBroadcast = { broadcastId: ID, clipId: 7, priority: 2, broadcastClass: 4, startAt: 1_001_500 };
export const base = {
  command: play,
  ours,
  priority: 'emergency' as const,
  readFirst: [],
  deadline: 1_010_000,
  backoffMs: [200, 500, 1000],
  sameBlockWindowMs: SAME_BLOCK_MS,
};
