/**
 * Between the neutral TerminalBus types and the adapter protocol (firmware-protocols/adapter/PROTOCOL.md §3, §5.2).
 * Units: in the adapter family a unit is a terminal behind the adapter; unit n (1-based) is the n-th resource code
 * of the driver's `terminals` list, unit 0 is the adapter itself.
 */
import {
  BROADCAST_CLASSES,
  FAULTS,
  PRIORITY,
  priorityOf,
  TASK_SOURCES,
  TERMINAL_STATES,
  type FaultKey,
} from '../../firmware-protocols/codes';
import { INPUT_CHANNELS, type AdapterCommand, type QueryReply } from '../../firmware-protocols/adapter';
import type { SourceKind, TerminalCommand, TerminalIdentity, TerminalStatus } from '../terminal-bus';

export interface PlayDefaults {
  eventType: string;
  /** Play without an end time lasts this long. */
  defaultDurationMs: number;
}

export type MappedCommand = { ok: true; command: AdapterCommand } | { ok: false; reason: string };

const INPUT_OF: Record<SourceKind, number> = {
  none: INPUT_CHANNELS.ip,
  stored: INPUT_CHANNELS.stored,
  fm: INPUT_CHANNELS.fm,
  'line-in': INPUT_CHANNELS.lineIn,
  ip: INPUT_CHANNELS.ip,
  tone: INPUT_CHANNELS.stored,
};

/** The adapter command for a neutral one aimed at `targets` (resource codes), or why it cannot be sent. */
export function toAdapterCommand(c: TerminalCommand, targets: string[], now: Date, d: PlayDefaults): MappedCommand {
  switch (c.code) {
    case 'play': {
      if (c.broadcastId === null)
        return { ok: false, reason: 'a play on the adapter link needs a 35-digit broadcast id' };
      const startAt = c.startAt ?? now;
      return {
        ok: true,
        command: {
          code: 'broadcast',
          broadcastId: c.broadcastId,
          start: true,
          broadcastClass: c.broadcastClass,
          eventType: d.eventType,
          level: c.priority >= 1 && c.priority <= 4 ? c.priority : 0,
          startAt,
          endAt: c.endAt ?? new Date(startAt.getTime() + d.defaultDurationMs),
          volume: c.volume,
          addressing: 'logical',
          targets,
          text: null,
          auxMedia:
            c.source === 'stored' && c.clipId !== undefined ? [{ type: 'audioFile', value: `clip-${c.clipId}` }] : [],
          inputChannel: INPUT_OF[c.source],
          outputChannels: 1,
        },
      };
    }
    case 'stop':
      if (c.broadcastId === null)
        return { ok: false, reason: 'a stop on the adapter link needs the broadcast id it stops' };
      return {
        ok: true,
        command: {
          code: 'broadcast',
          broadcastId: c.broadcastId,
          start: false,
          broadcastClass: BROADCAST_CLASSES.daily,
          eventType: d.eventType,
          level: 0,
          startAt: now,
          endAt: now,
          volume: 0xff,
          addressing: 'logical',
          targets,
          text: null,
          auxMedia: [],
          inputChannel: INPUT_CHANNELS.ip,
          outputChannels: 1,
        },
      };
    case 'volume':
      return { ok: true, command: { code: 'volume', volume: c.volume, addressing: 'logical', targets } };
    case 'amplifier':
      return { ok: true, command: { code: 'amplifier', on: c.on, addressing: 'logical', targets } };
    case 'clock':
      return { ok: true, command: { code: 'clock', at: c.at } };
    case 'reboot':
      return { ok: false, reason: 'the adapter protocol has no reboot command' };
    case 'test-tone':
      return { ok: false, reason: 'the adapter protocol has no test-tone command' };
    case 'self-test':
      return { ok: false, reason: 'the adapter protocol has no self-test command' };
  }
}

function sourceOf(taskSource: number | undefined): SourceKind {
  switch (taskSource) {
    case undefined:
    case 0:
      return 'none';
    case TASK_SOURCES.lineIn:
      return 'line-in';
    case TASK_SOURCES.usb:
      return 'stored';
    default:
      return 'ip';
  }
}

function priorityOfClass(cls: number): number {
  switch (cls) {
    case 0:
      return PRIORITY.idle;
    case 4:
      return priorityOf({ kind: 'emergency', severity: 0 });
    case 5:
      return priorityOf({ kind: 'daily', level: 'county' });
    default:
      return priorityOf({ kind: 'drill' });
  }
}

export function faultKeys(codes: number[]): FaultKey[] {
  return codes.flatMap((c) => FAULTS.filter((f) => f.code === c).map((f) => f.key));
}

export function emptyStatus(): TerminalStatus {
  return {
    state: TERMINAL_STATES.normal,
    priority: priorityOfClass(0),
    source: 'none',
    clipId: 0,
    broadcastId: null,
    broadcastClass: 0,
    volume: 0,
    faults: [],
    supplyVoltage: null,
    temperature: null,
    signalQuality: null,
    uptimeSeconds: null,
    counters: { crcErrors: 0, refusedCommands: 0 },
    lastCommandSequence: 0,
    clock: null,
  };
}

/** A status from a TLV query reply, on top of what was known before (fields the reply lacks are kept). */
export function statusFromQuery(q: QueryReply, before: TerminalStatus, lastSequence: number): TerminalStatus {
  const cls = q.broadcastClass ?? before.broadcastClass;
  return {
    state: q.state ?? before.state,
    priority: priorityOfClass(cls),
    source: q.taskSource === undefined ? before.source : sourceOf(q.taskSource),
    clipId: 0,
    broadcastId:
      q.broadcastId ?? (q.state !== undefined && q.state !== TERMINAL_STATES.broadcasting ? null : before.broadcastId),
    broadcastClass: cls,
    volume: q.volume ?? before.volume,
    faults: q.faults === undefined ? before.faults : faultKeys(q.faults),
    supplyVoltage: q.supplyVoltage ?? before.supplyVoltage,
    temperature: q.temperature ?? before.temperature,
    signalQuality: q.signalQuality ?? before.signalQuality,
    uptimeSeconds: q.uptimeSeconds ?? before.uptimeSeconds,
    counters: {
      crcErrors: q.crcErrors ?? before.counters.crcErrors,
      refusedCommands: q.refusedCommands ?? before.counters.refusedCommands,
    },
    lastCommandSequence: lastSequence,
    clock: q.clock ?? before.clock,
  };
}

export function identityFromQuery(q: QueryReply, resourceCode: string): TerminalIdentity {
  return {
    vendor: q.vendor ?? '',
    model: q.model ?? '',
    firmware: q.firmware ?? '',
    serial: q.serial ?? '',
    resourceCode,
    capabilities: { codecs: [], clipStorageKb: 0, sources: ['ip', 'line-in', 'fm'], display: false },
  };
}
