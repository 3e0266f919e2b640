/**
 * A bus the field keeps open for a gateway (field-buses.ts), and what it sees passed on: reads and failed reads to
 * monitoring by terminal id, the gateway's connection, adapter reports (回传, task start/end) to dispatch, driver errors
 * to the debug log.
 */
import type { Logger } from '@nestjs/common';
import type { Subject, Subscription } from 'rxjs';
import type { PollOutcome, Sweeper } from '../../device-drivers/bus';
import type { BusEvent, TerminalBus } from '../../device-drivers/terminal-bus';
import type { MonitoringService } from '../monitoring/monitoring.service';
import type { GatewayEntity } from '../terminals/registry.entities';

/** A gateway's bus as the field keeps it open: the units on it (by terminal), its sweeper, its subscriptions. */
export interface OpenBus {
  gateway: GatewayEntity;
  key: string;
  bus: TerminalBus;
  /** unit → terminal id */
  units: Map<number, number>;
  sweeper: Sweeper | null;
  subscriptions: Subscription[];
  /** FieldCommands.busSequenceFloor: the sequence floor when this instance opened the bus. */
  sequenceFloor: number;
}

/** A report (adapter 回传, task start/end) with the registry ids it concerns. */
export interface FieldReport {
  gatewayId: number;
  terminalId: number | null;
  report: Record<string, unknown>;
  at: number;
}

/** Passes on what the open buses see. */
export class BusObserver {
  constructor(
    private readonly monitoring: MonitoringService,
    private readonly reports: Subject<FieldReport>,
    private readonly log: Logger,
  ) {}

  /** A sweep's poll of a unit: a failure goes to monitoring (a good read comes as a status event). */
  poll(o: OpenBus, p: PollOutcome): void {
    // good reads arrive as the bus's 'status' events (polls and diagnostics alike); failures only here
    if (p.ok || p.error === 'backoff') return;
    const terminalId = o.units.get(p.unit);
    if (terminalId !== undefined) this.monitoring.readFailed(terminalId, p.error, p.at);
  }

  /** One event of the bus. */
  event(o: OpenBus, e: BusEvent): void {
    switch (e.type) {
      case 'status': {
        const terminalId = o.units.get(e.unit);
        if (terminalId !== undefined) this.monitoring.readOk(terminalId, e.status, e.at);
        return;
      }
      case 'unreachable': {
        const terminalId = o.units.get(e.unit);
        if (terminalId !== undefined) this.monitoring.readFailed(terminalId, e.error, e.at);
        return;
      }
      case 'connection':
        this.monitoring.gatewayConnection(o.gateway.id, e.state, e.at, e.detail);
        return;
      case 'report':
        this.reports.next({
          gatewayId: o.gateway.id,
          terminalId: o.units.get(e.unit) ?? null,
          report: e.report,
          at: e.at,
        });
        return;
      case 'error':
        this.log.debug(`${e.busId}${e.unit === null ? '' : ` unit ${e.unit}`}: ${e.error}: ${e.message}`);
        return;
    }
  }
}
