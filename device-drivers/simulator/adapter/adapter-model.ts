/**
 * The virtual adapter's model (firmware-protocols/adapter/PROTOCOL.md §3, §7.2): its options, a terminal behind it,
 * its counters, the refusal that becomes a reply's result, and the priority rule of §3.1.
 */
import { priorityOf } from '../../../firmware-protocols/codes';
import {
  AdapterCodecError,
  decodeCommandBody,
  type AdapterCommand,
  type BroadcastCommand,
  type CommandFrame,
  type FrameVerifier,
  type ResultName,
} from '../../../firmware-protocols/adapter';
import type { Clock } from '../../adapter/ports';

export interface VirtualAdapterOptions {
  adapterCode: string;
  platformCode: string;
  /** Resource codes of the terminals behind this adapter. */
  terminals: string[];
  /** Their 12-byte physical addresses as 24 hex digits (default: 8 zeros then the code's last 16 digits). */
  physical?: string[];
  seed: number;
  clock: Clock;
  /** Checks command signatures; without it every command is answered badSignature (§2.3). */
  verifier: FrameVerifier | null;
  /** Replay window, seconds (default layout.ts REPLAY_WINDOW_SECONDS). */
  maxSkewSeconds?: number;
  /** Adapter heartbeat 0x20 period (default HEARTBEAT_SECONDS). */
  heartbeatMs?: number;
  /** Per-terminal 回传 heartbeat 0x10 period until a 0x0B sets it (default DEFAULT_RETURN_PERIOD). */
  returnPeriodMs?: number;
}

export interface SimTerminal {
  code: string;
  physical: string;
  state: number;
  volume: number;
  amplifierOn: boolean;
  broadcastId: string | null;
  broadcastClass: number;
  /** Priority of what it plays (firmware-protocols/codes PRIORITY; idle when nothing). */
  priority: number;
  faults: number[];
  supplyVoltage: number;
  temperature: number;
}

export interface AdapterCounters {
  /** Commands whose code is known. */
  commands: number;
  /** Commands answered with a result other than ok. */
  refused: number;
  replays: number;
  /** Frames with an unknown command code (not answered). */
  invalid: number;
}

/** Why a command is not obeyed: the reply's result. */
export class Refusal extends Error {
  constructor(readonly result: ResultName) {
    super(result);
  }
}

/** A command whose body does not decode, or breaks a value rule of §3, is answered badParameter. */
export function decodeOrRefuse(frame: CommandFrame): AdapterCommand {
  try {
    return decodeCommandBody(frame.code, frame.body);
  } catch (e) {
    if (e instanceof AdapterCodecError) throw new Refusal('badParameter');
    throw e;
  }
}

/** §3.1: emergency (class 4) by level 1–4 (0 = lowest emergency), drills (1–3) next, daily (5) last. */
export function priorityOfBroadcast(c: Pick<BroadcastCommand, 'broadcastClass' | 'level'>): number {
  if (c.broadcastClass === 4) return priorityOf({ kind: 'emergency', severity: c.level });
  if (c.broadcastClass === 5) return priorityOf({ kind: 'daily', level: 'county' });
  return priorityOf({ kind: 'drill' });
}
