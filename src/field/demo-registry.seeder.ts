/**
 * Demo only (`--demo`): registers the reference county of device-drivers/simulator/county-shape.ts — 25 towns,
 * 280 villages, 280 Modbus TCP gateways on loopback ports and 3,300 terminals — once: a restart finds the county
 * registered and leaves everything as it is. One transaction, chunked inserts, one summarising audit entry.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { referenceCounty, type ShapeGateway, type ShapeTerminal } from '../../device-drivers/simulator/county-shape';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../auth/auth-user';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions } from '../database/transactions';
import { RegionsRepository } from '../regions/regions.repository';
import { GatewaysRepository } from '../terminals/gateways.repository';
import { RegistryEvents } from '../terminals/registry-events';
import { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import { TerminalsRepository } from '../terminals/terminals.repository';
import { Clock } from '../common/clock';

export interface SeedResult {
  seeded: boolean;
  areas: number;
  gateways: number;
  terminals: number;
}

@Injectable()
export class DemoRegistrySeeder implements OnApplicationBootstrap {
  private readonly log = new Logger(DemoRegistrySeeder.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly regions: RegionsRepository,
    private readonly gateways: GatewaysRepository,
    private readonly terminals: TerminalsRepository,
    private readonly registryEvents: RegistryEvents,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demo) return;
    const started = this.clock.now();
    const result = await this.seed();
    if (result.seeded)
      this.log.log(
        `demo registry seeded in ${this.clock.now() - started} ms: ${result.areas} areas, ${result.gateways} gateways, ${result.terminals} terminals`,
      );
  }

  /** Seeds the reference county unless its county area is already registered; the field hears of the new gateways. */
  async seed(): Promise<SeedResult> {
    const added: GatewayEntity[] = [];
    const result = await this.insert(added);
    this.registryEvents.emit(added.map((gateway) => ({ kind: 'gateway', change: 'added', gateway })));
    return result;
  }

  private insert(added: GatewayEntity[]): Promise<SeedResult> {
    const shape = referenceCounty({ basePort: this.config.field.demoSimulatorBasePort });
    return this.transactions.run(async (tx) => {
      if (await this.regions.findByCode(shape.areaCode, tx))
        return { seeded: false, areas: 0, gateways: 0, terminals: 0 };
      const now = this.clock.date();
      await this.regions.insertMany(
        tx,
        shape.areas.map((a) => ({
          code: a.areaCode,
          name: a.name,
          level: a.level,
          parentCode: a.parentCode,
          createdAt: now,
          updatedAt: now,
        })),
      );
      const gateways = await this.gateways.insertMany(
        tx,
        shape.gateways.map((g) => gatewayRow(g, now)),
      );
      added.push(...gateways);
      const idOf = new Map(gateways.map((g) => [g.resourceCode, g.id]));
      const terminals = shape.gateways.flatMap((g) =>
        g.terminals.map((t) => terminalRow(t, idOf.get(g.resourceCode) ?? 0, now)),
      );
      await this.terminals.insertMany(tx, terminals);
      const result = {
        seeded: true,
        areas: shape.areas.length,
        gateways: gateways.length,
        terminals: terminals.length,
      };
      await this.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: 'registry.demo_seed',
          entityType: 'region',
          entityId: shape.areaCode,
          after: { county: shape.name, ...result },
        },
        tx,
      );
      return result;
    });
  }
}

/** A gateway of the simulated county as the registry keeps it. */
function gatewayRow(g: ShapeGateway, now: Date): GatewayEntity {
  return Object.assign(new GatewayEntity(), {
    name: g.name,
    resourceCode: g.resourceCode,
    areaCode: g.areaCode,
    kind: g.kind,
    host: g.host,
    port: g.port,
    serialPath: null,
    baudRate: g.baudRate,
    parity: g.parity,
    dataBits: g.dataBits,
    stopBits: g.stopBits,
    requestTimeoutMs: g.requestTimeoutMs,
    turnaroundMs: g.turnaroundMs,
    broadcastDelayMs: g.broadcastDelayMs,
    enabled: true,
    createdAt: now,
    updatedAt: now,
  });
}

/** A terminal of the simulated county as the registry keeps it, on the gateway row `gatewayId`. */
function terminalRow(t: ShapeTerminal, gatewayId: number, now: Date): TerminalEntity {
  return Object.assign(new TerminalEntity(), {
    name: t.name,
    resourceCode: t.resourceCode,
    areaCode: t.areaCode,
    gatewayId,
    unitId: t.unitId,
    model: t.model,
    serialNumber: t.serialNumber,
    capabilities: null,
    latitude: t.latitude,
    longitude: t.longitude,
    address: null,
    speakerPowerW: null,
    installedOn: null,
    enabled: true,
    notes: null,
    createdAt: now,
    updatedAt: now,
  });
}
