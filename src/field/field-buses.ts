/**
 * The field: one bus for every enabled gateway of the registry, opened at start and kept in step with registry
 * changes (gateways and terminals added, edited, disabled, removed) without a restart. Each Modbus bus is swept for
 * status in the idle time commands leave (device-drivers/bus Sweeper); adapters report by heartbeat and 回传. What the
 * buses see goes to monitoring; what the server asks of terminals comes in through FieldCommands. The buses'
 * lifecycles end with the application.
 *
 * Clustered (DALABA_CLUSTER=on, docs/cluster.md): every enabled gateway is a bus key shared among the instances
 * (bus-leases.ts); a bus is opened only once this instance gains its lease and closed as soon as it loses it
 * (bus-lifecycle.ts). A request for a bus another instance drives fails at once with a BusElsewhereError naming the bus
 * and its holder.
 */
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { toCommandRecord } from '../../device-drivers/modbus-terminal/mapping';
import { signedBlockKey } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import { SIGNED_BLOCK_TTL_MS } from '../../device-drivers/modbus-terminal/signed-blocks';
import {
  BusError,
  type HeldScheduleAccess,
  type HeldTable,
  type TerminalBus,
  type TerminalIdentity,
} from '../../device-drivers/terminal-bus';
import type { Clock, TimerHandle } from '../../device-drivers/transport/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { LeaseManager } from '../cluster/lease-manager';
import { MonitoringService } from '../monitoring/monitoring.service';
import type { RegistryChange } from '../terminals/registry-events';
import { RegistryEvents } from '../terminals/registry-events';
import type { TerminalEntity } from '../terminals/registry.entities';
import { connectionKey, type BusFactoryDeps } from './bus-factory';
import { BusLeases } from './bus-leases';
import { BusLifecycle } from './bus-lifecycle';
import { withFieldErrors } from './driver-failures';
import { transferOnBus } from './field-transfer';
import { FieldCommands } from './field-commands';
import { busHeldWrite, heldOf } from './field-held';
import type {
  ClipToTransfer,
  CommandResult,
  ConnectionState,
  FieldTransferResult,
  OpenGateway,
  RequestOptions,
  TerminalCommand,
  TerminalLocation,
  TerminalStatus,
} from './field-port';
import { FieldRegistry } from './field-registry';
import { SigningGuard, type StartsInDoubt } from './signing-guard';
import { BUS_FACTORY_DEPS, FIELD_CLOCK } from './field.tokens';
import { BusObserver, type FieldReport, type OpenBus } from './open-bus';
import { countUnpolled } from './unpolled-terminals';

/** Raw register reads for diagnostics are bounded: at most 64 registers, well inside one Modbus read. */
export const MAX_RAW_REGISTERS = 64;
/** How often silence is checked against the offline window. */
const SILENCE_CHECK_MS = 1000;

@Injectable()
export class FieldBuses extends FieldCommands implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Field');
  private readonly reportSubject = new Subject<FieldReport>();
  /** The open buses, and where each terminal is on them. */
  private readonly buses: BusLifecycle;
  /** Registry changes are applied one after the other, in the order they came. */
  private queue: Promise<void> = Promise.resolve();
  private registrySubscription: Subscription | null = null;
  private silenceTimer: TimerHandle | null = null;
  private stopped = false;
  private readonly busLeases: BusLeases;
  private readonly guard = new SigningGuard();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FIELD_CLOCK) private readonly clock: Clock,
    @Inject(BUS_FACTORY_DEPS) private readonly busDeps: BusFactoryDeps,
    private readonly registry: FieldRegistry,
    private readonly registryEvents: RegistryEvents,
    private readonly monitoring: MonitoringService,
    leases: LeaseManager,
  ) {
    super();
    this.busLeases = new BusLeases(leases);
    this.buses = new BusLifecycle({
      config,
      clock,
      busDeps,
      registry,
      monitoring,
      busLeases: this.busLeases,
      observe: new BusObserver(monitoring, this.reportSubject, this.log),
      log: this.log,
      stopped: () => this.stopped,
    });
  }

  /** Adapter reports (task start/end, 回传), for dispatch. */
  get reports(): Observable<FieldReport> {
    return this.reportSubject.asObservable();
  }

  onApplicationBootstrap(): Promise<void> {
    if (!this.config.field.enabled) return this.countUnpolled();
    if (this.busLeases.clustered) this.buses.followLeases((work) => this.enqueue(work));
    const loaded = this.enqueue(() => this.openAll());
    this.registrySubscription = this.registryEvents.changes.subscribe((c) => void this.enqueue(() => this.apply(c)));
    this.checkSilence();
    return loaded;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.registrySubscription?.unsubscribe();
    this.busLeases.unfollow();
    this.silenceTimer?.cancel();
    await this.queue;
    await this.buses.closeAll();
    this.reportSubject.complete();
  }

  /** Resolves when every registry change received so far has been applied (tests, and callers that just edited the registry). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Whether this instance drives the gateway's bus: always alone, else while it holds its lease (bus-lifecycle.ts). */
  owns(gatewayId: number): boolean {
    return this.busLeases.owns(gatewayId);
  }

  /** Gateways with an open bus and their connection states. */
  busStates(): {
    gatewayId: number;
    busId: string;
    family: TerminalBus['family'];
    connection: ConnectionState;
    units: number;
  }[] {
    return this.buses.all().map((o) => ({
      gatewayId: o.gateway.id,
      busId: o.bus.id,
      family: o.bus.family,
      connection: o.bus.connectionState(),
      units: o.units.size,
    }));
  }

  /** The bus metrics of a gateway (utilisation, queue depth, errors by kind, backed-off units), or null. */
  busMetrics(gatewayId: number): ReturnType<TerminalBus['metrics']> | null {
    return this.buses.get(gatewayId)?.bus.metrics() ?? null;
  }

  // ---- FieldCommands -------------------------------------------------------------------------------------------

  sequenceFloor(sending: TerminalCommand[] = []): number {
    const cached = sending.flatMap((c) => this.busDeps.signedBlocks?.peek(signedBlockKey(toCommandRecord(c))) ?? []);
    return Math.min(this.busDeps.issuedSequence?.() ?? 0, ...cached.map((b) => b.sequence - 1));
  }

  busSequenceFloor(gatewayId: number): number | null {
    return this.buses.get(gatewayId)?.sequenceFloor ?? null;
  }

  locate(terminalId: number): TerminalLocation | null {
    return this.buses.locate(terminalId) ?? null;
  }

  connection(gatewayId: number): ConnectionState | null {
    return this.buses.get(gatewayId)?.bus.connectionState() ?? null;
  }

  openGateways(): OpenGateway[] {
    return this.busStates().map((b) => ({ gatewayId: b.gatewayId, family: b.family, connection: b.connection }));
  }

  /** How long the buses send the same bus-wide command as the same signed block (their shared SignedBlockCache). */
  get signedBlockWindowMs(): number {
    return SIGNED_BLOCK_TTL_MS;
  }

  guardSigning(source: StartsInDoubt): void {
    this.guard.use(source);
  }

  command(terminalId: number, command: TerminalCommand, opts: RequestOptions = {}): Promise<CommandResult> {
    return withFieldErrors(() =>
      this.onBus(terminalId, command.code, (bus, unit) =>
        this.guard.gate([terminalId], { busId: bus.id, unit, operation: command.code }, opts, () =>
          bus.command(unit, command, { priority: 'command', ...opts }),
        ),
      ),
    );
  }

  commandBus(gatewayId: number, command: TerminalCommand, opts: RequestOptions = {}): Promise<CommandResult> {
    return withFieldErrors(() => {
      const o = this.openOrThrow(gatewayId, command.code);
      const where = { busId: o.bus.id, unit: null, operation: `${command.code} to the whole bus` };
      return this.guard.gate(this.terminalsOn(gatewayId), where, opts, () =>
        o.bus.command('all', command, { priority: 'command', ...opts }),
      );
    });
  }

  readStatus(terminalId: number, opts: RequestOptions = {}): Promise<TerminalStatus> {
    return withFieldErrors(() =>
      this.onBus(terminalId, 'read status', (bus, unit) => bus.readStatus(unit, { priority: 'command', ...opts })),
    );
  }

  readRegisters(terminalId: number, address: number, count: number, opts: RequestOptions = {}): Promise<number[]> {
    return withFieldErrors(() =>
      this.onBus(terminalId, 'read registers', (bus, unit) => {
        const bad = !Number.isInteger(count) || count < 1 || count > MAX_RAW_REGISTERS;
        const why = `count must be 1–${MAX_RAW_REGISTERS}, got ${count}`;
        if (bad) throw new BusError('protocol', bus.id, unit, 'read registers', why);
        return bus.readRegisters(unit, address, count, { priority: 'command', ...opts });
      }),
    );
  }

  transferClip(
    gatewayId: number,
    terminalIds: number[],
    clip: ClipToTransfer,
    opts: RequestOptions = {},
  ): Promise<FieldTransferResult> {
    return withFieldErrors(async () => {
      const o = this.openOrThrow(gatewayId, 'clip transfer');
      const doubt = await this.guard.inDoubt(this.terminalsOn(gatewayId), opts);
      return transferOnBus(o.bus, gatewayId, terminalIds, (id) => this.buses.locate(id), clip, opts, doubt);
    });
  }

  /** The terminal's identity block (capabilities: a held schedule, PROTOCOL.md §9). */
  identify(terminalId: number, opts: RequestOptions = {}): Promise<TerminalIdentity> {
    return withFieldErrors(() =>
      this.onBus(terminalId, 'identify', (bus, unit) => bus.identify(unit, { priority: 'command', ...opts })),
    );
  }

  /** A terminal's held schedule (PROTOCOL.md §9); null off an open bus or on a family that holds none. */
  heldSchedule(terminalId: number): HeldScheduleAccess | null {
    return heldOf(this.buses, terminalId, this.guard);
  }

  /**
   * One held table broadcast on a gateway's bus (PROTOCOL.md §9.7: every capable terminal that hears it takes it), each
   * of `terminalIds` read back: resolves with those holding it.
   */
  heldWriteAll(
    gatewayId: number,
    terminalIds: number[],
    table: HeldTable,
    opts: RequestOptions = {},
  ): Promise<number[]> {
    const away = this.buses.has(gatewayId) ? null : this.busLeases.elsewhere(gatewayId, 'held schedule write');
    return away ? Promise.reject(away) : busHeldWrite(this.buses, gatewayId, terminalIds, table, opts, this.guard);
  }

  /** The terminals the field reaches through a gateway's bus. */
  terminalsOn(gatewayId: number): number[] {
    return [...(this.buses.get(gatewayId)?.units.values() ?? [])];
  }

  /** A gateway's open bus; else fails with BusElsewhereError (another instance drives it) or as not open. */
  private openOrThrow(gatewayId: number, operation: string): OpenBus {
    const o = this.buses.get(gatewayId);
    if (o) return o;
    const away = this.busLeases.elsewhere(gatewayId, operation);
    if (away) throw away;
    throw new BusError(
      'disconnected',
      `gateway ${gatewayId}`,
      null,
      operation,
      'no open bus: the gateway is unknown or disabled',
    );
  }

  /**
   * A request on the open bus and unit of a terminal. Clustered, a terminal on no open bus is looked up in the
   * registry: on an enabled gateway another instance drives, the request fails at once with a BusElsewhereError.
   */
  private onBus<T>(
    terminalId: number,
    operation: string,
    work: (bus: TerminalBus, unit: number) => Promise<T>,
  ): Promise<T> {
    const where = this.buses.locate(terminalId);
    const o = where ? this.buses.get(where.gatewayId) : undefined;
    // on an open bus the request is queued at once, in the order the calls came
    return where && o ? work(o.bus, where.unit) : this.unreached(terminalId, operation);
  }

  private async unreached(terminalId: number, operation: string): Promise<never> {
    const t = this.busLeases.clustered ? await this.registry.terminal(terminalId) : null;
    const away = t?.enabled ? this.busLeases.elsewhere(t.gatewayId, operation, t.unitId) : null;
    if (away) throw away;
    throw new BusError(
      'disconnected',
      `terminal ${terminalId}`,
      null,
      operation,
      'no open bus reaches it: the terminal or its gateway is unknown or disabled',
    );
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------------

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(work)
      .catch((e: unknown) => this.log.error(`registry change not applied: ${(e as Error).message}`));
    return this.queue;
  }

  /** Field off: the enabled terminals count as unknown in the online rate (unpolled-terminals.ts). */
  private countUnpolled(): Promise<void> {
    const { subscription, counted } = countUnpolled(
      this.registry,
      this.registryEvents,
      this.monitoring,
      this.clock,
      (w) => this.enqueue(w),
    );
    this.registrySubscription = subscription;
    return counted;
  }

  private async openAll(): Promise<void> {
    const [gateways, terminals] = await Promise.all([
      this.registry.enabledGateways(),
      this.registry.enabledTerminals(),
    ]);
    const byGateway = new Map<number, TerminalEntity[]>();
    for (const t of terminals) byGateway.set(t.gatewayId, [...(byGateway.get(t.gatewayId) ?? []), t]);
    this.busLeases.setGateways(gateways.map((g) => g.id));
    for (const g of gateways) this.buses.openBus(g, byGateway.get(g.id) ?? []);
    if (this.busLeases.clustered)
      this.log.log(`field: ${gateways.length} buses shared by the cluster, each opened once its lease is gained`);
    else this.log.log(`field: ${gateways.length} buses opened for ${terminals.length} terminals`);
  }

  private async apply(c: RegistryChange): Promise<void> {
    if (this.stopped) return;
    if (c.kind === 'gateway') {
      this.busLeases.setEnabled(
        c.change === 'removed' ? c.id : c.gateway.id,
        c.change !== 'removed' && c.gateway.enabled,
      );
      if (c.change === 'removed') return this.buses.closeBus(c.id);
      const g = c.gateway;
      const o = this.buses.get(g.id);
      if (!g.enabled) return this.buses.closeBus(g.id);
      if (o && o.key === connectionKey(g)) {
        o.gateway = g;
        this.monitoring.trackGateway({ gatewayId: g.id, areaCode: g.areaCode }, this.clock.now());
        return;
      }
      await this.buses.closeBus(g.id);
      this.buses.openBus(g, await this.registry.enabledTerminals(g.id));
      return;
    }
    const id = c.change === 'removed' ? c.id : c.terminal.id;
    const before = this.buses.locate(id);
    const t = c.change === 'removed' ? null : c.terminal;
    const adapterBuses = new Set<number>();
    if (before && (!t || !t.enabled || t.gatewayId !== before.gatewayId || t.unitId !== before.unit)) {
      this.buses.detach(before);
      if (this.buses.get(before.gatewayId)?.bus.family === 'adapter') adapterBuses.add(before.gatewayId);
    }
    if (t && t.enabled) {
      const o = this.buses.get(t.gatewayId);
      if (o) {
        this.buses.attach(o, t);
        if (o.bus.family === 'adapter') adapterBuses.add(t.gatewayId);
      }
    }
    // an adapter's terminal list is part of its configuration: reopen it
    for (const gid of adapterBuses) {
      const o = this.buses.get(gid);
      if (!o) continue;
      const gateway = o.gateway;
      await this.buses.closeBus(gid);
      this.buses.openBus(gateway, await this.registry.enabledTerminals(gid));
    }
  }

  private checkSilence(): void {
    if (this.stopped) return;
    this.monitoring.sweepSilence(this.clock.now());
    this.silenceTimer = this.clock.setTimeout(() => this.checkSilence(), SILENCE_CHECK_MS);
  }
}
