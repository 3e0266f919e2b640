/**
 * FieldBuses and the bus leases, with a fake LeaseManager and fake buses: clustered, a gateway's bus opens on `gained`
 * and closes on `lost` (its sweeper stopped, its queued work failed, its terminals untracked); requests for a bus
 * another instance drives fail at once naming the bus and its holder; not clustered, every bus opens as before.
 */
import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { ManualClock } from '../../device-drivers/transport/clock';
import { BusError, type BusEvent, type TerminalBus } from '../../device-drivers/terminal-bus';
import { busKey, type LeaseEvent, type LeaseManager } from '../cluster/lease-manager';
import type { AppConfig } from '../config/config';
import { MonitoringService } from '../monitoring/monitoring.service';
import { RegistryEvents } from '../terminals/registry-events';
import type { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import type { BusFactoryDeps } from './bus-factory';
import { BusElsewhereError } from './bus-leases';
import { FieldBuses } from './field-buses';
import type { FieldRegistry } from './field-registry';

/** A bus that never touches a socket: its requests wait until it stops, then fail as a stopped bus's do. */
class FakeBus {
  readonly family = 'modbus' as const;
  readonly events = new Subject<BusEvent>();
  started = false;
  stopped = false;
  private readonly waiting: ((e: Error) => void)[] = [];
  constructor(readonly id: string) {}
  connectionState() {
    return this.stopped ? ('stopped' as const) : ('connected' as const);
  }
  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped = true;
    for (const fail of this.waiting.splice(0))
      fail(new BusError('disconnected', this.id, null, 'request', 'bus stopped'));
    this.events.complete();
    return Promise.resolve();
  }
  private pending<T>(): Promise<T> {
    if (this.stopped) return Promise.reject(new BusError('disconnected', this.id, null, 'request', 'bus stopped'));
    return new Promise<T>((_resolve, reject) => this.waiting.push(reject));
  }
  readStatus = () => this.pending();
  command = () => this.pending();
  identify = () => this.pending();
  readRegisters = () => this.pending();
  transferClip = () => this.pending();
  metrics = () => ({});
}

const buses: FakeBus[] = [];
jest.mock('./bus-factory', () => ({
  ...jest.requireActual<object>('./bus-factory'),
  createBus: (g: GatewayEntity) => {
    const bus = new FakeBus(`gateway ${g.id}`);
    buses.push(bus);
    return bus as unknown as TerminalBus;
  },
}));

/** The manager's side FieldBuses uses: events, holds(), setBuses(), ownerOf(). */
class FakeLeases {
  readonly events = new Subject<LeaseEvent>();
  readonly held = new Map<string, number>();
  shared: string[] = [];
  constructor(readonly clustered: boolean) {}
  holds(key: string): boolean {
    return !this.clustered || this.held.has(key);
  }
  setBuses(keys: readonly string[]): void {
    this.shared = [...keys];
  }
  ownerOf(key: string): string | null {
    return this.held.has(key) ? 'me' : 'ctl-b';
  }
  gain(gatewayId: number, epoch = 1): void {
    this.held.set(busKey(gatewayId), epoch);
    this.events.next({ kind: 'gained', key: busKey(gatewayId), epoch });
  }
  lose(gatewayId: number): void {
    const epoch = this.held.get(busKey(gatewayId)) ?? 0;
    this.held.delete(busKey(gatewayId));
    this.events.next({ kind: 'lost', key: busKey(gatewayId), epoch });
  }
}

const gateway = (id: number, enabled = true) =>
  ({ id, name: `网关${id}`, areaCode: `34152310${id}000`, kind: 'modbus-tcp', enabled }) as GatewayEntity;
const terminal = (id: number, gatewayId: number, unitId: number) =>
  ({ id, gatewayId, unitId, areaCode: `34152310${gatewayId}000`, enabled: true }) as TerminalEntity;

describe('FieldBuses and bus leases', () => {
  beforeAll(() => Logger.overrideLogger(false));

  let gateways: GatewayEntity[];
  let terminals: TerminalEntity[];
  let registryEvents: RegistryEvents;
  let monitoring: MonitoringService;

  /** The gateway ids of each read of gained buses. */
  let registryReads: number[][] = [];

  const start = async (clustered: boolean) => {
    const leases = new FakeLeases(clustered);
    const registry = {
      enabledGateways: () => Promise.resolve(gateways.filter((g) => g.enabled)),
      enabledTerminals: (gid?: number) =>
        Promise.resolve(terminals.filter((t) => gid === undefined || t.gatewayId === gid)),
      gateway: (id: number) => Promise.resolve(gateways.find((g) => g.id === id) ?? null),
      gatewaysById: (ids: number[]) => {
        registryReads.push([...ids]);
        return Promise.resolve(gateways.filter((g) => ids.includes(g.id)));
      },
      enabledTerminalsOf: (gids: number[]) => Promise.resolve(terminals.filter((t) => gids.includes(t.gatewayId))),
      terminal: (id: number) => Promise.resolve(terminals.find((t) => t.id === id) ?? null),
    } as unknown as FieldRegistry;
    const config = { field: { enabled: true, pollPauseMs: 100 } } as AppConfig;
    const field = new FieldBuses(
      config,
      new ManualClock(),
      {} as BusFactoryDeps,
      registry,
      registryEvents,
      monitoring,
      leases as unknown as LeaseManager,
    );
    await field.onApplicationBootstrap();
    return { field, leases };
  };

  beforeEach(() => {
    registryReads = [];
    buses.length = 0;
    gateways = [gateway(1), gateway(2)];
    terminals = [terminal(11, 1, 1), terminal(12, 1, 2), terminal(21, 2, 1)];
    registryEvents = new RegistryEvents();
    monitoring = new MonitoringService();
  });

  it('not clustered: opens every enabled gateway at start, as always', async () => {
    const { field, leases } = await start(false);
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([1, 2]);
    expect(leases.shared).toEqual(['bus:1', 'bus:2']);
    expect(field.owns(1)).toBe(true);
    await field.beforeApplicationShutdown();
    expect(buses.every((b) => b.stopped)).toBe(true);
  });

  it('clustered: registers the enabled gateways as bus keys and opens a bus only once its lease is gained', async () => {
    const { field, leases } = await start(true);
    expect(leases.shared).toEqual(['bus:1', 'bus:2']);
    expect(field.openGateways()).toEqual([]);
    expect(monitoring.terminal(11)).toBeUndefined();

    leases.gain(2, 4);
    await field.settled();
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([2]);
    expect(field.owns(2)).toBe(true);
    expect(field.owns(1)).toBe(false);
    expect(field.terminalsOn(2)).toEqual([21]);
    expect(monitoring.terminal(21)).toBeDefined();
    expect(buses).toHaveLength(1);
    expect(buses[0].started).toBe(true);
    await field.beforeApplicationShutdown();
  });

  it('clustered: buses gained together (a takeover) open together, after one registry read for all', async () => {
    const { field, leases } = await start(true);
    leases.gain(1);
    leases.gain(2);
    await field.settled();
    expect(registryReads).toEqual([[1, 2]]);
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([1, 2]);
    expect(field.terminalsOn(1)).toEqual([11, 12]);
    await field.beforeApplicationShutdown();
  });

  it('clustered: closes the bus on `lost` at once, failing its queued work, and reopens it when gained again', async () => {
    const { field, leases } = await start(true);
    leases.gain(1);
    await field.settled();
    const bus = buses[0];
    const inFlight = field.readStatus(11);
    // lost is handled synchronously: the bus is out of service before the manager goes on to release the lease
    leases.lose(1);
    expect(bus.stopped).toBe(true);
    expect(field.openGateways()).toEqual([]);
    await expect(inFlight).rejects.toMatchObject({ kind: 'disconnected' });
    expect(monitoring.terminal(11)).toBeUndefined();

    leases.gain(1, 3);
    await field.settled();
    expect(buses).toHaveLength(2);
    expect(buses[1].started).toBe(true);
    expect(field.terminalsOn(1).sort()).toEqual([11, 12]);
    await field.beforeApplicationShutdown();
  });

  it('clustered: a request for a bus another instance drives fails at once, naming the bus and its holder', async () => {
    const { field, leases } = await start(true);
    leases.gain(2);
    await field.settled();
    const refused = field.readStatus(11);
    await expect(refused).rejects.toBeInstanceOf(BusElsewhereError);
    await expect(refused).rejects.toMatchObject({
      kind: 'disconnected',
      gatewayId: 1,
      owner: 'ctl-b',
      message: expect.stringMatching(/bus:1 \(gateway 1\) is driven by instance ctl-b of the cluster, not this one/),
    });
    await expect(field.commandBus(1, { code: 'stop' } as never)).rejects.toBeInstanceOf(BusElsewhereError);
    // an unknown terminal is still just not reachable
    await expect(field.readStatus(99)).rejects.not.toBeInstanceOf(BusElsewhereError);
    await field.beforeApplicationShutdown();
  });

  it('clustered: follows the registry: a disabled gateway leaves the bus keys and its bus closes', async () => {
    const { field, leases } = await start(true);
    leases.gain(1);
    leases.gain(2);
    await field.settled();
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([1, 2]);
    registryEvents.emit([{ kind: 'gateway', change: 'updated', gateway: gateway(1, false) }]);
    await field.settled();
    expect(leases.shared).toEqual(['bus:2']);
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([2]);
    gateways.push(gateway(3));
    registryEvents.emit([{ kind: 'gateway', change: 'added', gateway: gateway(3) }]);
    await field.settled();
    expect(leases.shared).toEqual(['bus:2', 'bus:3']);
    expect(field.openGateways().map((g) => g.gatewayId)).toEqual([2]);
    registryEvents.emit([{ kind: 'gateway', change: 'removed', id: 2 }]);
    await field.settled();
    expect(leases.shared).toEqual(['bus:3']);
    expect(field.openGateways()).toEqual([]);
    await field.beforeApplicationShutdown();
  });
});
