/**
 * A virtual adapter (town front-end) speaking firmware-protocols/adapter/PROTOCOL.md to the letter: it checks a
 * command in the order of §7.2 (code, signature, replay window, body, targets, priority), obeys start/stop (now or at
 * a future start time, by priority), volume, amplifier, clock, resource code, 回传 parameters and period, whitelist and
 * status queries (§3), answers each command once (§4.1, §7.1), reports task start/end (§4.2), heartbeats (§4.3) and
 * 回传 reports (§5). No sockets here: frames in, frames out through its outbox (adapter-outbox.ts); adapter-server.ts
 * carries them over TCP. Time comes from the injected clock, variation from the seed.
 */
import {
  BROADCAST_STATES,
  mayPlayOver,
  PRIORITY,
  TASK_SOURCES,
  TERMINAL_STATES,
} from '../../../firmware-protocols/codes';
import {
  COMMANDS,
  DEFAULT_RETURN_PERIOD,
  HEARTBEAT_SECONDS,
  VOLUME_KEEP,
  type AdapterCommand,
  type BroadcastCommand,
  type CommandFrame,
  type CommandName,
  type QueryReply,
  type Targets,
} from '../../../firmware-protocols/adapter';
import type { TimerHandle } from '../../adapter/ports';
import {
  decodeOrRefuse,
  priorityOfBroadcast,
  Refusal,
  type AdapterCounters,
  type SimTerminal,
  type VirtualAdapterOptions,
} from './adapter-model';
import { AdapterOutbox } from './adapter-outbox';
import { CommandGate } from './command-gate';

export type { AdapterCounters, SimTerminal, VirtualAdapterOptions } from './adapter-model';
import { SeededRandom } from './random';

export class VirtualAdapter {
  readonly terminals = new Map<string, SimTerminal>();
  readonly counters: AdapterCounters = { commands: 0, refused: 0, replays: 0, invalid: 0 };
  readonly received: AdapterCommand[] = [];
  readonly whitelist = new Set<string>();
  /** 回传 destination set by 0x07 (Dalaba reads 回传 on the command line whatever it says). */
  returnTo: { ip: string; port: number } | null = null;
  private readonly out: AdapterOutbox;
  private readonly rng: SeededRandom;
  private readonly gate: CommandGate;
  private readonly endTimers = new Map<string, TimerHandle>();
  private readonly startTimers = new Map<string, TimerHandle>();
  private heartbeatTimer: TimerHandle | null = null;
  private returnTimer: TimerHandle | null = null;
  private returnPeriodMs: number;
  private clockOffsetMs = 0;
  private readonly startedAt: number;

  constructor(private readonly opts: VirtualAdapterOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.gate = new CommandGate(opts.verifier, opts.maxSkewSeconds);
    this.out = new AdapterOutbox(opts.adapterCode, opts.platformCode);
    this.returnPeriodMs = opts.returnPeriodMs ?? DEFAULT_RETURN_PERIOD * 1000;
    this.startedAt = opts.clock.now();
    opts.terminals.forEach((code, i) => {
      this.terminals.set(code, {
        code,
        physical: opts.physical?.[i] ?? `00000000${code.slice(-16)}`,
        state: TERMINAL_STATES.normal,
        volume: 60,
        amplifierOn: true,
        broadcastId: null,
        broadcastClass: 0,
        priority: PRIORITY.idle,
        faults: [],
        supplyVoltage: 22 + this.rng.int(0, 40) / 10,
        temperature: 15 + this.rng.int(0, 200) / 10,
      });
    });
  }

  /** Frames the adapter sends go to every sink (one per connected platform). */
  onFrame(fn: (frame: Buffer) => void): () => void {
    return this.out.onFrame(fn);
  }

  /** The adapter's clock: the injected clock, moved by 0x09. */
  now(): Date {
    return new Date(this.opts.clock.now() + this.clockOffsetMs);
  }

  /** Starts the periodic heartbeat 0x20 and the per-terminal 回传 heartbeats 0x10 (§7.3). */
  startHeartbeats(): void {
    const beat = (): void => {
      this.sendAdapterHeartbeat();
      this.heartbeatTimer = this.opts.clock.setTimeout(beat, this.opts.heartbeatMs ?? HEARTBEAT_SECONDS * 1000);
    };
    this.heartbeatTimer = this.opts.clock.setTimeout(beat, this.opts.heartbeatMs ?? HEARTBEAT_SECONDS * 1000);
    this.armReturnBeat();
  }

  stop(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
    this.returnTimer?.cancel();
    this.returnTimer = null;
    for (const timers of [this.endTimers, this.startTimers]) {
      timers.forEach((t) => t.cancel());
      timers.clear();
    }
  }

  /** One adapter heartbeat 0x20 and one 回传 heartbeat 0x10 per terminal, now. */
  sendHeartbeats(): void {
    this.sendAdapterHeartbeat();
    this.sendReturnHeartbeats();
  }

  private sendAdapterHeartbeat(): void {
    const all = [...this.terminals.values()];
    const working = all.some((t) => t.state === TERMINAL_STATES.broadcasting);
    const faulty = all.some((t) => t.faults.length > 0);
    this.out.message({ kind: 'heartbeat', state: faulty ? 'fault' : working ? 'working' : 'idle', at: this.now() });
  }

  private sendReturnHeartbeats(): void {
    for (const t of this.terminals.values())
      this.out.report(t.code, { business: 'heartbeat', state: t.state, volume: t.volume });
  }

  private armReturnBeat(): void {
    this.returnTimer?.cancel();
    this.returnTimer = this.opts.clock.setTimeout(() => {
      this.sendReturnHeartbeats();
      this.armReturnBeat();
    }, this.returnPeriodMs);
  }

  /** Raises or clears a fault on a terminal and reports it (回传 0x13). */
  setFault(code: string, faultCode: number, present: boolean): void {
    const t = this.terminal(code);
    t.faults = present ? [...new Set([...t.faults, faultCode])] : t.faults.filter((f) => f !== faultCode);
    t.state = present ? TERMINAL_STATES.fault : TERMINAL_STATES.recovered;
    this.out.report(code, {
      business: 'fault',
      recovered: !present,
      faultCode,
      at: this.now(),
    });
  }

  /**
   * Handles one command frame that passed the stream checks (§6: head, version, lengths, CRC), in the order of §7.2:
   * unknown code → no reply; signature → badSignature; replay or window → refused; body → badParameter; then obeyed.
   */
  handle(frame: CommandFrame): void {
    const name = (Object.keys(COMMANDS) as CommandName[]).find((k) => COMMANDS[k] === frame.code);
    if (name === undefined) {
      this.counters.invalid++;
      return;
    }
    this.counters.commands++;
    this.out.hold();
    try {
      const verdict = this.gate.check(frame, this.now().getTime());
      if (verdict === 'replay') this.counters.replays++;
      if (verdict === 'badSignature') throw new Refusal('badSignature');
      if (verdict !== 'pass') throw new Refusal('refused');
      const command = decodeOrRefuse(frame);
      this.received.push(command);
      this.obey(command);
      this.out.reply(name, 'ok');
    } catch (e) {
      if (!(e instanceof Refusal)) {
        this.out.dropHeld();
        throw e;
      }
      this.counters.refused++;
      this.out.reply(name, e.result);
    }
  }

  /** Applies a command, or throws a Refusal before changing anything (nothing accepted is half-done). */
  private obey(c: AdapterCommand): void {
    switch (c.code) {
      case 'broadcast':
        return c.start ? this.start(c) : this.stopBroadcast(c);
      case 'volume':
      case 'amplifier': {
        const targets = this.resolve(c, 'all');
        for (const t of targets) {
          if (c.code === 'volume' && c.volume !== VOLUME_KEEP) t.volume = c.volume;
          if (c.code === 'amplifier') t.amplifierOn = c.on;
        }
        return;
      }
      case 'statusQuery':
        return this.answerQuery(c.session, c.target);
      case 'clock':
        this.clockOffsetMs = c.at.getTime() - this.opts.clock.now();
        return;
      case 'setResourceCode':
        return this.renumber(c.current, c.next);
      case 'returnParameters':
        this.returnTo = { ip: c.ip, port: c.port };
        this.out.platformCode = c.platform;
        return;
      case 'returnPeriod':
        this.returnPeriodMs = c.seconds * 1000;
        if (this.returnTimer !== null) this.armReturnBeat();
        return;
      case 'whitelist':
        if (c.op === 'replace') this.whitelist.clear();
        for (const n of c.numbers) {
          if (c.op === 'remove') this.whitelist.delete(n);
          else this.whitelist.add(n);
        }
        return;
    }
  }

  /**
   * The terminals a command names (§3.2): `all` — every one must be known, else unknownTerminal; `known` — the
   * known ones, unknownTerminal only when none is.
   */
  private resolve(t: Targets, rule: 'all' | 'known'): SimTerminal[] {
    const all = [...this.terminals.values()];
    const found = t.targets.map((x) =>
      t.addressing === 'logical' ? this.terminals.get(x) : all.find((s) => s.physical === x.toLowerCase()),
    );
    const known = found.filter((x): x is SimTerminal => x !== undefined);
    if (known.length === 0 || (rule === 'all' && known.length !== found.length)) throw new Refusal('unknownTerminal');
    return [...new Set(known)];
  }

  /** 0x04 start (§3.1): at the start time, on the known targets that play nothing of higher priority. */
  private start(c: BroadcastCommand): void {
    const targets = this.resolve(c, 'known');
    const priority = priorityOfBroadcast(c);
    if (c.startAt.getTime() > this.now().getTime()) {
      this.startTimers.get(c.broadcastId)?.cancel();
      const codes = targets.map((t) => t.code);
      const timer = this.opts.clock.setTimeout(() => {
        this.startTimers.delete(c.broadcastId);
        const ready = codes.map((x) => this.terminals.get(x)).filter((x): x is SimTerminal => x !== undefined);
        this.play(
          c,
          priority,
          ready.filter((t) => mayPlayOver(priority, t.priority)),
        );
      }, c.startAt.getTime() - this.now().getTime());
      this.startTimers.set(c.broadcastId, timer);
      return;
    }
    const free = targets.filter((t) => mayPlayOver(priority, t.priority));
    if (free.length === 0) throw new Refusal('busy');
    this.play(c, priority, free);
  }

  private play(c: BroadcastCommand, priority: number, targets: SimTerminal[]): void {
    if (targets.length === 0) return;
    for (const t of targets) {
      if (t.broadcastId !== null && t.broadcastId !== c.broadcastId)
        this.endBroadcast(t.broadcastId, [t.code], BROADCAST_STATES.cancelled);
      Object.assign(t, {
        state: TERMINAL_STATES.broadcasting,
        broadcastId: c.broadcastId,
        broadcastClass: c.broadcastClass,
        priority,
      });
      if (c.volume !== VOLUME_KEEP) t.volume = c.volume;
      this.out.report(t.code, {
        business: 'taskSwitch',
        taskSource: TASK_SOURCES.emergency,
        broadcastId: c.broadcastId,
        at: this.now(),
      });
    }
    const codes = targets.map((t) => t.code);
    this.out.message({ kind: 'taskStart', broadcastId: c.broadcastId, at: this.now(), terminals: codes });
    this.endTimers.get(c.broadcastId)?.cancel();
    const ms = Math.max(0, c.endAt.getTime() - this.now().getTime());
    this.endTimers.set(
      c.broadcastId,
      this.opts.clock.setTimeout(() => this.endBroadcast(c.broadcastId, codes, BROADCAST_STATES.success), ms),
    );
  }

  /** 0x04 stop: ends the broadcast on the named terminals playing it, and drops a start still waiting for them. */
  private stopBroadcast(c: BroadcastCommand): void {
    const targets = this.resolve(c, 'known');
    this.startTimers.get(c.broadcastId)?.cancel();
    this.startTimers.delete(c.broadcastId);
    this.endBroadcast(
      c.broadcastId,
      targets.map((t) => t.code),
      BROADCAST_STATES.cancelled,
    );
  }

  private endBroadcast(id: string, codes: string[], state: number): void {
    const ended = codes.filter((c) => this.terminals.get(c)?.broadcastId === id);
    const stillPlaying = [...this.terminals.values()].some((t) => t.broadcastId === id && !ended.includes(t.code));
    if (!stillPlaying) {
      this.endTimers.get(id)?.cancel();
      this.endTimers.delete(id);
    }
    for (const code of ended) {
      Object.assign(this.terminal(code), {
        state: TERMINAL_STATES.normal,
        broadcastId: null,
        broadcastClass: 0,
        priority: PRIORITY.idle,
      });
      this.out.report(code, {
        business: 'broadcastResult',
        broadcastId: id,
        state,
        at: this.now(),
      });
    }
    if (ended.length > 0) this.out.message({ kind: 'taskEnd', broadcastId: id, at: this.now(), terminals: ended });
  }

  /** 0x08: the 回传 reply with the query's session id (it follows the reply 0x16, see handle). */
  private answerQuery(session: number, target: string): void {
    const t = this.terminals.get(target);
    if (t === undefined) throw new Refusal('unknownTerminal');
    this.out.sendReturn(target, 'reply', session, { business: 'queryReply', reply: this.queryReply(t) });
  }

  private renumber(current: string, next: string): void {
    const t = this.terminals.get(current);
    if (t === undefined) throw new Refusal('unknownTerminal');
    if (next !== current && (this.terminals.has(next) || next === this.opts.adapterCode))
      throw new Refusal('badParameter');
    this.terminals.delete(current);
    this.terminals.set(next, { ...t, code: next });
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
}
