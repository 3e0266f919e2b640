/**
 * What happens to an alert without a person acting: the outcomes dispatch reports back (AlertOutcomes: scheduled,
 * started, complete, partial, failed, cancelled) and the expiry of alerts that never went on air before their end.
 * Each move is one transaction with its audit entry (actor: the system), published on AlertsService.changes.
 * In a cluster the expiry sweep is a singleton (`singleton:alert-expiry`, docs/cluster.md "Singletons"): only its
 * holder sweeps, so an alert is expired (and audited) once; the sweep reads what is due from the database each time.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../auth/auth-user';
import { LeaseManager } from '../cluster/lease-manager';
import { SingletonLease } from '../cluster/singleton-lease';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/errors';
import { Transactions, type Tx } from '../database/transactions';
import { AlertOutcomes, Dispatcher } from '../dispatch/dispatch-order';
import {
  ALERT_LIFECYCLE,
  isFinalAlertState,
  nextAlertState,
  type AlertEvent,
  type AlertState,
} from './alert-lifecycle';
import type { AlertEntity } from './alert.entities';
import { alertView } from './alert-view';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

/** Events dispatch reports through AlertOutcomes. */
const DISPATCH_EVENTS: readonly AlertEvent[] = [
  'schedule',
  'start',
  'complete',
  'complete-partially',
  'fail',
  'cancel',
];
const FINISHING_EVENTS: readonly AlertEvent[] = ['complete', 'complete-partially', 'fail'];
const EXPIRY_SWEEP_MS = 30_000;

/** The state an event leads to wherever it is allowed (for telling a repeated report from an illegal one). */
function targetOf(event: AlertEvent): AlertState | undefined {
  for (const steps of Object.values(ALERT_LIFECYCLE)) if (steps[event]) return steps[event];
  return undefined;
}

@Injectable()
export class AlertOutcomesService implements AlertOutcomes, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Alerts');
  private timer: NodeJS.Timeout | null = null;
  private readonly expiry: SingletonLease;

  constructor(
    private readonly repo: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly dispatcher: Dispatcher,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
    leases: LeaseManager,
  ) {
    this.expiry = new SingletonLease(leases, 'alert-expiry');
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (!this.expiry.holds()) return;
      this.expireDue().catch((e: unknown) => this.log.error(`expiry sweep failed: ${(e as Error).message}`));
    }, EXPIRY_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** AlertOutcomes: moves the alert by a dispatch event, audited as the system; a repeated report is a no-op. */
  async advance(alertId: number, event: AlertEvent, detail?: string): Promise<void> {
    if (!DISPATCH_EVENTS.includes(event)) throw new Error(`dispatch cannot report "${event}" on an alert`);
    const moved = await this.transactions.run(async (tx) => {
      const alert = await this.load(alertId, tx);
      if (ALERT_LIFECYCLE[alert.state][event] === undefined && targetOf(event) === alert.state) return null;
      if (isFinalAlertState(alert.state)) {
        // e.g. the engine confirming a stop after the alert expired: the alert's outcome is already written
        this.log.warn(`alert ${alertId} is ${alert.state}; dispatch's late "${event}" is ignored`);
        return null;
      }
      const before = alertView(alert);
      // a broadcast that finished before its start was reported
      const from =
        alert.state === 'scheduled' && FINISHING_EVENTS.includes(event)
          ? nextAlertState(alert.state, 'start')
          : alert.state;
      alert.state = nextAlertState(from, event);
      Object.assign(alert, { outcomeDetail: detail ?? alert.outcomeDetail, updatedAt: this.clock.date() });
      const saved = await this.repo.save(tx, alert);
      await this.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: `alert.${event}`,
          entityType: 'alert',
          entityId: alertId,
          before,
          after: alertView(saved),
        },
        tx,
      );
      return saved;
    });
    if (moved) this.alerts.announce(moved);
  }

  /** Alerts still draft, submitted, approved or scheduled past their end become expired; returns their ids. */
  async expireDue(now = this.clock.date()): Promise<number[]> {
    const expired: number[] = [];
    for (const due of await this.repo.dueToExpire(now)) {
      const saved = await this.transactions.run(async (tx) => {
        const alert = await this.load(due.id, tx);
        if (alert.endAt.getTime() > now.getTime() || ALERT_LIFECYCLE[alert.state].expire === undefined) return null;
        const before = alertView(alert);
        alert.state = nextAlertState(alert.state, 'expire');
        Object.assign(alert, {
          outcomeDetail: `expired at ${now.toISOString()} before it went on air`,
          updatedAt: now,
        });
        const after = await this.repo.save(tx, alert);
        await this.audit.record(
          {
            actor: SYSTEM_ACTOR,
            action: 'alert.expire',
            entityType: 'alert',
            entityId: alert.id,
            before,
            after: alertView(after),
          },
          tx,
        );
        return after;
      });
      if (!saved) continue;
      expired.push(saved.id);
      this.alerts.announce(saved);
      if (saved.broadcastId) await this.dispatcher.cancel(due.id, SYSTEM_ACTOR.id);
    }
    return expired;
  }

  private async load(id: number, tx: Tx): Promise<AlertEntity> {
    const alert = await this.repo.findById(id, tx);
    if (!alert) throw new NotFoundError('alert', id);
    return alert;
  }
}
