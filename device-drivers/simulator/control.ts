/**
 * The control channel of a simulator running in its own process (docs/performance.md, "Method": never in the controller's event loop):
 * messages over Node's IPC, and the handler that applies them to a SimulatedNetwork. simulator-process.ts is the
 * parent side, child.ts the process entry.
 */
import { ChurnRunner, type ChurnLog } from './churn';
import { clipBusShape, longBusShape, referenceCounty, type CountyShape } from './county-shape';
import type { GatewayTransport, SimulatedNetwork, StockedClip } from './network';
import { provincePart } from './province-shape';
import type { ConnectionCounters } from './modbus/gateways';
import { UNIT_FAULTS, type BusCounters, type PlayRecord, type UnitFault } from './modbus/virtual-bus';

export type ShapeName = 'county' | 'long-bus' | 'clip-bus' | 'province';

export interface StartRequest {
  shape: ShapeName;
  seed: number;
  /** Defaults of the reference county (docs/performance.md): 5 % dead, 1 % of frames corrupted. */
  deadFraction?: number;
  noise?: number;
  transport?: GatewayTransport;
  /** Gateway i listens on basePort + i; absent = free ports. */
  basePort?: number;
  verifyMs?: number;
  /** Certificates the terminals trust besides the development certificate of the seed (a controller's own). */
  trust?: { serial: string; publicKeyHex: string }[];
  /** Fraction of live terminals with a fault only a self-test finds, and as many without the self-test (default 0). */
  selfTestFindings?: number;
  /** Every n-th unit is an older terminal without a held schedule (county-network.ts); absent = all hold one. */
  olderEveryNth?: number;
  /** Shape `province`: the province of `terminals` terminals, its part `part` (0-based) of `parts` (province-shape.ts). */
  province?: ProvincePartRequest;
}

export interface ProvincePartRequest {
  terminals: number;
  part: number;
  parts: number;
}

export type ControlRequest =
  | { op: 'kill-gateway'; gateway: number }
  | { op: 'revive-gateway'; gateway: number }
  | { op: 'set-fault'; gateway: number; unit: number; fault: UnitFault }
  | { op: 'set-noise'; gateway: number | 'all'; probability: number }
  | { op: 'set-stray-traffic'; gateway: number | 'all'; probability: number }
  | { op: 'install-clips'; clips: StockedClip[] }
  | { op: 'set-signal'; gateway: number; unit: number; quality: number }
  | { op: 'switch-source'; gateway: number; unit: number; source: PlayRecord['source'] }
  | { op: 'play-log' }
  | { op: 'counters' }
  | { op: 'bus-counters' }
  | { op: 'connections' }
  | { op: 'churn-start'; ratePerS: number; seed: number }
  | { op: 'churn-stop' }
  | { op: 'churn-log'; from: number; max: number }
  | { op: 'stop' };

export interface Ready {
  type: 'ready';
  ports: number[];
  dead: [number, number][];
  certificate: { serial: string; privateKeyHex: string; publicKeyHex: string };
}

export interface Reply {
  type: 'reply';
  id: number;
  error?: string;
  counters?: Record<string, number>;
  /** bus-counters: each gateway's bus counters, in gateway order. */
  busCounters?: BusCounters[];
  /** connections: each Modbus TCP gateway's connections so far, in gateway order (empty for other kinds). */
  connections?: ConnectionCounters[][];
  /** play-log: [gateway index, unit, plays] of every terminal. */
  playLog?: [number, number, PlayRecord[]][];
  /** churn-log: the changes asked for (churn.ts). */
  churnLog?: ChurnLog;
}

export function shapeOf(name: ShapeName, basePort?: number, province?: ProvincePartRequest): CountyShape {
  if (name === 'province') return provincePart(province ?? { terminals: 100_000, part: 0, parts: 1 });
  if (name === 'clip-bus') return clipBusShape({ basePort });
  return name === 'county' ? referenceCounty({ basePort }) : longBusShape({ basePort });
}

/** The churn of each network (started by `churn-start`). */
const churns = new WeakMap<SimulatedNetwork, ChurnRunner>();

/** The network's churn, made on first use over the terminals alive then. */
export function churnOf(net: SimulatedNetwork): ChurnRunner {
  let churn = churns.get(net);
  if (!churn) churns.set(net, (churn = new ChurnRunner(net)));
  return churn;
}

function gatewaysOf(net: SimulatedNetwork, g: number | 'all'): number[] {
  if (g === 'all') return net.gateways.map((_, i) => i);
  if (!Number.isInteger(g) || g < 0 || g >= net.gateways.length)
    throw new RangeError(`simulator: no gateway ${g} (0–${net.gateways.length - 1})`);
  return [g];
}

/** Applies one control request; throws with a message naming what is wrong. */
export async function applyControl(
  net: SimulatedNetwork,
  req: ControlRequest,
): Promise<Record<string, number> | undefined> {
  switch (req.op) {
    case 'set-signal':
      net.setSignalQuality(req.gateway, req.unit, req.quality);
      return undefined;
    case 'switch-source':
      net.switchSource(req.gateway, req.unit, req.source);
      return undefined;
    case 'play-log':
      return undefined;
    case 'kill-gateway':
      for (const i of gatewaysOf(net, req.gateway)) await net.killGateway(i);
      return undefined;
    case 'revive-gateway':
      for (const i of gatewaysOf(net, req.gateway)) await net.reviveGateway(i);
      return undefined;
    case 'set-fault': {
      const [i] = gatewaysOf(net, req.gateway);
      if (!(UNIT_FAULTS as readonly string[]).includes(req.fault))
        throw new RangeError(`simulator: unknown fault "${req.fault}" (${UNIT_FAULTS.join(', ')})`);
      if (!net.gateways[i].bus.unitIds().includes(req.unit))
        throw new RangeError(`simulator: gateway ${i} has no unit ${req.unit}`);
      net.setFault(i, req.unit, req.fault);
      return undefined;
    }
    case 'set-noise':
      for (const i of gatewaysOf(net, req.gateway)) net.gateways[i].bus.setNoise(req.probability);
      return undefined;
    case 'set-stray-traffic':
      for (const i of gatewaysOf(net, req.gateway)) net.gateways[i].bus.setStrayTraffic(req.probability);
      return undefined;
    case 'install-clips':
      return { held: net.installClips(req.clips) };
    case 'counters': {
      const total: Record<string, number> = {};
      for (const g of net.gateways) {
        for (const [k, v] of [...Object.entries(g.bus.counters), ...Object.entries(g.bus.deviceCounters())] as [
          string,
          number,
        ][])
          total[k] = (total[k] ?? 0) + v;
      }
      return total;
    }
    case 'churn-start':
      churnOf(net).start(req.ratePerS, req.seed);
      return { targets: churnOf(net).liveTargets };
    case 'churn-stop':
      churnOf(net).stop();
      return { made: churnOf(net).made };
    case 'bus-counters':
    case 'connections':
    case 'churn-log':
      return undefined; // the reply carries them (child.ts)
    case 'stop':
      churns.get(net)?.stop();
      await net.stop();
      return undefined;
  }
}
