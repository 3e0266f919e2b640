/**
 * Tone provisioning: the built-in tones (the national air-defence signals and the chime) stored on every Modbus
 * terminal before an alert needs them, so that the first alert with a three-minute signal starts in seconds instead of
 * spending minutes on the transfer. It runs in the background at the lowest bus class (beside the status sweep, after
 * everything else), bus by bus, tone by tone in the configured order, with the variant dispatch would choose for each
 * terminal. A terminal already holding a tone costs one read; one monitoring holds offline is left for the next pass.
 *
 * A broadcast run holds the buses it uses (`hold`): the transfer under way there stops between frames (a terminal has
 * one receive slot, and a start must not queue behind chunks) and goes on once the run has ended; the terminals keep
 * the chunks they have (terminal-modbus PROTOCOL.md §6.1), so it resumes where it stopped (the transfers themselves:
 * tone-transfers.ts). Terminals that did not take a tone are tried again every `provisionRetryMs`; terminals and
 * gateways added or enabled start a pass a little after the registry has settled (an import of a whole county is one
 * pass, not thousands). Each Modbus bus is also provisioned on its own as soon as its link comes up, so the tones are
 * on the terminals within seconds of a start instead of waiting for the first retry pass; work on one bus is never run
 * twice at once.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subject, debounceTime, filter, type Subscription } from 'rxjs';
import { isWithinArea } from '../../firmware-protocols/codes';
import type { ToneId } from '../audio/tones/tone-catalogue';
import type { AuthUser } from '../auth/auth-user';
import { canReach, isUnrestricted } from '../auth/scope';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FieldCommands } from '../field/field-commands';
import { MonitoringService } from '../monitoring/monitoring.service';
import { RegistryEvents } from '../terminals/registry-events';
import type { ClipVariant } from './broadcast-run';
import { ClipVariants } from './clip-variants';
import { DispatchRepository } from './dispatch.repository';
import { ManualPasses } from './manual-passes';
import { ProvisioningHolds } from './provisioning-holds';
import { ToneHoldings, type ToneTally } from './tone-holdings';
import { ToneTransfers } from './tone-transfers';
import { Clock } from '../common/clock';

export type BusProvisioning = 'storing' | 'held' | 'waiting' | 'done';

export interface ToneProvisioningView {
  enabled: boolean;
  tones: ToneTally[];
  buses: Record<BusProvisioning, number>;
  lastPassEndedAt: string | null;
  nextPassAt: string | null;
}

/** Each tone's variant for each terminal, worked out before transfers. */
type Plan = { toneId: ToneId; variantOf: Map<number, ClipVariant> }[];

/** How often a pass looks whether the buses it is storing on are still connected, ms. */
const LINK_CHECK_MS = 1000;
/** A pass starts this long after the last registry change that added or enabled terminals, ms. */
const AFTER_REGISTRY_CHANGE_MS = 5000;

@Injectable()
export class ToneProvisioning implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Provisioning');
  private readonly tones: readonly ToneId[];
  /** Something a view shows moved (a tone stored or refused, a bus storing, held, done); the live view publishes it. */
  readonly changes = new Subject<void>();
  /** Which terminals hold which tone, and why the others do not. */
  private readonly holdings = new ToneHoldings(() => this.changes.next());
  /** Broadcast runs holding buses. */
  private readonly busHolds = new ProvisioningHolds();
  /** The transfer under way on each bus. */
  private readonly transfers: ToneTransfers;
  private readonly done = new Set<number>();
  /** The terminals of the last pass, with their areas (for scoped views). */
  private terminals = new Map<number, { gatewayId: number; areaCode: string }>();
  private pass: Promise<void> | null = null;
  private readonly manualPasses: ManualPasses;
  /** The areas the pass under way covers (null: every terminal). */
  private passAreas: string[] | null = null;
  /** Areas asked for while a pass ran (null: every terminal), for the pass that follows it. */
  private nextAreas: string[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastPassEndedAt: Date | null = null;
  /** A pass was asked for while one ran: start it when that one ends. */
  private again = false;
  private registry: Subscription | null = null;
  private connections: Subscription | null = null;
  /** gateway → the provisioning under way on its bus (a pass's, or the one started when its link came up) */
  private readonly busWork = new Map<number, Promise<void>>();
  /** The plan buses use as their links come up: one for every terminal tracked, shared (one copy of each tone's data). */
  private sharedPlan: { ids: Set<number>; plan: Promise<Plan | null> } | null = null;
  private nextPassAt: Date | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly field: FieldCommands,
    private readonly repo: DispatchRepository,
    private readonly variants: ClipVariants,
    private readonly monitoring: MonitoringService,
    private readonly registryEvents: RegistryEvents,
    private readonly clock: Clock,
  ) {
    this.tones = config.field.enabled ? config.dispatch.provisionTones : [];
    this.manualPasses = new ManualPasses(clock);
    this.transfers = new ToneTransfers(
      field,
      this.holdings,
      this.busHolds,
      () => this.stopped,
      () => this.changes.next(),
    );
  }

  onApplicationBootstrap(): void {
    if (this.tones.length === 0) return;
    this.startPass();
    this.registry = this.registryEvents.changes
      .pipe(
        filter((c) => c.change !== 'removed' && (c.kind === 'gateway' ? c.gateway.enabled : c.terminal.enabled)),
        debounceTime(AFTER_REGISTRY_CHANGE_MS),
      )
      .subscribe(() => void this.field.settled().then(() => this.runPass()));
    this.connections = this.monitoring.gatewayEvents
      .pipe(filter((c) => c.status.connection === 'connected'))
      .subscribe((c) => void this.provisionConnectedBus(c.status.gatewayId));
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.changes.complete();
    this.registry?.unsubscribe();
    this.connections?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.transfers.abortAll();
    this.busHolds.wakeAll();
  }

  /**
   * A broadcast run is about to use these buses: provisioning stops there between frames and waits until every hold
   * is released. Returns the release (idempotent).
   */
  hold(gatewayIds: Iterable<number>): () => void {
    const ids = [...new Set(gatewayIds)];
    for (const g of ids) {
      this.busHolds.add(g);
      this.transfers.stop(g, 'held');
    }
    this.changes.next();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const g of ids) this.busHolds.release(g);
      this.changes.next();
    };
  }

  /** Whether the terminal was seen holding this clip (a tone variant) — dispatch then sends it no transfer at all. */
  holds(terminalId: number, clipId: number): boolean {
    return this.holdings.holds(terminalId, clipId);
  }

  /** A broadcast's own transfer stored the clip on the terminal (or found it there): remembered when it is a tone's variant. */
  stored(terminalId: number, clipId: number): void {
    this.holdings.stored(terminalId, clipId);
  }

  /** The terminal refused a play of the clip as not stored (swapped, or its storage wiped): the next pass stores it again. */
  lacks(terminalId: number, clipId: number): void {
    this.holdings.lacks(terminalId, clipId);
  }

  /** Resolves when no pass is under way nor asked for, and no bus is being provisioned (tests and tools). */
  async settled(): Promise<void> {
    while (this.pass || this.busWork.size > 0) {
      if (this.pass) await this.pass;
      else await Promise.allSettled([...this.busWork.values()]);
    }
  }

  /**
   * Starts a pass now over the terminals inside `areas` (null: all), or right after the one under way (the areas
   * asked for meanwhile are merged); resolves when no pass is under way any more.
   */
  runPass(areas: string[] | null = null): Promise<void> {
    if (this.tones.length === 0 || this.stopped) return Promise.resolve();
    if (this.pass === null) {
      this.startPass(areas);
    } else {
      this.nextAreas = this.again ? mergeAreas(this.nextAreas, areas) : areas;
      this.again = true;
    }
    return this.settled();
  }

  /**
   * A pass asked for by hand: over the caller's scope only (an unrestricted administrator's: everything), at most one
   * per area every MANUAL_PASS_EVERY_MS (manual-passes.ts; 429 `too_many_passes` otherwise). Answers at once with the
   * areas it covers.
   */
  requestPass(user: AuthUser): { areas: string[] | null } {
    const areas = isUnrestricted(user) ? null : [...user.scopes].sort();
    this.manualPasses.admit(areas ?? ['*']);
    void this.runPass(areas);
    return { areas };
  }

  /** The reader's terminals (within `areaCode` when given) and where provisioning stands on them. */
  view(user: AuthUser, areaCode?: string): ToneProvisioningView {
    const visible = (id: number): boolean => {
      const t = this.terminals.get(id);
      return (
        t !== undefined &&
        (isUnrestricted(user) || canReach(user, t.areaCode)) &&
        (areaCode === undefined || isWithinArea(t.areaCode, areaCode))
      );
    };
    const ids = [...this.terminals.keys()].filter(visible);
    const buses: Record<BusProvisioning, number> = { storing: 0, held: 0, waiting: 0, done: 0 };
    const gateways = new Set(ids.map((id) => this.terminals.get(id)?.gatewayId));
    const state = (g: number): BusProvisioning =>
      this.busHolds.has(g) ? 'held' : this.transfers.storing(g) ? 'storing' : this.done.has(g) ? 'done' : 'waiting';
    for (const g of gateways) if (g !== undefined) buses[state(g)]++;
    return {
      enabled: this.tones.length > 0,
      tones: this.tones.map((toneId) => this.holdings.tally(toneId, ids, visible)),
      buses,
      lastPassEndedAt: this.lastPassEndedAt?.toISOString() ?? null,
      nextPassAt: this.nextPassAt?.toISOString() ?? null,
    };
  }

  private startPass(areas: string[] | null = null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextPassAt = null;
    this.passAreas = areas;
    this.pass = this.runOnce()
      .catch((e: unknown) => this.log.error(`tone provisioning pass: ${(e as Error).stack ?? String(e)}`))
      .finally(() => {
        this.pass = null;
        this.lastPassEndedAt = this.clock.date();
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.startPass(this.nextAreas);
          return;
        }
        this.nextPassAt = new Date(this.clock.now() + this.config.dispatch.provisionRetryMs);
        this.timer = setTimeout(() => this.startPass(), this.config.dispatch.provisionRetryMs);
        this.timer.unref();
      });
  }

  private async runOnce(): Promise<void> {
    // a gateway that goes down holds its queued requests until it is back: its transfer gives way to the next pass
    const links = setInterval(() => {
      for (const g of this.transfers.gateways())
        if (this.field.connection(g) !== 'connected') this.transfers.stop(g, 'disconnected');
    }, LINK_CHECK_MS);
    try {
      await this.passOverBuses();
    } finally {
      clearInterval(links);
    }
  }

  private async passOverBuses(): Promise<void> {
    const modbus = new Set(
      this.field
        .openGateways()
        .filter((b) => b.family === 'modbus')
        .map((b) => b.gatewayId),
    );
    const everywhere = (await this.repo.enabledTerminals()).filter((t) => modbus.has(t.gatewayId));
    this.terminals = new Map(everywhere.map((t) => [t.id, { gatewayId: t.gatewayId, areaCode: t.areaCode }]));
    const areas = this.passAreas;
    const rows = areas === null ? everywhere : everywhere.filter((t) => areas.some((a) => isWithinArea(t.areaCode, a)));
    for (const t of rows) this.done.delete(t.gatewayId);
    this.changes.next();
    // each tone's variant per terminal, worked out once for the whole pass (the tone is generated here on first use)
    const planned = this.planFor(rows.map((t) => t.id));
    this.sharedPlan = { ids: new Set(rows.map((t) => t.id)), plan: planned };
    const plan = await planned;
    if (plan === null) return;
    const byGateway = new Map<number, number[]>();
    for (const t of rows) byGateway.set(t.gatewayId, [...(byGateway.get(t.gatewayId) ?? []), t.id]);
    await Promise.all([...byGateway].map(([g, ids]) => this.onBus(g, () => this.provisionBus(g, ids, plan))));
    const holding = plan.map((p) => `${p.toneId} ${this.holdings.holding(p.toneId)}`).join(', ');
    this.log.log(`tone provisioning pass over ${rows.length} terminals on ${byGateway.size} buses: ${holding}`);
  }

  /** Each tone's variant for each of these terminals; null when stopped meanwhile. */
  private async planFor(terminalIds: number[]): Promise<Plan | null> {
    const plan: Plan = [];
    for (const toneId of this.tones) {
      if (this.stopped) return null;
      const variantOf = new Map<number, ClipVariant>();
      for (const g of await this.variants.forTerminals(toneId, terminalIds)) {
        if (g.clip) this.holdings.variantOf(g.clip.clipId, toneId);
        if (g.clip) for (const id of g.terminalIds) variantOf.set(id, g.clip);
        else
          for (const id of g.terminalIds) this.holdings.failedOn(toneId, id, g.error ?? 'no variant for this terminal');
      }
      plan.push({ toneId, variantOf });
    }
    return plan;
  }

  /** Runs work on a bus after whatever provisioning is under way there. */
  private onBus(gatewayId: number, work: () => Promise<void>): Promise<void> {
    const next = (this.busWork.get(gatewayId) ?? Promise.resolve()).then(work);
    this.busWork.set(gatewayId, next);
    const forget = (): void => {
      if (this.busWork.get(gatewayId) === next) this.busWork.delete(gatewayId);
    };
    next.then(forget, forget);
    return next;
  }

  /** A Modbus bus's link came up: its terminals get the tones now, unless provisioning is already at work there. */
  private async provisionConnectedBus(gatewayId: number): Promise<void> {
    if (this.stopped || this.busWork.has(gatewayId)) return;
    if (this.field.openGateways().find((b) => b.gatewayId === gatewayId)?.family !== 'modbus') return;
    const onBus = [...this.monitoring.terminals()].filter((t) => t.gatewayId === gatewayId);
    if (onBus.length === 0) return;
    for (const t of onBus) this.terminals.set(t.terminalId, { gatewayId, areaCode: t.areaCode });
    const ids = onBus.map((t) => t.terminalId);
    if (!this.sharedPlan || ids.some((id) => !this.sharedPlan?.ids.has(id))) {
      const all = [...this.monitoring.terminals()].map((t) => t.terminalId);
      const plan = this.planFor(all);
      this.sharedPlan = { ids: new Set(all), plan };
      // a plan that failed (a tone that could not be generated) is worked out again for the next bus
      plan.catch(() => {
        if (this.sharedPlan?.plan === plan) this.sharedPlan = null;
      });
    }
    const shared = this.sharedPlan.plan;
    try {
      await this.onBus(gatewayId, async () => {
        const plan = await shared;
        if (plan !== null) await this.provisionBus(gatewayId, ids, plan);
      });
    } catch (e) {
      this.log.error(`tone provisioning of gateway ${gatewayId}: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private async provisionBus(gatewayId: number, ids: number[], plan: Plan): Promise<void> {
    for (const { toneId, variantOf } of plan) {
      // one transfer per variant the bus's terminals need, to those not known to hold it; the offline wait for the next pass
      const groups = new Map<number, { clip: ClipVariant; ids: number[] }>();
      for (const id of ids) {
        const clip = variantOf.get(id);
        if (!clip || this.holdings.holdsTone(toneId, id, clip.clipId)) continue;
        if (this.monitoring.terminal(id)?.connectivity === 'offline') {
          this.holdings.failedOn(toneId, id, 'offline: tried again on the next pass');
          continue;
        }
        const g = groups.get(clip.clipId) ?? { clip, ids: [] };
        g.ids.push(id);
        groups.set(clip.clipId, g);
      }
      for (const g of groups.values()) if (!(await this.transfers.transfer(gatewayId, toneId, g.clip, g.ids))) return;
    }
    this.done.add(gatewayId);
    this.changes.next();
  }
}

/** Two area lists of passes asked for, as one (null: every terminal). */
function mergeAreas(a: string[] | null, b: string[] | null): string[] | null {
  return a === null || b === null ? null : [...new Set([...a, ...b])];
}
