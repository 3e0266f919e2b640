/** What a broadcast run needs from the rest of the engine, and the run's shared vocabulary. */
import type { Clock } from '../../common/clock';
import type { TerminalCommand } from '../../field/field-port';
import type { BusLink } from '../bus-plan';
import type { BroadcastEntity } from '../broadcast.entities';
import type { DeliveryChange, DeliveryLedger, DeliveryUpdate } from '../delivery-ledger';
import type { DispatchPolicy } from '../dispatch-policy';

/** What the rest of the engine sees of a run: its broadcast and ledger. */
export interface RunView {
  readonly broadcastId: string;
  readonly broadcast: BroadcastEntity;
  readonly ledger: DeliveryLedger;
}

/** What plays on a terminal as far as the engine knows. */
export interface PlayingNow {
  broadcastId: string | null;
  priority: number;
  /** Known for sure (a broadcast this engine verified playing there), not from a sweep that may be stale. */
  certain?: boolean;
}

export interface ClipVariant {
  clipId: number;
  codec: string;
  digest: string;
  data: Uint8Array;
  durationMs: number;
}

export interface RunContext {
  clock: Clock;
  policy: DispatchPolicy;
  locate(terminalId: number): { gatewayId: number } | null;
  link(gatewayId: number): BusLink;
  /** Enabled terminals on a gateway (a bus-wide start reaches all of them). */
  unitsOn(gatewayIds: number[]): Promise<Map<number, number>>;
  /** The clip variant for each group of terminals: clip id on the terminal, data, and how long one play lasts. */
  clipFor(
    libraryClipId: string,
    terminalIds: number[],
  ): Promise<{ terminalIds: number[]; clip: ClipVariant | null; error: string | null }[]>;
  playingNow(terminalId: number, except: string): PlayingNow | null;
  /**
   * Writes a batch (errors are the context's to log: the run goes on from memory); false when it was not written. A
   * start's write-ahead record that was not written stops the start (bus-start.ts).
   */
  flush(run: RunView, changes: DeliveryChange[], updates: DeliveryUpdate[]): Promise<boolean>;
  /** Our start interrupted `other` on the terminal. */
  preempted(other: string, terminalId: number, by: string): Promise<void>;
  /** Our play ended on a terminal whose earlier broadcast we interrupted. */
  ended(other: string, terminalId: number): Promise<void>;
  halted(): boolean;
  /**
   * FieldCommands.sequenceFloor: every command signed from now on has a greater sequence, and so has each of
   * `sending` however it goes out (a bus-wide command as the block signed for it a moment ago).
   */
  sequenceFloor?(sending?: TerminalCommand[]): number;
  /** FieldCommands.busSequenceFloor: what was signed on the bus before this instance opened it is at most this. */
  busSequenceFloor?(gatewayId: number): number | null;
  /** Monitoring holds the terminal offline. */
  offline(terminalId: number): boolean;
  /** The terminal is known to hold this clip already (tone provisioning stored it): no transfer, not even a check. */
  holds?(terminalId: number, clipId: number): boolean;
  /** It turned out not to (it refused a play of it): forget that. */
  lacks?(terminalId: number, clipId: number): void;
  /** A transfer stored the clip on the terminal or found it there. */
  stored?(terminalId: number, clipId: number): void;
}

/** Thrown at a checkpoint when the run must stop (a cancel, or the server closing). */
export class Halt extends Error {}
