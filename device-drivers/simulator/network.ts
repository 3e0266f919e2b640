/**
 * A simulated county network in one process: a VirtualBus per gateway of a shape, its terminals attached as devices,
 * and a virtual gateway on loopback in front of each bus. Faults are seeded: `deadFraction` of the terminals are dead
 * from the start and every frame has `noise` chance of corruption. Gateways and terminals can be killed and revived.
 * Run it in its own process or worker thread (docs/performance.md, "Method": never in the controller's event loop).
 */
import type { Clock } from '../transport/clock';
import { LineTiming } from '../transport/line-timing';
import type { CountyShape, ShapeGateway, ShapeTerminal } from './county-shape';
import { RunningGateway, serveModbusTcp, serveRtuOverTcp } from './modbus/gateways';
import { BusTiming, ModbusDevice, PlayRecord, UnitFault, VirtualBus } from './modbus/virtual-bus';
import { seededRandom } from './random';
import type { StoredClip } from './terminal/clip-store';

/** A clip for one terminal, [gateway index, unit], to hold as installed. */
export interface StockedClip {
  gateway: number;
  unit: number;
  clip: StoredClip;
}

export type GatewayTransport = 'modbus-tcp' | 'rtu-over-tcp';

export interface NetworkOptions {
  shape: CountyShape;
  clock: Clock;
  /** Defaults to the line-timing model of the gateway's serial settings. */
  timingFor?: (gateway: ShapeGateway) => BusTiming;
  deviceFactory: (gateway: ShapeGateway, terminal: ShapeTerminal, random: () => number) => ModbusDevice;
  seed?: number;
  deadFraction?: number;
  noise?: number;
  transport?: GatewayTransport;
  /** Listen on the ports the shape names (the demo, whose registry holds them) or on free ports (tests, benches). */
  useShapePorts?: boolean;
  host?: string;
}

export interface SimulatedGateway {
  shape: ShapeGateway;
  bus: VirtualBus;
  port: number;
  running: RunningGateway | null;
}

export function lineTimingOf(g: ShapeGateway): LineTiming {
  return new LineTiming({
    baud: g.baudRate,
    dataBits: g.dataBits,
    parity: g.parity,
    stopBits: g.stopBits,
    turnaroundMs: g.turnaroundMs,
    broadcastDelayMs: g.broadcastDelayMs,
  });
}

export class SimulatedNetwork {
  readonly gateways: SimulatedGateway[] = [];
  private readonly random: () => number;

  private constructor(private readonly opts: NetworkOptions) {
    this.random = seededRandom(opts.seed ?? 1);
  }

  static async start(opts: NetworkOptions): Promise<SimulatedNetwork> {
    const net = new SimulatedNetwork(opts);
    const random = net.random;
    for (const shape of opts.shape.gateways) {
      const bus = new VirtualBus({
        timing: (opts.timingFor ?? lineTimingOf)(shape),
        clock: opts.clock,
        noise: opts.noise ?? 0,
        random,
      });
      for (const t of shape.terminals) {
        bus.attach(t.unitId, opts.deviceFactory(shape, t, random));
        if (random() < (opts.deadFraction ?? 0)) bus.setFault(t.unitId, 'dead');
      }
      net.gateways.push({ shape, bus, port: opts.useShapePorts ? shape.port : 0, running: null });
    }
    for (let i = 0; i < net.gateways.length; i++) await net.reviveGateway(i);
    return net;
  }

  private async serve(g: SimulatedGateway): Promise<RunningGateway> {
    const where = { host: this.opts.host ?? '127.0.0.1', port: g.port };
    return (this.opts.transport ?? 'modbus-tcp') === 'modbus-tcp'
      ? serveModbusTcp(g.bus, this.opts.clock, { ...where, serialTimeoutMs: g.shape.requestTimeoutMs })
      : serveRtuOverTcp(g.bus, where);
  }

  /** Stops a gateway's listener and drops its connections, as when its power or uplink fails. */
  async killGateway(index: number): Promise<void> {
    const g = this.gateways[index];
    await g.running?.close();
    g.running = null;
  }

  /** Starts (again) a gateway's listener on the same port. */
  async reviveGateway(index: number): Promise<void> {
    const g = this.gateways[index];
    if (g.running) return;
    g.running = await this.serve(g);
    g.port = g.running.port;
  }

  setFault(index: number, unit: number, fault: UnitFault): void {
    this.gateways[index].bus.setFault(unit, fault);
  }

  /** A terminal swapped for a new one at the same address, as a technician does with a broken one: nothing stored, nothing heard yet. */
  replaceTerminal(index: number, unit: number): void {
    const g = this.gateways[index];
    const t = g.shape.terminals.find((x) => x.unitId === unit);
    if (!t) throw new RangeError(`gateway ${index} has no unit ${unit}`);
    g.bus.attach(unit, this.opts.deviceFactory(g.shape, t, this.random));
  }

  /** Clips put on terminals as installed (see ModbusDevice.installClip); how many terminals now hold theirs. */
  installClips(entries: readonly StockedClip[]): number {
    let held = 0;
    for (const e of entries) {
      const g = this.gateways[e.gateway];
      if (!g) throw new RangeError(`simulator: no gateway ${e.gateway} (0–${this.gateways.length - 1})`);
      if (g.bus.installClip(e.unit, e.clip)) held++;
    }
    return held;
  }

  /** The signal quality a terminal reports from now on (an FM field grown weak). */
  setSignalQuality(index: number, unit: number, quality: number): void {
    this.unit(index, unit).setSignalQuality?.(quality);
  }

  /** What a terminal plays switches source without a command (a local switch, a receiver fault). */
  switchSource(index: number, unit: number, source: PlayRecord['source']): void {
    this.unit(index, unit).switchSource?.(source, this.opts.clock.now());
  }

  /** A terminal's volume turned on site (its next status read shows it). */
  setVolume(index: number, unit: number, volume: number): void {
    this.unit(index, unit).setVolume?.(volume);
  }

  /** Every terminal's play log, as [gateway index, unit, plays]. */
  playLogs(): [number, number, PlayRecord[]][] {
    return this.gateways.flatMap((g, i) =>
      g.bus
        .unitIds()
        .map((u): [number, number, PlayRecord[]] => [i, u, g.bus.device(u)?.playLog?.(this.opts.clock.now()) ?? []]),
    );
  }

  private unit(index: number, unit: number): ModbusDevice {
    const d = this.gateways[index]?.bus.device(unit);
    if (!d) throw new RangeError(`simulator: gateway ${index} has no unit ${unit}`);
    return d;
  }

  /** [gateway index, unit] of every terminal currently dead. */
  deadUnits(): [number, number][] {
    return this.gateways.flatMap((g, i) =>
      g.bus
        .unitIds()
        .filter((u) => g.bus.fault(u) === 'dead')
        .map((u): [number, number] => [i, u]),
    );
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.gateways.length; i++) await this.killGateway(i);
  }
}
