/**
 * One bus as the per-bus plan sees it, and what tells a terminal's status as ours. Terminals are named by a numeric
 * key (the registry's terminal id in the server, the unit id in a bench).
 */
import { TERMINAL_STATES } from '../../../firmware-protocols/codes';
import type {
  ClipToTransfer,
  FieldFailure,
  PriorityClass,
  TerminalCommand,
  TerminalStatus,
} from '../../field/field-port';

export type PlayCommand = Extract<TerminalCommand, { code: 'play' }>;
export type StopCommand = Extract<TerminalCommand, { code: 'stop' }>;

export interface BusLink {
  readonly id: string;
  /** `prepareEach`: RequestOptions.prepareEach (the signed prepare to each key on its own). */
  transfer(
    keys: number[],
    clip: ClipToTransfer,
    priority: PriorityClass,
    opts?: { prepareEach?: boolean },
  ): Promise<{ stored: number[]; alreadyStored: number[]; failed: { key: number; failure: FieldFailure }[] }>;
  /** A command to every unit of the bus at once (no reply); resolves to the signed block's sequence, null if unknown. */
  commandAll(command: PlayCommand | StopCommand, priority: PriorityClass): Promise<number | null>;
  /** A command to one key; resolves to the signed block's sequence, null if unknown. Rejects with a FieldError. */
  command(key: number, command: PlayCommand | StopCommand, priority: PriorityClass): Promise<number | null>;
  status(key: number, priority: PriorityClass): Promise<TerminalStatus>;
}

/** A key and why it did not get where the plan wanted it (what a report shows). */
export interface KeyFailure {
  key: number;
  reason: string;
}

/** What a status must show to be our broadcast: started, or armed for a synchronised start still ahead. */
export interface OurBroadcast {
  broadcastId: string;
  /** Terminal clip id, priority and class: after a restart the driver cannot name a broadcast it did not command itself. */
  clipId: number | null;
  priority: number;
  broadcastClass: number;
  startAt: number;
}

export function isBroadcasting(s: Pick<TerminalStatus, 'state'>): boolean {
  return s.state === TERMINAL_STATES.broadcasting;
}

export function showsOurs(s: TerminalStatus, o: OurBroadcast): boolean {
  // the terminal holds a session of ours: playing, or armed for a synchronised start (whole seconds on the wire)
  if (s.broadcastId === o.broadcastId) return true;
  return (
    s.broadcastId === null &&
    isBroadcasting(s) &&
    o.clipId !== null &&
    s.clipId === o.clipId &&
    s.priority === o.priority &&
    s.broadcastClass === o.broadcastClass
  );
}
