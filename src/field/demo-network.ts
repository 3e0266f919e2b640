/**
 * Demo only (`--demo` with the field on): the simulated reference county runs beside the server in its own process
 * (device-drivers/simulator), on the loopback ports the demo registry lists, its terminals trusting this controller's
 * signing certificate. Faults come and go — a terminal dies and revives, now and then a whole gateway — so every number
 * on the live view moves. A technician (or a test) can also kill and revive a terminal or a gateway on purpose.
 */
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import type { Clock, TimerHandle } from '../../device-drivers/transport/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { NotFoundError, ValidationFailedError } from '../common/errors';
import { CommandSigning } from './command-signing';
import { FieldRegistry } from './field-registry';
import { FIELD_CLOCK, type StockClip, type TerminalStock } from './field.tokens';
import { CODECS } from '../../firmware-protocols/terminal-modbus/registers';

/** The demo's seed: the same county, the same dead units, every start. */
export const DEMO_SEED = 1;

export interface DemoFaultPlan {
  /** A random live terminal dies this often… */
  terminalEveryMs: number;
  /** …and comes back after this long. */
  terminalDownMs: number;
  /** A random gateway goes down this often… */
  gatewayEveryMs: number;
  /** …and comes back after this long. */
  gatewayDownMs: number;
}

export const DEMO_FAULTS: DemoFaultPlan = {
  terminalEveryMs: 20_000,
  terminalDownMs: 60_000,
  gatewayEveryMs: 180_000,
  gatewayDownMs: 45_000,
};

@Injectable()
export class DemoNetwork implements OnApplicationBootstrap, BeforeApplicationShutdown, TerminalStock {
  private readonly log = new Logger('DemoNetwork');
  private sim: SimulatorProcess | null = null;
  private readonly timers = new Set<TimerHandle>();
  private random = DEMO_SEED;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FIELD_CLOCK) private readonly clock: Clock,
    private readonly signing: CommandSigning,
    private readonly registry: FieldRegistry,
  ) {}

  get running(): boolean {
    return this.sim !== null;
  }

  /** Simulated terminals that answer nothing from the start (the start summary says so). */
  get deadAtStart(): number {
    return this.sim?.ready.dead.length ?? 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demo || !this.config.field.enabled) return;
    const started = this.clock.now();
    this.sim = await SimulatorProcess.start({
      shape: 'county',
      seed: DEMO_SEED,
      basePort: this.config.field.demoSimulatorBasePort,
      trust: [this.signing.certificate],
      // a few terminals whose nightly self-test finds something, and a few with firmware that lacks it
      selfTestFindings: 0.01,
    });
    this.log.log(
      `demo: simulated county on 127.0.0.1:${this.sim.ports[0]}–${this.sim.ports[this.sim.ports.length - 1]} (${this.sim.ports.length} gateways, ${this.sim.ready.dead.length} terminals dead from the start) in ${this.clock.now() - started} ms`,
    );
    if (this.config.field.demoFaults) {
      this.every(DEMO_FAULTS.terminalEveryMs, () => this.randomTerminalFault());
      this.every(DEMO_FAULTS.gatewayEveryMs, () => this.randomGatewayFault());
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    const sim = this.sim;
    this.sim = null;
    await sim?.stop();
  }

  /** Kills (dead: answers nothing) or revives a terminal of the demo county, by registry id. */
  async setTerminalAlive(terminalId: number, alive: boolean): Promise<{ terminalId: number; alive: boolean }> {
    const sim = this.simulator();
    const t = await this.registry.terminal(terminalId);
    if (!t) throw new NotFoundError('terminal', terminalId);
    const index = await this.gatewayIndex(t.gatewayId);
    await sim.setTerminalAlive(index, t.unitId, alive);
    this.log.log(
      `demo: terminal ${terminalId} (gateway ${t.gatewayId} unit ${t.unitId}) ${alive ? 'revived' : 'killed'}`,
    );
    return { terminalId, alive };
  }

  /** Takes a whole simulated gateway down (its TCP server closes) or brings it back, by registry id. */
  async setGatewayAlive(gatewayId: number, alive: boolean): Promise<{ gatewayId: number; alive: boolean }> {
    const sim = this.simulator();
    const index = await this.gatewayIndex(gatewayId);
    if (alive) await sim.reviveGateway(index);
    else await sim.killGateway(index);
    this.log.log(`demo: gateway ${gatewayId} ${alive ? 'revived' : 'killed'}`);
    return { gatewayId, alive };
  }

  /**
   * The demo county stands for one whose terminals were provisioned when they were installed: each simulated terminal
   * is given the clip as stored, so alerts with a built-in tone sound at once instead of after a long first transfer.
   * Outside the demo (or with the field off) nothing is stocked and 0 is returned.
   */
  async stock(clips: readonly StockClip[]): Promise<number> {
    if (!this.sim || clips.length === 0) return 0;
    const sim = this.sim;
    const base = this.config.field.demoSimulatorBasePort;
    // the demo registry lists gateway i of the county on port basePort + i
    const indexOf = new Map(
      (await this.registry.enabledGateways())
        .filter((g) => g.host === '127.0.0.1' && (g.port ?? 0) >= base && (g.port ?? 0) < base + sim.ports.length)
        .map((g) => [g.id, (g.port ?? 0) - base]),
    );
    const byId = new Map((await this.registry.enabledTerminals()).map((t) => [t.id, t]));
    const entries = [];
    for (const c of clips) {
      const t = byId.get(c.terminalId);
      const codec = CODECS.find((k) => k.name === c.codec);
      const gateway = t && indexOf.get(t.gatewayId);
      if (!t || !codec || gateway === undefined) continue;
      entries.push({
        gateway,
        unit: t.unitId,
        clip: { clipId: c.clipId, size: c.size, codec: codec.code, digest: c.digest, durationMs: c.durationMs },
      });
    }
    return entries.length === 0 ? 0 : sim.installClips(entries);
  }

  /** The simulator's counters (frames, commands accepted and refused, plays started, …). */
  counters(): Promise<Record<string, number>> {
    return this.simulator().counters();
  }

  private simulator(): SimulatorProcess {
    if (!this.sim) throw new NotFoundError('demo simulator', 'running');
    return this.sim;
  }

  /** The demo registry lists gateway i of the county on port basePort + i. */
  private async gatewayIndex(gatewayId: number): Promise<number> {
    const g = await this.registry.gateway(gatewayId);
    if (!g) throw new NotFoundError('gateway', gatewayId);
    const index = (g.port ?? 0) - this.config.field.demoSimulatorBasePort;
    if (g.host !== '127.0.0.1' || index < 0 || index >= this.simulator().ports.length) {
      throw ValidationFailedError.field(
        'gatewayId',
        `gateway ${gatewayId} is not one of the simulated county's gateways`,
      );
    }
    return index;
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      const handle = this.clock.setTimeout(() => {
        this.timers.delete(handle);
        if (!this.sim) return;
        fn()
          .catch((e: unknown) => this.log.warn(`demo fault: ${(e as Error).message}`))
          .finally(tick);
      }, ms);
      this.timers.add(handle);
    };
    tick();
  }

  private later(ms: number, fn: () => Promise<unknown>): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (this.sim) fn().catch((e: unknown) => this.log.warn(`demo recovery: ${(e as Error).message}`));
    }, ms);
    this.timers.add(handle);
  }

  /** A small deterministic generator, so a demo run tells the same story each time. */
  private pick(n: number): number {
    this.random = (this.random * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.random % n;
  }

  private async randomTerminalFault(): Promise<void> {
    const terminals = await this.registry.enabledTerminals();
    if (terminals.length === 0) return;
    const t = terminals[this.pick(terminals.length)];
    await this.setTerminalAlive(t.id, false);
    this.later(DEMO_FAULTS.terminalDownMs, () => this.setTerminalAlive(t.id, true));
  }

  private async randomGatewayFault(): Promise<void> {
    const gateways = (await this.registry.enabledGateways()).filter((g) => g.host === '127.0.0.1');
    if (gateways.length === 0) return;
    const g = gateways[this.pick(gateways.length)];
    await this.setGatewayAlive(g.id, false);
    this.later(DEMO_FAULTS.gatewayDownMs, () => this.setGatewayAlive(g.id, true));
  }
}
