/**
 * The neutral model of a terminal that both terminal families (terminal-modbus, adapter) are mapped onto: what it
 * plays and how it is, the commands it takes, and a clip to store on it. Pure types: the drivers produce and consume
 * them, the server reads them through its field port.
 */
import type { FaultKey } from './domain-codes';

export type SourceKind = 'none' | 'stored' | 'fm' | 'line-in' | 'ip' | 'tone';

/** The neutral status of one terminal, as one poll or one heartbeat reports it. */
export interface TerminalStatus {
  /** TERMINAL_STATES (domain-codes.ts). */
  state: number;
  /** PRIORITY (priority.ts); PRIORITY.idle when nothing plays. */
  priority: number;
  source: SourceKind;
  /** Clip id playing, 0 when none. */
  clipId: number;
  /** Broadcast (EBMID) playing, null when none or unknown. */
  broadcastId: string | null;
  /** Broadcast class of what plays (BROADCAST_CLASSES), 0 when idle. */
  broadcastClass: number;
  volume: number;
  faults: FaultKey[];
  supplyVoltage: number | null;
  temperature: number | null;
  signalQuality: number | null;
  uptimeSeconds: number | null;
  /** Counters the terminal itself keeps: CRC errors seen, commands refused (signature/replay/priority). */
  counters: { crcErrors: number; refusedCommands: number };
  lastCommandSequence: number;
  clock: Date | null;
}

export type TerminalCommand =
  | {
      code: 'play';
      source: SourceKind;
      clipId?: number;
      /** FM frequency in units of 10 kHz, line-in channel, or IP stream index — source-specific. */
      sourceParam?: number;
      priority: number;
      broadcastClass: number;
      repeat: number;
      volume: number;
      /** Synchronised start; absent = at once. */
      startAt?: Date;
      endAt?: Date;
      broadcastId: string | null;
    }
  | { code: 'stop'; broadcastId: string | null; priority: number }
  | { code: 'volume'; volume: number }
  | { code: 'amplifier'; on: boolean }
  | { code: 'clock'; at: Date }
  | { code: 'reboot' }
  | { code: 'test-tone'; seconds: number; volume: number }
  /** A silent self-test (terminal-modbus PROTOCOL.md §4.2 code 8): `checks` bitmap 1–15, result read at §3.3. */
  | { code: 'self-test'; testId: number; checks: number };

export interface ClipToTransfer {
  clipId: number;
  codec: string;
  /** SM3 digest of the data, hex. */
  digest: string;
  data: Uint8Array;
}
