/**
 * The behaviour of one simulated loudspeaker terminal, independent of how its registers are laid out: what it plays,
 * at which priority, which commands it refuses and counts (unsigned, forged, unknown certificate, replayed, outranked),
 * its stored clips and the timing of playback. Time is passed in (`now`, ms since the epoch on the bus clock) and state
 * is brought up to date lazily, so the model needs no timers and runs identically under a manual clock.
 * The register map (firmware-protocols/terminal-modbus PROTOCOL.md) is applied on top of this by the register adapter.
 */
import { mayPlayOver, PRIORITY, TERMINAL_STATES, type FaultKey } from '../../../firmware-protocols/codes';
import { RECEIVE_STATES } from '../../../firmware-protocols/terminal-modbus/registers';
import type { SourceKind } from '../../terminal-bus';
import type { PlayRecord } from '../modbus/virtual-bus';
import { ClipStore, type StoredClip } from './clip-store';
import { HeldPlays, type HeldTerminal } from './held-plays';
import { HeldStore, type HeldAnnounce } from './held-store';
import { PlayLog } from './play-log';
import type { PlaySession } from './play-session';
import {
  countRefusal,
  noRefusals,
  refusalTotal,
  type Refusal,
  type RefusalCounters,
  type SignatureVerdict,
} from './refusal-counters';

export type ModelCommand =
  | { code: 'play'; session: Omit<PlaySession, 'durationMs' | 'startAt'> & { startAt: number | null } }
  | { code: 'stop'; broadcastHandle: number; priority: number }
  | { code: 'volume'; volume: number }
  | { code: 'amplifier'; on: boolean }
  | { code: 'clock'; at: number }
  | { code: 'reboot' }
  | { code: 'test-tone'; seconds: number; volume: number }
  | { code: 'self-test'; testId: number; checks: number }
  | { code: 'prepare-clip'; clip: StoredClip; codecSupported: boolean }
  | { code: 'hold-schedule'; announce: HeldAnnounce };

/** A session cut off by a higher-priority play, kept so a later resume can pick it up while its window is open. */
export interface PreemptedSession {
  session: PlaySession;
  at: number;
  /** Handle of the broadcast that cut it off (0 for a reboot or an anonymous play). */
  by: number;
}

/** A silent self-test (PROTOCOL.md §3.3): what it was asked, and how far it got. */
export interface SelfTestRun {
  testId: number;
  checks: number;
  startedAt: number;
  state: 'running' | 'done' | 'aborted';
  /** Bus time it ended (done or aborted), null while running. */
  endedAt: number | null;
}

/** How long the simulator's self-test runs (PROTOCOL.md §3.3 allows up to 10 s). */
export const SELF_TEST_MS = 3000;

const MAX_PREEMPTED = 16;
const TEST_TONE_PRIORITY = PRIORITY.drill;

export class TerminalModel {
  session: PlaySession | null = null;
  readonly preempted: PreemptedSession[] = [];
  /** Sessions that ran to their end (finished), newest last, capped. */
  readonly finished: PlaySession[] = [];
  volume = 60;
  amplifierOn = true;
  faults = new Set<FaultKey>();
  lastSequence = 0;
  crcErrors = 0;
  readonly refused: RefusalCounters = noRefusals();
  readonly clips: ClipStore;
  /** The last self-test since the terminal started; null before the first (PROTOCOL.md §3.3). */
  selfTest: SelfTestRun | null = null;
  /** Called when a self-test ends by itself, so the terminal can take its measurements at that moment. */
  onSelfTestDone: (run: SelfTestRun) => void = () => undefined;
  private readonly log = new PlayLog();
  /** Plays obeyed, and plays of a broadcast this terminal had started before that were not the resumption of a preempted session. */
  readonly starts = { plays: 0, repeatedStarts: 0 };
  private readonly started = new Set<number>();
  private bootAt: number;
  private clockOffsetMs = 0;
  /** False for a terminal that does not know the time until a clock command sets it (PROTOCOL.md §3, reg 18–19). */
  private clockKnown: boolean;
  /** PROTOCOL.md §9: the held schedule and its play log. */
  readonly held = new HeldStore();
  /** When the terminal last heard a good request (§9.4); the link is lost a hold-off after it. */
  private lastHeard: number;
  /** §9.4: the held schedule's entries as they play while the link is lost. */
  private readonly heldPlays = new HeldPlays(this.held);
  /** What the held plays see of this terminal. */
  private readonly heldTerminal: HeldTerminal = {
    clockOffsetMs: () => this.clockOffsetMs,
    lastHeard: () => this.lastHeard,
    volume: () => this.volume,
    playing: () => this.session && { priority: this.session.priority, end: this.endOf(this.session) },
    clip: (clipId) => this.clips.committed(clipId),
    endDue: (at) => this.endDue(at),
    startPlay: (session, at) => this.startHeld(session, at),
  };

  /** `clipCapacityBytes`: the flash for stored clips (identity clip storage); ClipStore's default when absent. */
  constructor(now: number, opts: { clockKnown?: boolean; clipCapacityBytes?: number } = {}) {
    this.bootAt = now;
    this.lastHeard = now;
    this.clockKnown = opts.clockKnown ?? true;
    this.clips = new ClipStore(opts.clipCapacityBytes);
  }

  /**
   * One command as received: its sequence number, the verdict on its signature block, and what it asks (null when its
   * code or parameters are not valid). Checked in the order of PROTOCOL.md §5.4: signature, replay, code and
   * parameters, then state and priority while executing. Returns null when obeyed, else why it was refused (and
   * counts it); a refused command leaves the last sequence where it was.
   */
  apply(now: number, sequence: number, verdict: SignatureVerdict, command: ModelCommand | null): Refusal | null {
    this.advance(now);
    if (verdict !== 'ok') return this.refuse(verdict);
    if (sequence <= this.lastSequence) return this.refuse('replayed');
    if (command === null) return this.refuse('bad-parameter');
    const refusal = this.execute(now, command);
    if (refusal) return this.refuse(refusal);
    this.lastSequence = sequence;
    return null;
  }

  /** A write refused before it reached the command checks (wrong block, malformed frame): counted all the same. */
  countRefusal(): void {
    this.refused.other += 1;
  }

  private refuse(r: Refusal): Refusal {
    return countRefusal(this.refused, r);
  }

  get refusedTotal(): number {
    return refusalTotal(this.refused);
  }

  /** Plays as they sounded, newest last, capped (play-log.ts). */
  get playLog(): PlayRecord[] {
    return this.log.records;
  }

  private execute(now: number, command: ModelCommand): Refusal | null {
    switch (command.code) {
      case 'play':
        return this.play(now, command.session);
      case 'stop':
        if (!this.session) return null;
        if (!mayPlayOver(command.priority, this.session.priority)) return 'outranked';
        if (command.broadcastHandle !== 0 && command.broadcastHandle !== this.session.broadcastHandle) return null;
        this.closeHeld(now, 'command');
        this.log.end(now);
        this.session = null;
        return null;
      case 'volume':
        if (command.volume < 0 || command.volume > 100) return 'bad-parameter';
        this.volume = command.volume;
        if (this.session) this.session.volume = command.volume; // takes effect at once, on what plays too
        return null;
      case 'amplifier':
        this.amplifierOn = command.on;
        return null;
      case 'clock':
        this.clockOffsetMs = command.at - now;
        this.clockKnown = true;
        return null;
      case 'reboot':
        this.reboot(now);
        return null;
      case 'test-tone':
        if (command.seconds <= 0) return 'bad-parameter';
        return this.play(
          now,
          {
            source: 'tone',
            clipId: 0,
            priority: TEST_TONE_PRIORITY,
            broadcastClass: 1,
            repeat: 1,
            volume: command.volume,
            startAt: null,
            endAt: null, // ends after its length: repeat 1 of toneMs
            broadcastHandle: 0,
          },
          command.seconds * 1000,
        );
      case 'self-test':
        // §3.3: never over a play armed or sounding, whatever its priority; a test is not deferred
        if (this.session) return 'outranked';
        this.selfTest = {
          testId: command.testId,
          checks: command.checks,
          startedAt: now,
          state: 'running',
          endedAt: null,
        };
        return null;
      case 'prepare-clip':
        return this.clips.prepare(command.clip, command.codecSupported) === RECEIVE_STATES.refused
          ? 'storage-refused'
          : null;
      case 'hold-schedule':
        this.held.announce(command.announce);
        return null;
    }
  }

  private play(
    now: number,
    s: Omit<PlaySession, 'durationMs' | 'startAt'> & { startAt: number | null },
    toneMs?: number,
  ): Refusal | null {
    if (s.repeat < 0 || s.volume < 0 || s.volume > 100) return 'bad-parameter';
    const current = this.session;
    if (current && !mayPlayOver(s.priority, current.priority)) return 'outranked';
    let durationMs: number | null = toneMs ?? null;
    if (s.source === 'stored') {
      const clip = this.clips.committed(s.clipId);
      if (!clip) return 'no-such-clip';
      durationMs = clip.durationMs;
    }
    if (current && (current.broadcastHandle !== s.broadcastHandle || s.broadcastHandle === 0)) {
      this.preempted.push({ session: current, at: now, by: s.broadcastHandle });
      if (this.preempted.length > MAX_PREEMPTED) this.preempted.shift();
    }
    this.starts.plays += 1;
    this.abortSelfTest(now);
    if (s.broadcastHandle !== 0) {
      const resumed = this.preempted.findIndex((p) => p.session.broadcastHandle === s.broadcastHandle);
      if (resumed >= 0) this.preempted.splice(resumed, 1);
      else if (this.started.has(s.broadcastHandle)) this.starts.repeatedStarts += 1;
      this.started.add(s.broadcastHandle);
    }
    this.closeHeld(now, 'command');
    this.log.end(now);
    // start and end are times on the terminal's clock; one that does not know the time starts at once and has no end
    const onBus = (t: number | null): number | null => (t === null || !this.clockKnown ? null : t - this.clockOffsetMs);
    this.session = { ...s, startAt: onBus(s.startAt) ?? now, endAt: onBus(s.endAt), durationMs };
    this.log.start(this.session, Math.max(now, this.session.startAt));
    return null;
  }

  /** The source of what plays changes without a command (a local switch, a receiver fault). */
  switchSource(source: SourceKind, now: number): void {
    this.advance(now);
    if (!this.session) return;
    this.log.end(now);
    this.session = { ...this.session, source };
    this.log.start(this.session, Math.max(now, this.session.startAt));
  }

  /** When the current session ends by itself, or null when it does not. */
  private endOf(s: PlaySession): number | null {
    const played = s.durationMs === null || s.repeat === 0 ? null : s.startAt + s.durationMs * s.repeat;
    if (played === null) return s.endAt;
    return s.endAt === null ? played : Math.min(played, s.endAt);
  }

  /** Brings playback up to `now`: held entries due while the link was lost play (§9.4), a session past its end is finished. */
  advance(now: number): void {
    this.finishSelfTest(now);
    this.runHeld(now);
    this.endDue(now);
  }

  /** §3.3: a play obeyed during a self-test ends it at once, as aborted. */
  private abortSelfTest(now: number): void {
    const t = this.selfTest;
    if (t?.state !== 'running') return;
    t.state = 'aborted';
    t.endedAt = now;
  }

  /** A self-test past its length is done. */
  private finishSelfTest(now: number): void {
    const t = this.selfTest;
    if (t?.state === 'running' && now >= t.startedAt + SELF_TEST_MS) {
      t.state = 'done';
      t.endedAt = t.startedAt + SELF_TEST_MS;
      this.onSelfTestDone(t);
    }
  }

  /** A good request reached the terminal (§9.4): what the held schedule did until now happened; the link is up. */
  heard(now: number): void {
    this.advance(now);
    this.lastHeard = now;
  }

  /** §9.4 between the last hearing and `now` (held-plays.ts); only on a terminal that knows the time. */
  private runHeld(now: number): void {
    if (!this.clockKnown) return;
    this.heldPlays.run(now, this.heldTerminal);
  }

  /** A held entry starts as what plays, in place of what played. */
  private startHeld(session: PlaySession, at: number): void {
    this.closeHeld(at, 'command');
    this.log.end(at);
    this.abortSelfTest(at);
    this.session = session;
    this.starts.plays += 1;
    this.log.start(this.session, at);
  }

  /** A held play ends at `at` (bus time): its record goes to the log (§9.5). */
  private closeHeld(at: number, outcome: 'whole' | 'command' | 'restart'): void {
    this.heldPlays.close(this.session, at, outcome, this.clockOffsetMs);
  }

  /** A session past its end is finished. */
  private endDue(now: number): void {
    const s = this.session;
    if (!s) return;
    const end = this.endOf(s);
    if (end !== null && now >= end) {
      this.closeHeld(end, 'whole');
      this.log.end(end);
      this.finished.push(s);
      if (this.finished.length > MAX_PREEMPTED) this.finished.shift();
      this.session = null;
    }
  }

  /** True while sound comes out (a synchronised start has not begun before its startAt). */
  playing(now: number): boolean {
    this.advance(now);
    return this.session !== null && now >= this.session.startAt && this.amplifierOn;
  }

  /** Terminal state 1–5 (TERMINAL_STATES, docs/domain.md). */
  state(now: number): number {
    if (this.faults.size > 0) return TERMINAL_STATES.fault;
    if (this.playing(now)) return TERMINAL_STATES.broadcasting;
    return this.amplifierOn ? TERMINAL_STATES.normal : TERMINAL_STATES.stopped;
  }

  /** Priority of what plays now; PRIORITY.idle when nothing does. */
  priority(now: number): number {
    this.advance(now);
    return this.session?.priority ?? PRIORITY.idle;
  }

  uptimeSeconds(now: number): number {
    return Math.floor((now - this.bootAt) / 1000);
  }

  /** The terminal's own clock (set by the clock command); null while it does not know the time. */
  clock(now: number): number | null {
    return this.clockKnown ? now + this.clockOffsetMs : null;
  }

  /** A reboot or a return of power: playback and unfinished transfers are lost, stored clips and counters kept. */
  reboot(now: number): void {
    this.advance(now);
    if (this.session) this.preempted.push({ session: this.session, at: now, by: 0 });
    this.closeHeld(now, 'restart');
    this.heldPlays.restart();
    this.log.end(now);
    this.session = null;
    this.bootAt = now;
    this.clips.dropPending();
    this.selfTest = null;
  }
}
