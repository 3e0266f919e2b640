/**
 * Alarms from the live state: once a second (and at once when a gateway's connection changes) the current causes are
 * derived from monitoring (alarm-causes.ts: a dead gateway is one bus alarm, not twelve terminal alarms) and run through
 * the AlarmBook (hysteresis, flap counts, reminders). Every raise, clear, reminder and acknowledgement is written to the
 * `alarms` table and published on `events` for the live view. Active alarms survive a restart.
 */
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Observable, Subject, type Subscription } from 'rxjs';
import { areaPrefix } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { ConflictError, NotFoundError } from '../common/errors';
import type { Page } from '../common/paging';
import { Transactions } from '../database/transactions';
import { type Alarm, AlarmBook, type AlarmEvent, type AlarmPolicy } from './alarm-book';
import { type AlarmCause, type AlarmKind, currentCauses } from './alarm-causes';
import { AlarmRepository } from './alarm.repository';
import type { AlarmEntity, AlarmState } from './monitoring.entities';
import { MonitoringService } from './monitoring.service';
import { Clock } from '../common/clock';

export const ALARM_POLICY = Symbol('ALARM_POLICY');
const EVALUATE_EVERY_MS = 1_000;

export interface AlarmView {
  id: number;
  key: string;
  kind: AlarmKind;
  state: AlarmState;
  areaCode: string;
  gatewayId: number | null;
  terminalId: number | null;
  fault: string | null;
  terminalIds: number[];
  raisedAt: string;
  clearedAt: string | null;
  flaps: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  reminders: number;
}

export interface PublishedAlarmEvent {
  type: AlarmEvent['type'];
  at: number;
  alarm: AlarmView;
}

export function alarmView(row: AlarmEntity): AlarmView {
  return {
    id: row.id,
    key: row.alarmKey,
    kind: row.kind,
    state: row.state,
    areaCode: row.areaCode,
    gatewayId: row.gatewayId,
    terminalId: row.terminalId,
    fault: row.fault,
    terminalIds: row.terminalIds,
    raisedAt: row.raisedAt.toISOString(),
    clearedAt: row.clearedAt?.toISOString() ?? null,
    flaps: row.flaps,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    reminders: row.reminders,
  };
}

function rowOf(alarm: Alarm, state: AlarmState, clearedAt: number | null, reminders: number): Omit<AlarmEntity, 'id'> {
  return {
    alarmKey: alarm.key,
    kind: alarm.kind,
    state,
    areaCode: alarm.areaCode,
    gatewayId: alarm.gatewayId,
    terminalId: alarm.terminalId,
    fault: alarm.fault,
    terminalIds: alarm.terminalIds,
    raisedAt: new Date(alarm.raisedAt),
    clearedAt: clearedAt === null ? null : new Date(clearedAt),
    flaps: alarm.flaps,
    acknowledgedBy: alarm.acknowledgedBy,
    acknowledgedAt: alarm.acknowledgedAt === null ? null : new Date(alarm.acknowledgedAt),
    lastRemindedAt: new Date(alarm.lastRemindedAt),
    reminders,
  };
}

@Injectable()
export class AlarmsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Alarms');
  private readonly book: AlarmBook;
  /** Database row of each active alarm, by cause key. */
  private readonly rows = new Map<string, { id: number; reminders: number }>();
  private readonly published = new Subject<PublishedAlarmEvent>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private gatewaySubscription: Subscription | null = null;
  private evaluationQueued = false;
  private readonly causeSources: (() => AlarmCause[])[] = [];

  constructor(
    @Inject(ALARM_POLICY) policy: AlarmPolicy,
    private readonly monitoring: MonitoringService,
    private readonly repo: AlarmRepository,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {
    this.book = new AlarmBook(policy);
  }

  /** Every raise, clear, reminder and acknowledgement, after it is in the database. */
  get events(): Observable<PublishedAlarmEvent> {
    return this.published.asObservable();
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const row of await this.repo.active()) {
      this.book.restore({
        key: row.alarmKey,
        kind: row.kind,
        areaCode: row.areaCode,
        gatewayId: row.gatewayId,
        terminalId: row.terminalId,
        fault: row.fault,
        terminalIds: row.terminalIds,
        raisedAt: row.raisedAt.getTime(),
        flaps: row.flaps,
        acknowledgedBy: row.acknowledgedBy,
        acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
        lastRemindedAt: row.lastRemindedAt.getTime(),
      });
      this.rows.set(row.alarmKey, { id: row.id, reminders: row.reminders });
    }
    this.gatewaySubscription = this.monitoring.gatewayEvents.subscribe(() => this.evaluateSoon());
    this.timer = setInterval(() => this.evaluateSoon(), EVALUATE_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.gatewaySubscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
    this.published.complete();
  }

  private evaluateSoon(): void {
    if (this.evaluationQueued || !this.timer) return;
    this.evaluationQueued = true;
    setImmediate(() => {
      this.evaluationQueued = false;
      void this.evaluate(this.clock.now());
    });
  }

  /**
   * Another source of causes beside the live state (the relay's watch), asked at every evaluation: its alarms are
   * raised, grouped, reminded and cleared as the others are.
   */
  addCauses(source: () => AlarmCause[]): void {
    this.causeSources.push(source);
  }

  /** Derives the causes now, updates the alarms and writes what changed; evaluations never overlap. */
  evaluate(at: number): Promise<void> {
    const run = this.chain.then(async () => {
      const events = this.book.evaluate(
        [
          ...currentCauses(this.monitoring.terminals(), this.monitoring.gatewayStates()),
          ...this.causeSources.flatMap((f) => f()),
        ],
        at,
      );
      for (const e of events) await this.persist(e);
    });
    this.chain = run.catch((e: unknown) => this.log.error(`alarm evaluation failed: ${String(e)}`));
    return this.chain;
  }

  private async persist(e: AlarmEvent): Promise<void> {
    const key = e.alarm.key;
    let row = this.rows.get(key);
    switch (e.type) {
      case 'raised': {
        row = { id: await this.repo.insert(rowOf(e.alarm, 'active', null, 0)), reminders: 0 };
        this.rows.set(key, row);
        break;
      }
      case 'cleared':
        this.rows.delete(key);
        if (row)
          await this.repo.update(row.id, {
            state: 'cleared',
            clearedAt: new Date(e.at),
            flaps: e.alarm.flaps,
            terminalIds: e.alarm.terminalIds,
          });
        break;
      case 'reminder':
        if (row) {
          row.reminders += 1;
          await this.repo.update(row.id, {
            lastRemindedAt: new Date(e.at),
            reminders: row.reminders,
            flaps: e.alarm.flaps,
            terminalIds: e.alarm.terminalIds,
          });
        }
        break;
      case 'acknowledged':
        break;
    }
    if (!row) return;
    const state: AlarmState = e.type === 'cleared' ? 'cleared' : 'active';
    this.published.next({
      type: e.type,
      at: e.at,
      alarm: {
        ...alarmView({ id: row.id, ...rowOf(e.alarm, state, e.type === 'cleared' ? e.at : null, row.reminders) }),
      },
    });
  }

  async list(
    user: AuthUser,
    filter: { state?: AlarmState; kind?: AlarmKind; areaCode?: string },
    limit: number,
    offset: number,
  ): Promise<Page<AlarmView>> {
    const visible = visibleSubtrees(user, filter.areaCode);
    const page = await this.repo.page(
      { state: filter.state, kind: filter.kind, prefixes: visible === null ? null : visible.map((c) => areaPrefix(c)) },
      limit,
      offset,
    );
    return { items: page.items.map(alarmView), total: page.total };
  }

  async get(user: AuthUser, id: number): Promise<AlarmView> {
    const row = await this.repo.findById(id);
    if (!row) throw new NotFoundError('alarm', id);
    assertCanReach(user, row.areaCode, 'alarm');
    return alarmView(row);
  }

  /** A technician or officer takes an active alarm in hand: reminders stop; it still clears by itself. */
  acknowledge(user: AuthUser, id: number): Promise<AlarmView> {
    const run = this.chain.then(async () => {
      const row = await this.repo.findById(id);
      if (!row) throw new NotFoundError('alarm', id);
      assertCanReach(user, row.areaCode, 'alarm');
      if (row.state === 'cleared')
        throw new ConflictError('alarm_cleared', `alarm ${id} has cleared already`, { alarmId: id });
      if (row.acknowledgedAt)
        throw new ConflictError('alarm_acknowledged', `alarm ${id} was acknowledged by ${row.acknowledgedBy} already`, {
          alarmId: id,
          acknowledgedBy: row.acknowledgedBy,
        });
      const at = this.clock.now();
      const event = this.book.acknowledge(row.alarmKey, user.username, at);
      const patch = { acknowledgedBy: user.username, acknowledgedAt: new Date(at) };
      const view = alarmView({ ...row, ...patch });
      await this.transactions.run(async (tx) => {
        await this.repo.update(id, patch, tx);
        await this.audit.record(
          {
            actor: user,
            action: 'alarm.acknowledge',
            entityType: 'alarm',
            entityId: id,
            before: alarmView(row),
            after: view,
          },
          tx,
        );
      });
      if (event) this.published.next({ type: 'acknowledged', at, alarm: view });
      return view;
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
