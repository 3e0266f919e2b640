/**
 * The programmatic API for benchmarks and the demo: a simulated network started in a child process (never in the
 * controller's event loop), its gateways' ports, and fault control — kill/revive a gateway, set a unit's named fault
 * (dead, slow, bad-crc, …), bus noise and stray traffic. Runs the compiled child (`npm run build` first).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ChurnLog } from './churn';
import type { ControlRequest, Ready, Reply, StartRequest } from './control';
import type { ConnectionCounters } from './modbus/gateways';
import type { BusCounters, PlayRecord, UnitFault } from './modbus/virtual-bus';
import type { StockedClip } from './network';

export class SimulatorProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`simulator process exited (code ${code})`));
      this.waiting.clear();
    });
  }

  /** Starts the child and resolves once every gateway listens. `timeoutMs` bounds the start. */
  static start(req: StartRequest, timeoutMs = 60_000, entry = join(__dirname, 'child.js')): Promise<SimulatorProcess> {
    const child = fork(entry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`simulator did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`simulator exited (code ${code}) before it was ready`)));
      child.once('message', (m: Ready) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new SimulatorProcess(child, m));
      });
      child.send(req);
    });
  }

  get ports(): number[] {
    return this.ready.ports;
  }

  /** The child's process id (-1 if it has none). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  private request(req: ControlRequest, timeoutMs = 10_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`simulator: no answer to ${req.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ id, ...req });
    });
  }

  async killGateway(gateway: number): Promise<void> {
    await this.request({ op: 'kill-gateway', gateway });
  }

  async reviveGateway(gateway: number): Promise<void> {
    await this.request({ op: 'revive-gateway', gateway });
  }

  async setFault(gateway: number, unit: number, fault: UnitFault): Promise<void> {
    await this.request({ op: 'set-fault', gateway, unit, fault });
  }

  /** Kill (dead) or revive (none) one terminal. */
  async setTerminalAlive(gateway: number, unit: number, alive: boolean): Promise<void> {
    await this.setFault(gateway, unit, alive ? 'none' : 'dead');
  }

  async setNoise(gateway: number | 'all', probability: number): Promise<void> {
    await this.request({ op: 'set-noise', gateway, probability });
  }

  async setStrayTraffic(gateway: number | 'all', probability: number): Promise<void> {
    await this.request({ op: 'set-stray-traffic', gateway, probability });
  }

  /** Puts clips on terminals as installed; resolves to how many terminals hold theirs. */
  async installClips(clips: StockedClip[]): Promise<number> {
    return (await this.request({ op: 'install-clips', clips })).counters?.held ?? 0;
  }

  async setSignalQuality(gateway: number, unit: number, quality: number): Promise<void> {
    await this.request({ op: 'set-signal', gateway, unit, quality });
  }

  /** Every terminal's play log, as [gateway index, unit, plays] (times in ms on the simulator's clock). */
  async playLogs(): Promise<[number, number, PlayRecord[]][]> {
    return (await this.request({ op: 'play-log' }, 60_000)).playLog ?? [];
  }

  async counters(): Promise<Record<string, number>> {
    return (await this.request({ op: 'counters' })).counters ?? {};
  }

  /** Each gateway's bus counters (device-drivers/simulator/modbus/virtual-bus.ts), in gateway order. */
  async busCounters(): Promise<BusCounters[]> {
    return (await this.request({ op: 'bus-counters' })).busCounters ?? [];
  }

  /** Each Modbus TCP gateway's connections so far and the requests each sent, in gateway order. */
  async connections(): Promise<ConnectionCounters[][]> {
    return (await this.request({ op: 'connections' })).connections ?? [];
  }

  /** Starts the status churn (churn.ts) over the terminals alive now; resolves to how many those are. */
  async startChurn(ratePerS: number, seed: number): Promise<number> {
    return (await this.request({ op: 'churn-start', ratePerS, seed })).counters?.targets ?? 0;
  }

  /** Stops the churn; resolves to the changes it made. */
  async stopChurn(): Promise<number> {
    return (await this.request({ op: 'churn-stop' })).counters?.made ?? 0;
  }

  /** Every change the churn made, fetched in slices of `slice`. */
  async churnLog(slice = 100_000): Promise<ChurnLog> {
    const log: ChurnLog = { at: [], gateway: [], unit: [], volume: [] };
    for (;;) {
      const part = (await this.request({ op: 'churn-log', from: log.at.length, max: slice }, 60_000)).churnLog;
      if (!part || part.at.length === 0) return log;
      for (const k of ['at', 'gateway', 'unit', 'volume'] as const) for (const v of part[k]) log[k].push(v);
    }
  }

  /** Stops every gateway and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ op: 'stop' }).catch(() => undefined);
    await exited;
  }
}
