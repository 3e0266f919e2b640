/**
 * Alarms from the live state: once a second (and at once when a gateway's connection changes) the current causes are
 * derived from monitoring (alarm-causes.ts: a dead gateway is one bus alarm, not twelve terminal alarms) and run through
 * the AlarmBook (hysteresis, flap counts, reminders). Every raise, clear, reminder and acknowledgement is written to the
 * `alarms` table and published on `events` for the live view. Active alarms survive a restart.
 *
 * In a cluster (docs/cluster.md, "Alarms follow the bus") an instance keeps only the alarms of the leases it holds
 * (alarm-owners.ts: a bus, or the `alarms` singleton): it raises, reminds and clears those, each write in a transaction
 * fenced by that lease; it adopts a lease's active alarms from the table when it gains it (and clears none of them
 * before it has polled the bus), and lets them go from memory, rows untouched, when it loses it. A town's uplink is
 * judged over all of the town's gateways: those of the buses other instances drive as they publish them
 * (shared-monitoring.ts).
 */
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Observable, Subject, type Subscription } from 'rxjs';
import { BUS_PREFIX, LeaseManager, type LeaseEvent } from '../cluster/lease-manager';
import { StaleLeaseError } from '../cluster/lease-fence';
import { SingletonLease } from '../cluster/singleton-lease';
import { areaPrefix } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { ConflictError, NotFoundError } from '../common/errors';
import type { Page } from '../common/paging';
import { Transactions, type Tx } from '../database/transactions';
import { AlarmBook, type AlarmEvent, type AlarmPolicy } from './alarm-book';
import { type AlarmCause, type AlarmKind, currentCauses } from './alarm-causes';
import { alarmView, type AlarmView, type PublishedAlarmEvent, rowOf } from './alarm-view';
import { ALARMS_SINGLETON, alarmOwner, gatewayOfBus } from './alarm-owners';
import { AlarmRepository } from './alarm.repository';
import type { AlarmEntity, AlarmState } from './monitoring.entities';
import { MonitoringService } from './monitoring.service';
import { SharedMonitoring } from './shared-monitoring';
import { Clock } from '../common/clock';

export const ALARM_POLICY = Symbol('ALARM_POLICY');
const EVALUATE_EVERY_MS = 1_000;
const REFUSED = Symbol('refused');

export { alarmView, type AlarmView, type PublishedAlarmEvent } from './alarm-view';

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
  /** In a cluster: the lease each alarm in memory goes with (`bus:<id>`, or null for the alarms singleton). */
  private readonly owners = new Map<string, string | null>();
  /** Adopted alarms whose bus has not been polled here yet: kept as they are, never cleared. */
  private readonly settling = new Set<string>();
  /** Leases gained whose active alarms are being read, by key, with the epoch gained: their causes wait. */
  private readonly adopting = new Map<string, number>();
  private readonly singleton: SingletonLease | null = null;
  private leaseSubscription: Subscription | null = null;
  private refusedWrites = 0;

  constructor(
    @Inject(ALARM_POLICY) policy: AlarmPolicy,
    private readonly monitoring: MonitoringService,
    private readonly repo: AlarmRepository,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly leases: LeaseManager,
    private readonly shared: SharedMonitoring,
  ) {
    this.book = new AlarmBook(policy);
    if (leases.clustered) {
      this.singleton = new SingletonLease(leases, ALARMS_SINGLETON);
      this.leaseSubscription = leases.events.subscribe((e) => this.onLease(e));
    }
  }

  /** Alarm writes refused by a lease's fence (the lease had moved): the alarm was left to its new holder. */
  get refused(): number {
    return this.refusedWrites;
  }

  /** Every raise, clear, reminder and acknowledgement, after it is in the database. */
  get events(): Observable<PublishedAlarmEvent> {
    return this.published.asObservable();
  }

  async onApplicationBootstrap(): Promise<void> {
    // in a cluster the alarms of each lease are adopted as it is gained (onLease)
    if (!this.leases.clustered) for (const row of await this.repo.active()) this.restore(row);
    this.gatewaySubscription = this.monitoring.gatewayEvents.subscribe(() => this.evaluateSoon());
    this.timer = setInterval(() => this.evaluateSoon(), EVALUATE_EVERY_MS);
    this.timer.unref();
  }

  private restore(row: AlarmEntity): void {
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

  async beforeApplicationShutdown(): Promise<void> {
    this.leaseSubscription?.unsubscribe();
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
    return this.enqueue(async () => {
      // in a cluster the other instances' buses count in their towns' uplinks (judged by the alarm's owner)
      const others = this.leases.clustered ? this.shared.otherBuses() : [];
      const causes = [
        ...currentCauses(this.monitoring.terminals(), this.monitoring.gatewayStates(), others),
        ...this.causeSources.flatMap((f) => f()),
      ];
      if (!this.leases.clustered) {
        for (const e of this.book.evaluate(causes, at)) await this.persist(e);
        return;
      }
      // only the causes of the leases held here; alarms of a lease that lapsed (its `lost` not told yet) go first
      for (const owner of new Set(this.owners.values())) if (!this.holds(owner)) this.letGo(this.ownerKey(owner));
      const gatewayOf = (id: number): number | undefined =>
        this.monitoring.terminal(id)?.gatewayId ?? this.shared.gatewayOfTerminal(id);
      const owners = new Map(causes.map((c) => [c.key, alarmOwner(c, gatewayOf)]));
      const mine = causes.filter((c) => this.holds(owners.get(c.key) ?? null));
      for (const e of this.book.evaluate(mine, at, this.unsettled())) {
        const key = e.alarm.key;
        await this.persist(e, owners.has(key) ? (owners.get(key) ?? null) : (this.owners.get(key) ?? null));
      }
    }, 'alarm evaluation');
  }

  /** Runs `work` after everything queued before it (evaluations, adoptions, acknowledgements never overlap). */
  private enqueue(work: () => Promise<void>, what: string): Promise<void> {
    this.chain = this.chain.then(work).catch((e: unknown) => this.log.error(`${what} failed: ${String(e)}`));
    return this.chain;
  }

  private ownerKey(owner: string | null): string {
    return owner ?? this.singleton?.key ?? '';
  }

  /** Whether this instance keeps the alarms going with `owner` now (its lease is held, and not being adopted). */
  private holds(owner: string | null): boolean {
    const key = this.ownerKey(owner);
    return this.leases.holds(key) && !this.adopting.has(key);
  }

  private onLease(e: LeaseEvent): void {
    if (!e.key.startsWith(BUS_PREFIX) && e.key !== this.singleton?.key) return;
    if (e.kind === 'lost') {
      this.letGo(e.key);
      return;
    }
    this.adopting.set(e.key, e.epoch);
    void this.enqueue(
      () =>
        this.adopt(e.key, e.epoch).finally(() => {
          if (this.adopting.get(e.key) === e.epoch) this.adopting.delete(e.key);
        }),
      `adopting the alarms of ${e.key}`,
    );
  }

  /** The lease moved away: its alarms leave memory; their rows stay as they are, for the next holder. */
  private letGo(key: string): void {
    for (const [alarmKey, owner] of [...this.owners])
      if (this.ownerKey(owner) === key) {
        this.book.forget(alarmKey);
        this.rows.delete(alarmKey);
        this.owners.delete(alarmKey);
        this.settling.delete(alarmKey);
      }
  }

  /** Takes up the active alarms of a lease just gained (held at `epoch`), as they are in the table. */
  private async adopt(key: string, epoch: number): Promise<void> {
    const active = await this.repo.active();
    const unseen = active
      .filter((r) => r.gatewayId === null)
      .flatMap((r) => r.terminalIds)
      .filter((id) => !this.monitoring.terminal(id));
    const known = await this.repo.gatewaysOf(unseen);
    if (this.leases.epochOf(key) !== epoch) return;
    const gatewayOf = (id: number): number | undefined => this.monitoring.terminal(id)?.gatewayId ?? known.get(id);
    let adopted = 0;
    for (const row of active) {
      const owner = alarmOwner(row, gatewayOf);
      if (this.ownerKey(owner) !== key || this.book.get(row.alarmKey)) continue;
      this.restore(row);
      this.owners.set(row.alarmKey, owner);
      this.settling.add(row.alarmKey);
      adopted++;
    }
    if (adopted > 0) this.log.log(`took up ${adopted} active alarms of ${key} (epoch ${epoch})`);
  }

  /** The adopted alarms still waiting for a poll of their bus here; the others leave `settling`. */
  private unsettled(): ReadonlySet<string> {
    for (const key of [...this.settling]) if (this.settled(key)) this.settling.delete(key);
    return this.settling;
  }

  private settled(key: string): boolean {
    const alarm = this.book.get(key);
    const gatewayId = gatewayOfBus(this.owners.get(key) ?? null);
    if (!alarm || gatewayId === null) return true;
    const gateway = this.monitoring.gateway(gatewayId);
    if (!gateway || gateway.connection === 'connecting') return false;
    return alarm.terminalIds.every((id) => this.monitoring.terminal(id)?.connectivity !== 'unknown');
  }

  /** Not clustered: `work` as it is. In a cluster: in a transaction fenced (last) by the owner's lease, or REFUSED. */
  private async write<T>(
    owner: string | null,
    key: string,
    work: (tx?: Tx) => Promise<T>,
  ): Promise<T | typeof REFUSED> {
    if (!this.leases.clustered) return work();
    try {
      return await this.transactions.run(async (tx) => {
        // the fence last: the lease row is locked from here to the commit only, never while the rows go out
        const done = await work(tx);
        await this.leases.fence(tx, this.ownerKey(owner));
        return done;
      });
    } catch (e) {
      if (!(e instanceof StaleLeaseError)) throw e;
      this.refusedWrites++;
      this.log.warn(`alarm ${key} not written: ${this.ownerKey(owner)} has moved to another instance`);
      this.letGo(this.ownerKey(owner));
      return REFUSED;
    }
  }

  private async persist(e: AlarmEvent, owner: string | null = null): Promise<void> {
    const key = e.alarm.key;
    let row = this.rows.get(key);
    switch (e.type) {
      case 'raised': {
        const id = await this.write(owner, key, (tx) => this.repo.insert(rowOf(e.alarm, 'active', null, 0), tx));
        if (id === REFUSED) return this.book.forget(key);
        row = { id, reminders: 0 };
        this.rows.set(key, row);
        if (this.leases.clustered) this.owners.set(key, owner);
        break;
      }
      case 'cleared':
        this.rows.delete(key);
        this.owners.delete(key);
        if (row) {
          const patch = { state: 'cleared' as const, clearedAt: new Date(e.at), flaps: e.alarm.flaps };
          const id = row.id;
          const done = await this.write(owner, key, (tx) =>
            this.repo.update(id, { ...patch, terminalIds: e.alarm.terminalIds }, tx),
          );
          if (done === REFUSED) return;
        }
        break;
      case 'reminder':
        if (row && !(await this.remind(owner, e, row))) return;
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

  /** Writes a reminder; false when it is not to be published (refused, or acknowledged through another instance). */
  private async remind(owner: string | null, e: AlarmEvent, row: { id: number; reminders: number }): Promise<boolean> {
    if (this.leases.clustered) {
      const stored = await this.repo.findById(row.id);
      if (stored?.acknowledgedAt) {
        this.book.acknowledge(e.alarm.key, stored.acknowledgedBy ?? '', stored.acknowledgedAt.getTime());
        return false;
      }
    }
    const patch = {
      lastRemindedAt: new Date(e.at),
      reminders: row.reminders + 1,
      flaps: e.alarm.flaps,
      terminalIds: e.alarm.terminalIds,
    };
    if ((await this.write(owner, e.alarm.key, (tx) => this.repo.update(row.id, patch, tx))) === REFUSED) return false;
    row.reminders += 1;
    return true;
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
      // in a cluster the alarm may be kept by another instance (which learns of it at its next reminder)
      if (event || this.leases.clustered) this.published.next({ type: 'acknowledged', at, alarm: view });
      return view;
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
