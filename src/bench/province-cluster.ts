/**
 * What `npm run bench -- province` (src/bench/province.ts) starts and watches besides the instances of
 * src/bench/cluster-launcher.ts: the province in several simulator processes (one part each,
 * device-drivers/simulator/province-shape.ts), its registry imported through the API one county at a time, the
 * registry's ids read back from the database, and three watchers: each process's resident memory and CPU time from
 * /proc, the instances' `/health` (which buses each holds) and their heartbeats in the database.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import type { CountyShape } from '../../device-drivers/simulator/county-shape';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import type { SigningCertificate } from '../field/command-signing';
import { importCounty, sleep, type InstanceProcess } from './cluster-launcher';
import type { InstanceHealth } from './failover-measure';
import { busHolding, cpuTicks, vmRssMb, type HeartbeatGap } from './province-measure';

export interface ProvinceSimulators {
  sims: SimulatorProcess[];
  /** where gateway i of the province listens */
  ports: number[];
  /** [gateway index in the province, unit] of the terminals dead from the start */
  dead: [number, number][];
}

/** One simulator process per part, started together; part p draws its dead units and noise from seed + p. */
export async function startSimulators(
  terminals: number,
  parts: CountyShape[],
  o: { seed: number; dead: number; noise: number },
  certificate: SigningCertificate,
): Promise<ProvinceSimulators> {
  const sims = await Promise.all(
    parts.map((_, part) =>
      SimulatorProcess.start(
        {
          shape: 'province',
          province: { terminals, part, parts: parts.length },
          seed: o.seed + part,
          deadFraction: o.dead,
          noise: o.noise,
          trust: [certificate],
        },
        300_000,
      ),
    ),
  );
  const ports: number[] = [];
  const dead: [number, number][] = [];
  parts.forEach((p, k) => {
    p.gateways.forEach((g, i) => (ports[g.index] = sims[k].ports[i]));
    for (const [i, unit] of sims[k].ready.dead) dead.push([p.gateways[i].index, unit]);
  });
  return { sims, ports, dead };
}

/** The registry of the province through `url`'s import API, county by county (regions, gateways, terminals). */
export async function importProvince(
  url: string,
  token: string,
  shape: CountyShape,
  ports: readonly number[],
  say: (line: string) => void,
): Promise<{ regions: number; gateways: number; terminals: number; slowest_county_s: number }> {
  const total = { regions: 0, gateways: 0, terminals: 0, slowest_county_s: 0 };
  const counties = shape.areas.filter((a) => a.level === 'county');
  for (const county of counties) {
    const prefix = county.areaCode.slice(0, 6);
    const gateways = shape.gateways.filter((g) => g.areaCode.startsWith(prefix));
    const part: CountyShape = {
      ...shape,
      areas: shape.areas.filter((a) => a.areaCode.startsWith(prefix)),
      gateways,
    };
    const started = performance.now();
    const n = await importCounty(
      url,
      token,
      part,
      gateways.map((g) => ports[g.index]),
    );
    const s = (performance.now() - started) / 1000;
    total.regions += n.regions;
    total.gateways += n.gateways;
    total.terminals += n.terminals;
    total.slowest_county_s = Math.max(total.slowest_county_s, Number(s.toFixed(1)));
    say(`imported ${county.name} (${prefix}): ${n.gateways} gateways, ${n.terminals} terminals in ${s.toFixed(1)} s`);
  }
  return total;
}

export interface RegistryIds {
  /** the registry's gateway id of gateway i of the province */
  gatewayIds: number[];
  /** terminal id by `${gateway index in the province}:${unit}` */
  terminalIds: Map<string, number>;
}

/** The ids the registry gave the province's gateways (matched by resource code) and terminals. */
export async function registryIds(databaseUrl: string, shape: CountyShape): Promise<RegistryIds> {
  const c = await createConnection({ uri: databaseUrl });
  try {
    const [gateways] = (await c.query('SELECT id, resourceCode FROM gateways')) as unknown as [
      { id: number; resourceCode: string }[],
    ];
    const [terminals] = (await c.query('SELECT id, gatewayId, unitId FROM terminals')) as unknown as [
      { id: number; gatewayId: number; unitId: number }[],
    ];
    const byCode = new Map(gateways.map((g) => [g.resourceCode, g.id]));
    const gatewayIds = shape.gateways.map((g) => {
      const id = byCode.get(g.resourceCode);
      if (id === undefined) throw new Error(`gateway ${g.resourceCode} is not in the registry`);
      return id;
    });
    const indexOf = new Map(gatewayIds.map((id, i) => [id, i]));
    const terminalIds = new Map<string, number>();
    for (const t of terminals) terminalIds.set(`${indexOf.get(t.gatewayId)}:${t.unitId}`, t.id);
    return { gatewayIds, terminalIds };
  } finally {
    await c.end();
  }
}

/** Rows of the status history so far. */
export async function historyRows(databaseUrl: string, where = ''): Promise<number> {
  const c = await createConnection({ uri: databaseUrl });
  try {
    const [rows] = (await c.query(`SELECT COUNT(*) AS n FROM terminal_status_history ${where}`)) as unknown as [
      { n: number | string }[],
    ];
    return Number(rows[0].n);
  } finally {
    await c.end();
  }
}

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** Each watched process's largest resident memory, sampled every second from /proc/<pid>/status (VmRSS). */
export class ProcessWatch {
  readonly rssMbMax = new Map<string, number>();
  private readonly pids = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 1000) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  watch(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.sample();
  }

  private sample(): void {
    for (const [name, pid] of this.pids) {
      const mb = vmRssMb(read(`/proc/${pid}/status`) ?? '');
      if (mb !== null) this.rssMbMax.set(name, Math.max(mb, this.rssMbMax.get(name) ?? 0));
    }
  }

  /** CPU time of each watched process so far, clock ticks (100 a second on Linux). */
  cpuTicks(): Map<string, number | null> {
    return new Map([...this.pids].map(([name, pid]) => [name, cpuTicks(read(`/proc/${pid}/stat`) ?? '')]));
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

export interface HoldingSample {
  /** ms on the bench's clock (performance.now) */
  at: number;
  unheld: number;
  heldTwice: number;
}

/** The instances' `/health` read one after the other's answer, all at once, every `everyMs`. */
export class HealthWatch {
  readonly samples: HoldingSample[] = [];
  incomplete = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly instances: () => InstanceProcess[],
    private readonly gatewayIds: readonly number[],
    everyMs = 2000,
  ) {
    this.loop = this.run(everyMs);
  }

  private async run(everyMs: number): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      const healths: (InstanceHealth | null)[] = await Promise.all(this.instances().map((i) => i.health(5_000)));
      const h = busHolding(this.gatewayIds, healths);
      if (h) this.samples.push({ at: started, ...h });
      else this.incomplete++;
      await sleep(Math.max(0, everyMs - (performance.now() - started)));
    }
  }

  /** The most buses unheld and held twice at one check between `from` and `to`, and how many checks there were. */
  between(from: number, to: number): { unheldMax: number | null; heldTwiceMax: number | null; checks: number } {
    const inside = this.samples.filter((s) => s.at >= from && s.at < to);
    if (inside.length === 0) return { unheldMax: null, heldTwiceMax: null, checks: 0 };
    return {
      unheldMax: Math.max(...inside.map((s) => s.unheld)),
      heldTwiceMax: Math.max(...inside.map((s) => s.heldTwice)),
      checks: inside.length,
    };
  }

  /** The first check at or after `from` where every bus was held by exactly one instance (ms), or null. */
  settledAt(from: number): number | null {
    return this.samples.find((s) => s.at >= from && s.unheld === 0 && s.heldTwice === 0)?.at ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/**
 * The instances' heartbeats in `cluster_instance`, read every `everyMs`: an instance writes its heartbeat at the start
 * of each lease renewal (src/cluster/lease-manager.ts), so the gap between two of its heartbeats is the gap between
 * its renewals, which must stay under the term a lease is trusted.
 */
export class HeartbeatWatch {
  readonly gaps: HeartbeatGap[] = [];
  private readonly last = new Map<string, number>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(databaseUrl: string, everyMs = 250) {
    this.loop = this.run(databaseUrl, everyMs);
  }

  private async run(databaseUrl: string, everyMs: number): Promise<void> {
    const c = await createConnection({ uri: databaseUrl, dateStrings: true });
    try {
      while (!this.stopped) {
        const [rows] = (await c.query('SELECT id, lastHeartbeat FROM cluster_instance')) as unknown as [
          { id: string; lastHeartbeat: string }[],
        ];
        for (const r of rows) {
          const at = Date.parse(`${r.lastHeartbeat.replace(' ', 'T')}Z`);
          const before = this.last.get(r.id);
          if (before !== undefined && at > before) this.gaps.push({ id: r.id, at, ms: at - before });
          this.last.set(r.id, at);
        }
        await sleep(everyMs);
      }
    } finally {
      await c.end();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
