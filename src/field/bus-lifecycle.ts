/**
 * The buses the field keeps open (field-buses.ts), and where each terminal is on them: a gateway's bus opened (driver,
 * sweeper for a Modbus bus, its terminals tracked by monitoring) and closed, terminals attached and detached.
 *
 * Clustered (docs/cluster.md): a bus opens only while this instance holds its lease (bus-leases.ts), once the lease is
 * gained, and closes as soon as the lease is lost, before another instance may take it.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import { Sweeper } from '../../device-drivers/bus';
import type { TerminalBus } from '../../device-drivers/terminal-bus';
import type { Clock } from '../../device-drivers/transport/clock';
import type { AppConfig } from '../config/config';
import type { MonitoringService } from '../monitoring/monitoring.service';
import type { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import { busIdOf, connectionKey, createBus, type BusFactoryDeps } from './bus-factory';
import type { BusLeases } from './bus-leases';
import type { TerminalLocation } from './field-port';
import type { FieldRegistry } from './field-registry';
import type { BusObserver, OpenBus } from './open-bus';

/** Buses gained together open in one go for at most this long before the event loop gets a turn, ms. */
const YIELD_AFTER_MS = 20;

export interface BusLifecycleDeps {
  config: AppConfig;
  clock: Clock;
  busDeps: BusFactoryDeps;
  registry: FieldRegistry;
  monitoring: MonitoringService;
  busLeases: BusLeases;
  observe: BusObserver;
  log: Logger;
  /** Whether the application is shutting down: no bus opens any more. */
  stopped: () => boolean;
}

export class BusLifecycle {
  private readonly open = new Map<number, OpenBus>();
  private readonly located = new Map<number, TerminalLocation>();
  /** Buses being closed on a lost lease, out of the registry queue (a loss does not wait for registry work). */
  private readonly closing = new Set<Promise<void>>();
  /** Buses whose lease was gained and that wait, together, for their opening (each with its sequence reservation). */
  private readonly gained = new Map<number, Promise<void>>();

  constructor(private readonly deps: BusLifecycleDeps) {}

  /** The gateway's open bus, if any. */
  get(gatewayId: number): OpenBus | undefined {
    return this.open.get(gatewayId);
  }

  has(gatewayId: number): boolean {
    return this.open.has(gatewayId);
  }

  /** Every open bus. */
  all(): OpenBus[] {
    return [...this.open.values()];
  }

  /** The gateway and unit of a terminal on an open bus, if any. */
  locate(terminalId: number): TerminalLocation | undefined {
    return this.located.get(terminalId);
  }

  /** Closes every bus, once those closing on a lost lease have closed (at shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.closing]);
    await Promise.all([...this.open.keys()].map((id) => this.closeBus(id)));
  }

  /**
   * Clustered: a bus opens once its lease is gained (the opening goes through `enqueue`, after the registry work
   * before it) and closes as soon as its lease is lost.
   */
  followLeases(enqueue: (work: () => Promise<void>) => Promise<void>): void {
    const { busLeases, busDeps } = this.deps;
    busLeases.follow({
      gained: (id) => {
        // asked for at once, so that buses gained together share one reservation
        const passed = busDeps.passTakeover?.() ?? Promise.resolve();
        passed.catch(() => undefined); // awaited (and reported) by openGained
        // buses gained together (a takeover: dozens at once) open together, with one registry read for all
        const first = this.gained.size === 0;
        this.gained.set(id, passed);
        if (first) void enqueue(() => this.openGained());
      },
      lost: (id, epoch) => this.closeLost(id, epoch),
    });
  }

  /** The buses whose lease was gained: each opens, unless it is open already, no longer held, or no longer enabled. */
  private async openGained(): Promise<void> {
    const { registry, busLeases, log, stopped } = this.deps;
    const gained = [...this.gained];
    this.gained.clear();
    const ready: number[] = [];
    for (const [gatewayId, passed] of gained) {
      // the previous holder signed this bus's commands from its own block: ours must be above it before anything is sent
      try {
        await passed;
      } catch (e) {
        log.error(`gateway ${gatewayId}: lease gained, bus not opened: ${(e as Error).message}`);
        continue;
      }
      if (!stopped() && !this.open.has(gatewayId) && busLeases.owns(gatewayId)) ready.push(gatewayId);
    }
    if (ready.length === 0) return;
    const gateways = (await registry.gatewaysById(ready)).filter((g) => g.enabled);
    const terminals = new Map<number, TerminalEntity[]>();
    for (const t of await registry.enabledTerminalsOf(gateways.map((g) => g.id))) {
      const onBus = terminals.get(t.gatewayId);
      if (onBus) onBus.push(t);
      else terminals.set(t.gatewayId, [t]);
    }
    let since = performance.now();
    for (const g of gateways) {
      if (stopped() || this.open.has(g.id)) continue;
      this.openBus(g, terminals.get(g.id) ?? []); // nothing opens whose lease is no longer held by then
      if (this.open.has(g.id)) log.log(`${busIdOf(g)}: lease gained, bus opened`);
      // a turn of the event loop every 20 ms: hundreds opened in one go must not hold up the lease renewals
      if (performance.now() - since > YIELD_AFTER_MS) {
        await nextTurn();
        since = performance.now();
      }
    }
  }

  /**
   * A bus lease lost: the bus is closed now, out of the registry queue (its sweeper stops, its socket closes, the
   * requests still queued on it fail as cancelled by the stop), before another instance may take the lease.
   */
  private closeLost(gatewayId: number, epoch: number): void {
    if (!this.open.has(gatewayId)) return;
    const { log } = this.deps;
    const closed = this.closeBus(gatewayId)
      .then(() => log.log(`gateway ${gatewayId}: lease lost (epoch ${epoch}), bus closed`))
      .catch((e: unknown) => log.warn(`gateway ${gatewayId}: closing after a lost lease: ${(e as Error).message}`))
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  /** Opens the gateway's bus, when this instance drives it (always, when not clustered). */
  openBus(g: GatewayEntity, terminals: readonly TerminalEntity[]): void {
    const { config, clock, busDeps, monitoring, busLeases, observe, log } = this.deps;
    if (!busLeases.owns(g.id)) return;
    const now = clock.now();
    let bus: TerminalBus;
    try {
      // clustered: nothing goes on the wire once the lease is no longer trusted, even before the loss is reported
      const held = busLeases.clustered ? () => busLeases.owns(g.id) : undefined;
      bus = createBus(g, terminals, busDeps, held);
    } catch (e) {
      log.error(`${busIdOf(g)} not opened: ${(e as Error).message}`);
      return;
    }
    const o: OpenBus = {
      gateway: g,
      key: connectionKey(g),
      bus,
      units: new Map(),
      sweeper: null,
      subscriptions: [],
      // FieldCommands.busSequenceFloor: nothing is signed on the bus here before it is open
      sequenceFloor: busDeps.issuedSequence?.() ?? 0,
    };
    this.open.set(g.id, o);
    monitoring.trackGateway({ gatewayId: g.id, areaCode: g.areaCode }, now);
    for (const t of terminals) this.attach(o, t);
    o.subscriptions.push(bus.events.subscribe((e) => observe.event(o, e)));
    if (bus.family === 'modbus') {
      const sweeper = new Sweeper({ bus, clock, units: [...o.units.keys()], intervalMs: config.field.pollPauseMs });
      o.subscriptions.push(sweeper.outcomes.subscribe((p) => observe.poll(o, p)));
      o.sweeper = sweeper;
    }
    bus.start().catch((e: unknown) => log.warn(`${bus.id}: ${(e as Error).message}; retrying`));
    o.sweeper?.start();
  }

  async closeBus(gatewayId: number): Promise<void> {
    const o = this.open.get(gatewayId);
    if (!o) return;
    this.open.delete(gatewayId);
    for (const [unit, terminalId] of o.units) this.detach({ terminalId, gatewayId, unit });
    // the sweeper waits for its polls, which a bus that is down holds queued until the bus itself stops: stop both
    const sweeping = o.sweeper?.stop();
    o.subscriptions.forEach((s) => s.unsubscribe());
    await o.bus.stop();
    await sweeping;
    this.deps.monitoring.untrackGateway(gatewayId);
  }

  attach(o: OpenBus, t: TerminalEntity): void {
    o.units.set(t.unitId, t.id);
    this.located.set(t.id, { terminalId: t.id, gatewayId: o.gateway.id, unit: t.unitId });
    this.deps.monitoring.trackTerminal(
      { terminalId: t.id, areaCode: t.areaCode, gatewayId: o.gateway.id },
      this.deps.clock.now(),
    );
    o.sweeper?.setUnits([...o.units.keys()]);
  }

  detach(where: TerminalLocation): void {
    this.located.delete(where.terminalId);
    this.deps.monitoring.untrackTerminal(where.terminalId);
    const o = this.open.get(where.gatewayId);
    if (!o || o.units.get(where.unit) !== where.terminalId) return;
    o.units.delete(where.unit);
    o.sweeper?.setUnits([...o.units.keys()]);
  }
}
