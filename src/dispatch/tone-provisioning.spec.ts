import { Subject } from 'rxjs';
import type { AppConfig } from '../config/config';
import { SystemClock } from '../common/clock';
import type { FieldCommands } from '../field/field-commands';
import { MonitoringService } from '../monitoring/monitoring.service';
import type { RegistryChange, RegistryEvents } from '../terminals/registry-events';
import type { ClipVariant } from './broadcast-run';
import type { ClipVariants } from './clip-variants';
import type { DispatchRepository } from './dispatch.repository';
import { ToneProvisioning } from './tone-provisioning';

const CHIME: ClipVariant = { clipId: 9, codec: 'opus', digest: 'ab', data: new Uint8Array(4), durationMs: 1000 };

/** Two Modbus buses (gateways 1 and 2, two terminals each) whose links come up after the start, as in the demo. */
function setUp() {
  const monitoring = new MonitoringService();
  const links = new Map<number, 'connecting' | 'connected'>([
    [1, 'connecting'],
    [2, 'connecting'],
  ]);
  const transfers: { gatewayId: number; terminalIds: number[] }[] = [];
  const opened = new Set<number>();
  const field = {
    connection: (g: number) => links.get(g) ?? null,
    openGateways: () =>
      [...opened].map((gatewayId) => ({ gatewayId, family: 'modbus', connection: links.get(gatewayId) })),
    settled: async () => undefined,
    transferClip: jest.fn(async (gatewayId: number, terminalIds: number[]) => {
      transfers.push({ gatewayId, terminalIds });
      return { stored: terminalIds, alreadyStored: [], failed: [], framesSent: { broadcast: 1, unicast: 0 } };
    }),
  } as unknown as FieldCommands;
  const rows = [
    { id: 11, gatewayId: 1, areaCode: '341523100000' },
    { id: 12, gatewayId: 1, areaCode: '341523100000' },
    { id: 21, gatewayId: 2, areaCode: '341523101000' },
    { id: 22, gatewayId: 2, areaCode: '341523101000' },
  ];
  const repo = { enabledTerminals: async () => rows } as unknown as DispatchRepository;
  const variants = {
    forTerminals: async (_tone: string, ids: number[]) => [{ terminalIds: ids, clip: CHIME, error: null }],
  } as unknown as ClipVariants;
  const registry = { changes: new Subject<RegistryChange>() } as unknown as RegistryEvents;
  const config = {
    field: { enabled: true },
    dispatch: { provisionTones: ['tone-chime'], provisionRetryMs: 3_600_000 },
  } as unknown as AppConfig;
  const provisioning = new ToneProvisioning(config, field, repo, variants, monitoring, registry, new SystemClock());
  /** What FieldBuses does when it opens a bus, then its link coming up. */
  const open = (gatewayId: number): void => {
    opened.add(gatewayId);
    monitoring.trackGateway({ gatewayId, areaCode: rows.find((r) => r.gatewayId === gatewayId)!.areaCode }, 0);
    for (const r of rows.filter((x) => x.gatewayId === gatewayId))
      monitoring.trackTerminal({ terminalId: r.id, gatewayId, areaCode: r.areaCode }, 0);
  };
  const connect = (gatewayId: number): void => {
    links.set(gatewayId, 'connected');
    monitoring.gatewayConnection(gatewayId, 'connected', 1);
  };
  return { provisioning, transfers, open, connect };
}

describe('ToneProvisioning', () => {
  it('provisions each bus as its link comes up, without waiting for the next pass', async () => {
    const { provisioning, transfers, open, connect } = setUp();
    // the pass at start runs before any bus is open: it covers no terminal
    provisioning.onApplicationBootstrap();
    await provisioning.settled();
    expect(transfers).toEqual([]);

    open(1);
    open(2);
    connect(1);
    await provisioning.settled();
    expect(transfers).toEqual([{ gatewayId: 1, terminalIds: [11, 12] }]);

    connect(2);
    await provisioning.settled();
    expect(transfers).toEqual([
      { gatewayId: 1, terminalIds: [11, 12] },
      { gatewayId: 2, terminalIds: [21, 22] },
    ]);
    // a later pass finds both buses done: nothing is sent twice
    await provisioning.runPass();
    expect(transfers).toHaveLength(2);
    provisioning.onModuleDestroy();
  });
});
