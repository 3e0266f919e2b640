/**
 * The periodic tests on the clock (docs/self-test.md). Every night in the configured window (DALABA_SELFTEST_WINDOW,
 * Asia/Shanghai) each enabled terminal runs its silent self-test: buses side by side, one test at a time on a bus,
 * spread over the window so the sweep keeps its pace; a terminal busy playing, or whose test a play cut short, is
 * tried again after the rest of its bus. A server started inside the window tests what has not run that day. Each
 * county that wants one has an audible test once a month: one signed test tone per bus, and the terminals that
 * reported it sounding have passed. Results are stored, feed the alarms (a failed check is an alarm until a later test
 * passes) and are published for the live view. Time is the injected Clock.
 *
 * In a cluster the tests are work of each bus's holder (docs/cluster.md, "Singletons"): an instance tests the terminals
 * of the buses it holds and sends the audible test tone on those buses only, and stops testing a bus it lost.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { busKey, LeaseManager } from '../cluster/lease-manager';
import { Clock, type TimerHandle } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FieldCommands, failureOf } from '../field/field-commands';
import { AlarmsService } from '../monitoring/alarms.service';
import { MonitoringService } from '../monitoring/monitoring.service';
import { shanghaiDay } from '../relay/recurrence';
import type { TerminalEntity } from '../terminals/registry.entities';
import { RAN, selfTestCauses, type FailedTest } from './self-test-outcome';
import { nextAudible, spread, windowAt, type WindowRun } from './self-test-plan';
import { SelfTestRunner, type TestRun, type TestTarget } from './self-test-runner';
import type { AudibleTestPlanEntity, SelfTestEntity, SelfTestKind, SelfTestOrigin } from './self-test.entities';
import { SelfTestRepository } from './self-test.repository';

/** After the tone's seconds, the sweep has this long to have seen a terminal sounding it. */
const AUDIBLE_GRACE_MS = 5000;
const DAY_MS = 86_400_000;

const targetOf = (t: TerminalEntity): TestTarget => ({
  terminalId: t.id,
  areaCode: t.areaCode,
  gatewayId: t.gatewayId,
});

@Injectable()
export class SelfTestScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SelfTest');
  private readonly failed = new Map<number, FailedTest>();
  private readonly stored = new Subject<SelfTestEntity>();
  private readonly timers = new Set<{ handle: TimerHandle; wake: () => void }>();
  private readonly audibleTimers = new Map<string, TimerHandle>();
  private readonly runner: SelfTestRunner;
  private nightly: TimerHandle | null = null;
  private stopped = false;
  /** The night running now (tests and the console wait on it). */
  current: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly field: FieldCommands,
    private readonly repo: SelfTestRepository,
    private readonly alarms: AlarmsService,
    private readonly monitoring: MonitoringService,
    private readonly leases: LeaseManager,
  ) {
    this.runner = new SelfTestRunner(field, clock, (ms) => this.sleep(ms));
  }

  /** Every test stored, as it is stored. */
  get results(): Observable<SelfTestEntity> {
    return this.stored.asObservable();
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const r of await this.repo.latestRan()) this.note(r);
    this.alarms.addCauses(() => selfTestCauses(this.failed.values()));
    if (!this.config.field.enabled) return;
    this.armNightly();
    await this.armAudible();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.nightly?.cancel();
    for (const t of this.audibleTimers.values()) t.cancel();
    for (const t of [...this.timers]) {
      t.handle.cancel();
      t.wake();
    }
  }

  /** Resolves true after ms on the clock, or false at once at shutdown. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry = {
        handle: this.clock.setTimeout(() => {
          this.timers.delete(entry);
          resolve(true);
        }, ms),
        wake: () => resolve(false),
      };
      this.timers.add(entry);
    });
  }

  /** Arms the window open now or next; `after` the end of a night, the one after it. */
  private armNightly(after = this.clock.now()): void {
    const w = this.config.monitoring.selfTestWindow;
    if (w === null || this.stopped) return;
    const run = windowAt(w, after);
    this.nightly = this.clock.setTimeout(
      () => {
        this.current = this.night(run).finally(() => this.armNightly(run.endAt));
      },
      Math.max(0, run.startAt - this.clock.now()),
    );
  }

  /** One night's window: every enabled terminal not yet tested that day, bus by bus. */
  async night(run: WindowRun): Promise<void> {
    const done = new Set(
      (await this.repo.onDay(run.day, 'silent', null))
        .filter((r) => r.origin === 'schedule' && (RAN.includes(r.outcome) || r.outcome === 'not-supported'))
        .map((r) => r.terminalId),
    );
    const byBus = new Map<number, TerminalEntity[]>();
    for (const t of await this.repo.terminals())
      if (!done.has(t.id) && this.drives(t.gatewayId)) byBus.set(t.gatewayId, [...(byBus.get(t.gatewayId) ?? []), t]);
    this.log.log(`self-test window ${run.day}: ${[...byBus.values()].flat().length} terminals on ${byBus.size} buses`);
    await Promise.all([...byBus.values()].map((list) => this.bus(list, run)));
  }

  /** Whether this instance drives the gateway's bus now (always, when not clustered). */
  private drives(gatewayId: number): boolean {
    return this.leases.holds(busKey(gatewayId));
  }

  private async bus(list: TerminalEntity[], run: WindowRun): Promise<void> {
    const again: TerminalEntity[] = [];
    const over = (t: TerminalEntity): boolean =>
      this.stopped || this.clock.now() >= run.endAt || !this.drives(t.gatewayId);
    for (const { terminal, at } of spread(list, run, this.clock.now())) {
      await this.sleep(at - this.clock.now());
      if (over(terminal)) return;
      const r = await this.test(targetOf(terminal), run.day, 'schedule', null);
      if (r.outcome === 'busy' || r.outcome === 'aborted') again.push(terminal);
    }
    for (const terminal of again) {
      if (over(terminal)) return;
      await this.test(targetOf(terminal), run.day, 'schedule', null);
    }
  }

  /** One silent self-test now, stored and noted for the alarms. */
  async test(t: TestTarget, day: string, origin: SelfTestOrigin, requestedBy: string | null): Promise<SelfTestEntity> {
    return this.store(t, 'silent', day, origin, requestedBy, await this.runner.run(t));
  }

  private async store(
    t: TestTarget,
    kind: SelfTestKind,
    dueDay: string,
    origin: SelfTestOrigin,
    requestedBy: string | null,
    r: TestRun,
  ): Promise<SelfTestEntity> {
    const row = await this.repo.insert({
      terminalId: t.terminalId,
      areaCode: t.areaCode,
      gatewayId: t.gatewayId,
      kind,
      origin,
      dueDay,
      testId: r.testId,
      startedAt: new Date(r.startedAt),
      finishedAt: new Date(r.finishedAt),
      outcome: r.outcome,
      checks: r.checks,
      detail: r.detail,
      requestedBy,
    });
    if (kind === 'silent' && RAN.includes(row.outcome)) {
      this.note(row);
      await this.alarms.evaluate(this.clock.now());
    }
    this.stored.next(row);
    return row;
  }

  private note(r: SelfTestEntity): void {
    if (r.outcome === 'failed' && r.checks)
      this.failed.set(r.terminalId, {
        terminalId: r.terminalId,
        areaCode: r.areaCode,
        gatewayId: r.gatewayId,
        checks: r.checks,
      });
    else this.failed.delete(r.terminalId);
  }

  // ---- the monthly audible test --------------------------------------------------------------------------------

  /** (Re)arms every county's next audible test from the stored plans. */
  async armAudible(): Promise<void> {
    for (const t of this.audibleTimers.values()) t.cancel();
    this.audibleTimers.clear();
    if (this.stopped || !this.config.field.enabled) return;
    for (const plan of await this.repo.plans(null)) {
      if (!plan.enabled) continue;
      const wait = nextAudible(plan, this.clock.now()) - this.clock.now();
      // a month does not fit in one timer (at most 2^31 − 1 ms): look again a day later while it is further off
      const fire =
        wait > DAY_MS
          ? () => void this.armAudible()
          : () => {
              this.current = this.audible(plan).finally(() => void this.armAudible());
            };
      this.audibleTimers.set(plan.areaCode, this.clock.setTimeout(fire, Math.min(wait, DAY_MS)));
    }
  }

  /** One test tone per bus of the county; a terminal the sweep saw sounding it has passed. */
  async audible(plan: AudibleTestPlanEntity): Promise<void> {
    const startedAt = this.clock.now();
    const day = shanghaiDay(new Date(startedAt));
    // in a cluster, the terminals of the buses this instance holds (each holder tests its own)
    const terminals = (await this.repo.terminals([plan.areaCode])).filter((t) => this.drives(t.gatewayId));
    const heard = new Set<number>();
    const sub = this.monitoring.changes.subscribe((c) => {
      const r = c.status.reading;
      if (r && r.source === 'tone' && r.priority === 5) heard.add(c.status.terminalId);
    });
    const sent = new Map<number, { message: string; busy: boolean } | null>();
    const families = new Map(this.field.openGateways().map((g) => [g.gatewayId, g.family]));
    for (const gatewayId of new Set(terminals.map((t) => t.gatewayId))) {
      if (families.get(gatewayId) === 'adapter') continue;
      try {
        await this.field.commandBus(gatewayId, { code: 'test-tone', seconds: plan.seconds, volume: plan.volume });
        sent.set(gatewayId, null);
      } catch (e) {
        // a broadcast start on the bus not verified yet: the tone is not sent there tonight, nothing is wrong with it
        sent.set(gatewayId, { message: (e as Error).message, busy: failureOf(e).kind === 'start-in-doubt' });
      }
    }
    const waited = await this.sleep(plan.seconds * 1000 + AUDIBLE_GRACE_MS);
    sub.unsubscribe();
    if (!waited) return;
    for (const t of terminals) {
      const adapter = families.get(t.gatewayId) === 'adapter';
      const error = sent.get(t.gatewayId) ?? null;
      const outcome = adapter ? 'not-supported' : heard.has(t.id) ? 'passed' : error?.busy ? 'busy' : 'no-answer';
      const detail = adapter
        ? 'the adapter protocol has no test tone'
        : (error?.message ?? (outcome === 'no-answer' ? 'not seen sounding the test tone' : null));
      await this.store(targetOf(t), 'audible', day, 'schedule', null, {
        testId: 0,
        startedAt,
        finishedAt: this.clock.now(),
        outcome,
        checks: null,
        detail,
      });
    }
  }
}
