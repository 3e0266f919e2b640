/**
 * What the adapter says unasked (PROTOCOL.md §4.2, §4.3, §5), turned into TerminalBus events: 回传 heartbeats and
 * query replies update a unit's status ('status'); task start/end, faults, task switches, broadcast results and
 * play records are 'report's; the adapter's own heartbeat is a 'report' on unit 0. Frames about a terminal the
 * driver does not list are 'error' events of kind 'wrong-unit'.
 */
import { FAULTS, TERMINAL_STATES } from '../../firmware-protocols/codes';
import type { ParsedItem } from '../../firmware-protocols/adapter';
import { decodeMessageBody } from '../../firmware-protocols/adapter';
import type { BusEvent, TerminalStatus } from '../terminal-bus';
import { emptyStatus, statusFromQuery } from './mapping';
import type { Clock } from './ports';

export class ReportRouter {
  private readonly statuses = new Map<number, TerminalStatus>();
  private readonly units = new Map<string, number>();

  constructor(
    private readonly busId: string,
    terminals: string[],
    private readonly clock: Clock,
    private readonly emit: (e: BusEvent) => void,
  ) {
    terminals.forEach((code, i) => this.units.set(code, i + 1));
  }

  lastStatus(unit: number): TerminalStatus {
    return this.statuses.get(unit) ?? emptyStatus();
  }

  setStatus(unit: number, status: TerminalStatus): void {
    this.statuses.set(unit, status);
    this.emit({ type: 'status', busId: this.busId, unit, status, at: this.clock.now() });
  }

  route(item: ParsedItem): void {
    if (item.kind === 'return') return this.routeReturn(item);
    if (item.kind !== 'command' || item.frame.direction !== 'reply') return;
    let m;
    try {
      m = decodeMessageBody(item.frame.code, item.frame.body);
    } catch (e) {
      return this.error(
        null,
        'protocol',
        `adapter frame 0x${item.frame.code.toString(16)} does not decode: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    switch (m.kind) {
      case 'reply':
        return; // awaited by the transaction that sent the command
      case 'heartbeat':
        return this.report(0, { kind: 'adapterHeartbeat', state: m.state, at: m.at.toISOString() });
      case 'taskStart':
      case 'taskEnd':
        for (const code of m.terminals) {
          const unit = this.unitOf(code);
          if (unit !== null) this.report(unit, { kind: m.kind, broadcastId: m.broadcastId, at: m.at.toISOString() });
        }
        return;
    }
  }

  private routeReturn(item: Extract<ParsedItem, { kind: 'return' }>): void {
    const f = item.frame;
    const unit = this.unitOf(f.source);
    if (unit === null) return;
    const d = f.data;
    const before = this.lastStatus(unit);
    switch (d.business) {
      case 'heartbeat':
        return this.setStatus(unit, {
          ...before,
          state: d.state,
          volume: d.volume,
          ...(d.state === TERMINAL_STATES.broadcasting ? {} : { broadcastId: null, broadcastClass: 0 }),
        });
      case 'queryReply':
        return f.packType === 'reply'
          ? undefined
          : this.setStatus(unit, statusFromQuery(d.reply, before, before.lastCommandSequence));
      case 'fault': {
        const key = FAULTS.find((x) => x.code === d.faultCode)?.key;
        const faults =
          key === undefined
            ? before.faults
            : d.recovered
              ? before.faults.filter((k) => k !== key)
              : [...new Set([...before.faults, key])];
        this.setStatus(unit, { ...before, state: d.recovered ? 4 : 3, faults });
        return this.report(unit, {
          kind: d.recovered ? 'recovery' : 'fault',
          faultCode: d.faultCode,
          fault: key ?? null,
          at: d.at.toISOString(),
        });
      }
      case 'taskSwitch':
        return this.report(unit, {
          kind: 'taskSwitch',
          taskSource: d.taskSource,
          broadcastId: d.broadcastId,
          at: d.at.toISOString(),
        });
      case 'broadcastResult':
        return this.report(unit, {
          kind: 'broadcastResult',
          broadcastId: d.broadcastId,
          state: d.state,
          at: d.at.toISOString(),
        });
      case 'playRecords':
        return this.report(unit, {
          kind: 'playRecords',
          records: d.records.map((r) => ({ ...r, startAt: r.startAt.toISOString(), endAt: r.endAt.toISOString() })),
        });
    }
  }

  private unitOf(code: string): number | null {
    const unit = this.units.get(code);
    if (unit === undefined) {
      this.error(null, 'wrong-unit', `adapter reported on terminal ${code}, which this bus does not list`);
      return null;
    }
    return unit;
  }

  private report(unit: number, report: Record<string, unknown>): void {
    this.emit({ type: 'report', busId: this.busId, unit, report, at: this.clock.now() });
  }

  private error(unit: number | null, error: 'protocol' | 'wrong-unit', message: string): void {
    this.emit({ type: 'error', busId: this.busId, unit, error, message, at: this.clock.now() });
  }
}
