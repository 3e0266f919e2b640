/** Neutral types (terminal-bus.ts) ↔ register-map records (firmware-protocols/terminal-modbus). */
import type { CommandRecord, IdentityRecord, StatusRecord } from '../../firmware-protocols/terminal-modbus';
import { broadcastHandle } from '../../firmware-protocols/terminal-modbus';
import type { TerminalCommand, TerminalIdentity, TerminalStatus } from '../terminal-bus';

export function toIdentity(r: IdentityRecord): TerminalIdentity {
  return {
    vendor: r.vendor,
    model: r.model,
    firmware: r.firmware,
    serial: r.serial,
    resourceCode: r.resourceCode,
    capabilities: {
      codecs: [...r.codecs],
      clipStorageKb: r.clipStorageKb,
      sources: [...r.sources],
      display: r.display,
      holdsSchedule: r.holdsSchedule === true,
    },
  };
}

/** `resolve` maps a broadcast handle (PROTOCOL.md §3.1) to the id the driver commanded, null when unknown. */
export function toStatus(r: StatusRecord, resolve: (handle: number) => string | null): TerminalStatus {
  return {
    state: r.state,
    priority: r.priority,
    source: r.source,
    clipId: r.clipId,
    broadcastId: r.broadcastHandle === 0 ? null : resolve(r.broadcastHandle),
    broadcastClass: r.broadcastClass,
    volume: r.volume,
    faults: r.faults,
    supplyVoltage: r.supplyVoltage,
    temperature: r.temperature,
    signalQuality: r.signalQuality,
    uptimeSeconds: r.uptimeSeconds,
    counters: { crcErrors: r.crcErrors, refusedCommands: r.refusedCommands },
    lastCommandSequence: r.lastCommandSequence,
    clock: r.clockSeconds === 0 ? null : new Date(r.clockSeconds * 1000),
  };
}

export function toCommandRecord(c: TerminalCommand): CommandRecord {
  switch (c.code) {
    case 'play':
      return {
        code: 'play',
        source: c.source,
        priority: c.priority,
        broadcastClass: c.broadcastClass,
        volume: c.volume,
        clipId: c.clipId ?? 0,
        sourceParam: c.sourceParam ?? 0,
        repeat: c.repeat,
        startAt: c.startAt ?? null,
        endAt: c.endAt ?? null,
        broadcastId: c.broadcastId,
      };
    case 'stop':
      return {
        code: 'stop',
        priority: c.priority,
        broadcastHandle: c.broadcastId === null ? 0 : broadcastHandle(c.broadcastId),
      };
    case 'volume':
    case 'amplifier':
    case 'clock':
    case 'reboot':
    case 'test-tone':
    case 'self-test':
      return c;
  }
}
