/**
 * A virtual adapter (town front-end) speaking firmware-protocols/adapter/PROTOCOL.md: it checks signatures (§2.3),
 * obeys start/stop, volume, amplifier, clock and status queries (§3), answers each command (§4.1), reports task
 * start/end (§4.2), heartbeats (§4.3) and 回传 reports (§5). No sockets here: frames in, frames out through `emit`;
 * adapter-server.ts carries them over TCP. Time comes from the injected clock, variation from the seed.
 */
import { BROADCAST_STATES, TASK_SOURCES, TERMINAL_STATES } from '../../../firmware-protocols/codes';
import {
  decodeCommandBody,
  encodeCommandFrame,
  encodeMessageBody,
  encodeReturnFrame,
  type AdapterCommand,
  type AdapterMessage,
  type CommandFrame,
  type FrameVerifier,
  type QueryReply,
  type ResultName,
  type ReturnData,
} from '../../../firmware-protocols/adapter';
import type { Clock, TimerHandle } from '../../adapter/ports';
import { SeededRandom } from './random';

export interface VirtualAdapterOptions {
  adapterCode: string;
  platformCode: string;
  /** Resource codes of the terminals behind this adapter. */
  terminals: string[];
  seed: number;
  clock: Clock;
  /** Checks command signatures; without it every command is refused as unsigned would be (§2.3). */
  verifier: FrameVerifier | null;
  /** Refuse signatures older or newer than this (replay window), seconds. */
  maxSkewSeconds?: number;
  heartbeatMs?: number;
}

export interface SimTerminal {
  code: string;
  state: number;
  volume: number;
  amplifierOn: boolean;
  broadcastId: string | null;
  broadcastClass: number;
  faults: number[];
  supplyVoltage: number;
  temperature: number;
}

export interface AdapterCounters {
  commands: number;
  refused: number;
  replays: number;
  invalid: number;
}

const RECENT_SIGNATURES = 1024;

export class VirtualAdapter {
  readonly terminals = new Map<string, SimTerminal>();
  readonly counters: AdapterCounters = { commands: 0, refused: 0, replays: 0, invalid: 0 };
  readonly received: AdapterCommand[] = [];
  private readonly sinks: ((frame: Buffer) => void)[] = [];
  private readonly rng: SeededRandom;
  private readonly recent: string[] = [];
  private readonly endTimers = new Map<string, TimerHandle>();
  private heartbeatTimer: TimerHandle | null = null;
  private session = 0;
  private clockOffsetMs = 0;
  private readonly startedAt: number;

  constructor(private readonly opts: VirtualAdapterOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.startedAt = opts.clock.now();
    for (const code of opts.terminals) {
      this.terminals.set(code, {
        code,
        state: TERMINAL_STATES.normal,
        volume: 60,
        amplifierOn: true,
        broadcastId: null,
        broadcastClass: 0,
        faults: [],
        supplyVoltage: 22 + this.rng.int(0, 40) / 10,
        temperature: 15 + this.rng.int(0, 200) / 10,
      });
    }
  }

  /** Frames the adapter sends go to every sink (one per connected platform). */
  onFrame(fn: (frame: Buffer) => void): () => void {
    this.sinks.push(fn);
    return () => this.sinks.splice(this.sinks.indexOf(fn), 1);
  }

  now(): Date {
    return new Date(this.opts.clock.now() + this.clockOffsetMs);
  }

  /** Starts the periodic heartbeat (0x20) and 回传 heartbeats (0x10). */
  startHeartbeats(): void {
    const period = this.opts.heartbeatMs ?? 4000;
    const beat = (): void => {
      this.sendHeartbeats();
      this.heartbeatTimer = this.opts.clock.setTimeout(beat, period);
    };
    this.heartbeatTimer = this.opts.clock.setTimeout(beat, period);
  }

  stop(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
    this.endTimers.forEach((t) => t.cancel());
    this.endTimers.clear();
  }

  sendHeartbeats(): void {
    const working = [...this.terminals.values()].some((t) => t.state === TERMINAL_STATES.broadcasting);
    const faulty = [...this.terminals.values()].some((t) => t.faults.length > 0);
    this.sendMessage({ kind: 'heartbeat', state: faulty ? 'fault' : working ? 'working' : 'idle', at: this.now() });
    for (const t of this.terminals.values())
      this.sendReturn(t.code, 'report', this.nextSession(), {
        business: 'heartbeat',
        state: t.state,
        volume: t.volume,
      });
  }

  /** Raises or clears a fault on a terminal and reports it (回传 0x13). */
  setFault(code: string, faultCode: number, present: boolean): void {
    const t = this.terminal(code);
    t.faults = present ? [...new Set([...t.faults, faultCode])] : t.faults.filter((f) => f !== faultCode);
    t.state = present ? TERMINAL_STATES.fault : TERMINAL_STATES.recovered;
    this.sendReturn(code, 'report', this.nextSession(), {
      business: 'fault',
      recovered: !present,
      faultCode,
      at: this.now(),
    });
  }

  /** Handles one command frame that passed the CRC (§2). */
  handle(frame: CommandFrame): void {
    let command: AdapterCommand;
    try {
      command = decodeCommandBody(frame.code, frame.body);
    } catch {
      this.counters.invalid++;
      return;
    }
    this.counters.commands++;
    const refusal = this.checkSignature(frame);
    if (refusal !== null) {
      this.counters.refused++;
      return this.reply(command, refusal);
    }
    this.received.push(command);
    this.obey(command);
  }

  private checkSignature(frame: CommandFrame): ResultName | null {
    const sig = frame.signature;
    if (sig === null || this.opts.verifier === null) return 'badSignature';
    const key = Buffer.from(sig.signature).toString('hex');
    if (this.recent.includes(key)) {
      this.counters.replays++;
      return 'refused';
    }
    const skew = Math.abs(sig.time.getTime() - this.now().getTime()) / 1000;
    if (skew > (this.opts.maxSkewSeconds ?? 300)) return 'refused';
    if (!this.opts.verifier.verify(frame.signed, sig)) return 'badSignature';
    this.recent.push(key);
    if (this.recent.length > RECENT_SIGNATURES) this.recent.shift();
    return null;
  }

  private obey(c: AdapterCommand): void {
    switch (c.code) {
      case 'broadcast': {
        const targets =
          c.addressing === 'logical' ? c.targets.filter((t) => this.terminals.has(t)) : [...this.terminals.keys()];
        if (targets.length === 0) return this.reply(c, 'unknownTerminal');
        this.reply(c, 'ok');
        return c.start
          ? this.startBroadcast(c.broadcastId, c.broadcastClass, c.volume, c.endAt, targets)
          : this.endBroadcast(c.broadcastId, targets, BROADCAST_STATES.cancelled);
      }
      case 'volume':
      case 'amplifier': {
        const targets = this.targetsOf(c.targets, c.addressing);
        if (targets === null) return this.reply(c, 'unknownTerminal');
        for (const t of targets) {
          if (c.code === 'volume' && c.volume !== 0xff) t.volume = c.volume;
          if (c.code === 'amplifier') t.amplifierOn = c.on;
        }
        return this.reply(c, 'ok');
      }
      case 'statusQuery': {
        if (!this.terminals.has(c.target)) return this.reply(c, 'unknownTerminal');
        this.reply(c, 'ok');
        return this.sendReturn(c.target, 'reply', c.session, {
          business: 'queryReply',
          reply: this.queryReply(this.terminal(c.target)),
        });
      }
      case 'clock':
        this.clockOffsetMs = c.at.getTime() - this.opts.clock.now();
        return this.reply(c, 'ok');
      case 'setResourceCode': {
        const t = this.terminals.get(c.current);
        if (t === undefined) return this.reply(c, 'unknownTerminal');
        this.terminals.delete(c.current);
        this.terminals.set(c.next, { ...t, code: c.next });
        return this.reply(c, 'ok');
      }
      case 'returnParameters':
      case 'returnPeriod':
      case 'whitelist':
        return this.reply(c, 'ok');
    }
  }

  private targetsOf(codes: string[], addressing: 'logical' | 'physical'): SimTerminal[] | null {
    if (addressing === 'physical') return [...this.terminals.values()];
    const ts = codes.map((c) => this.terminals.get(c));
    return ts.every((t) => t !== undefined) ? ts : null;
  }

  private startBroadcast(id: string, cls: number, volume: number, endAt: Date, codes: string[]): void {
    for (const code of codes) {
      const t = this.terminal(code);
      Object.assign(t, { state: TERMINAL_STATES.broadcasting, broadcastId: id, broadcastClass: cls });
      if (volume !== 0xff) t.volume = volume;
      this.sendReturn(code, 'report', this.nextSession(), {
        business: 'taskSwitch',
        taskSource: TASK_SOURCES.emergency,
        broadcastId: id,
        at: this.now(),
      });
    }
    this.sendMessage({ kind: 'taskStart', broadcastId: id, at: this.now(), terminals: codes });
    this.endTimers.get(id)?.cancel();
    const ms = Math.max(0, endAt.getTime() - this.now().getTime());
    this.endTimers.set(
      id,
      this.opts.clock.setTimeout(() => this.endBroadcast(id, codes, BROADCAST_STATES.success), ms),
    );
  }

  private endBroadcast(id: string, codes: string[], state: number): void {
    this.endTimers.get(id)?.cancel();
    this.endTimers.delete(id);
    const ended = codes.filter((c) => this.terminals.get(c)?.broadcastId === id);
    for (const code of ended) {
      Object.assign(this.terminal(code), { state: TERMINAL_STATES.normal, broadcastId: null, broadcastClass: 0 });
      this.sendReturn(code, 'report', this.nextSession(), {
        business: 'broadcastResult',
        broadcastId: id,
        state,
        at: this.now(),
      });
    }
    if (ended.length > 0) this.sendMessage({ kind: 'taskEnd', broadcastId: id, at: this.now(), terminals: ended });
  }

  queryReply(t: SimTerminal): QueryReply {
    return {
      state: t.state,
      volume: t.volume,
      ...(t.broadcastId === null ? {} : { broadcastId: t.broadcastId }),
      broadcastClass: t.broadcastClass,
      faults: t.faults,
      supplyVoltage: t.supplyVoltage,
      temperature: t.temperature,
      signalQuality: 80 + this.rng.int(0, 20),
      uptimeSeconds: Math.floor((this.opts.clock.now() - this.startedAt) / 1000),
      clock: this.now(),
      amplifierOn: t.amplifierOn,
      taskSource: t.broadcastId === null ? 0 : TASK_SOURCES.emergency,
      crcErrors: 0,
      refusedCommands: this.counters.refused,
      vendor: '仿真',
      model: 'VA-1',
      firmware: '1.0.0',
      serial: `VA${t.code.slice(-6)}`,
    };
  }

  private terminal(code: string): SimTerminal {
    const t = this.terminals.get(code);
    if (t === undefined) throw new Error(`virtual adapter ${this.opts.adapterCode}: no terminal ${code}`);
    return t;
  }

  private nextSession(): number {
    this.session = (this.session + 1) >>> 0;
    return this.session;
  }

  private reply(c: AdapterCommand, result: ResultName): void {
    this.sendMessage({ kind: 'reply', answers: c.code, result, data: Buffer.alloc(0) });
  }

  private sendMessage(m: AdapterMessage): void {
    const { code, body } = encodeMessageBody(m);
    this.emit(encodeCommandFrame('reply', code, this.opts.adapterCode, body, null));
  }

  private sendReturn(source: string, packType: 'report' | 'reply', session: number, data: ReturnData): void {
    this.emit(encodeReturnFrame({ packType, session, source, targets: [this.opts.platformCode], data }));
  }

  private emit(frame: Buffer): void {
    for (const sink of [...this.sinks]) sink(frame);
  }
}
