/**
 * The simulator, as the benchmark runs it: a child process (PERFORMANCE.md: never in the controller's event loop)
 * serving a shape's gateways on 127.0.0.1 with the line-timing model enforced, seeded dead units and noise.
 * Protocol over the IPC channel: the parent sends a SimRequest, the child answers SimReady with the gateways' ports,
 * and on { stop: true } (or when the parent goes away) it sends SimCounters and exits.
 */
import { systemClock } from '../transport/clock';
import { longBusShape, referenceCounty } from '../simulator/county-shape';
import { SimulatedNetwork } from '../simulator/network';
import { RegisterBank } from './register-bank';

export interface SimRequest {
  shape: 'county' | 'long-bus';
  seed: number;
  deadFraction: number;
  noise: number;
}

export interface SimReady {
  ready: true;
  ports: number[];
  /** [gateway index, unit] of the dead units. */
  dead: [number, number][];
}

export interface SimCounters {
  counters: { requests: number; replies: number; corrupted: number; collisions: number; unanswered: number };
}

/** Registers per simulated unit: enough for a status read (≤ 20) and then some. */
export const BANK_SIZE = 64;

async function serve(req: SimRequest): Promise<void> {
  const shape = req.shape === 'county' ? referenceCounty() : longBusShape();
  const net = await SimulatedNetwork.start({
    shape,
    clock: systemClock,
    seed: req.seed,
    deadFraction: req.deadFraction,
    noise: req.noise,
    deviceFactory: (g, t) => new RegisterBank(BANK_SIZE, g.index * 1000 + t.unitId),
  });
  const ready: SimReady = { ready: true, ports: net.gateways.map((g) => g.port), dead: net.deadUnits() };
  process.send?.(ready);
  const finish = async (): Promise<void> => {
    const counters = { requests: 0, replies: 0, corrupted: 0, collisions: 0, unanswered: 0 };
    for (const g of net.gateways) for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] += g.bus.counters[k];
    await net.stop();
    const msg: SimCounters = { counters };
    if (process.connected) process.send?.(msg, () => process.exit(0));
    else process.exit(0);
  };
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) void finish();
  });
  process.on('disconnect', () => process.exit(0));
}

process.once('message', (m: SimRequest) => {
  serve(m).catch((e: unknown) => {
    process.stderr.write(`simulator: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
});
