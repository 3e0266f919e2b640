/**
 * A small simulated county for dispatch suites: two villages, four terminals each, Modbus TCP with line timing, the
 * terminals trusting the server's own signing certificate; regions, gateways and terminals registered through the API.
 */
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import type { DispatchOrder } from '../../src/dispatch/dispatch-order';
import { CommandSigning } from '../../src/field/command-signing';
import type { TestApp } from '../support/app';
import { registerSimulatedCounty, type RegisteredCounty } from '../support/county';

export const COUNTY = '341523000000';
export const TOWN = '341523100000';
export const UNITS = [1, 2, 3, 4];

export interface County extends RegisteredCounty {
  network: SimulatedNetwork;
}

/** `olderEveryNth`: every n-th unit is a terminal without a held schedule (startCountyNetwork). */
export async function registerCounty(
  t: TestApp,
  admin: string,
  opts: { olderEveryNth?: number } = {},
): Promise<County> {
  const county = referenceCounty();
  const shape = { ...county, gateways: county.gateways.slice(0, 2) };
  const { network } = await startCountyNetwork({
    shape,
    clock: systemClock,
    seed: 7,
    deadFraction: 0,
    noise: 0,
    certificates: [t.app.get(CommandSigning).certificate],
    olderEveryNth: opts.olderEveryNth,
  });
  const registered = await registerSimulatedCounty(t, admin, network, {
    regions: [
      { code: COUNTY, name: '舒城县' },
      { code: TOWN, name: '城关镇' },
    ],
    units: UNITS,
    requestTimeoutMs: 1000,
  });
  return { network, ...registered };
}

let sequence = 1;

/** A DispatchOrder as the alerts service would give it. */
export function order(terminalIds: number[], over: Partial<DispatchOrder> = {}): DispatchOrder {
  const n = sequence++;
  const now = Date.now();
  return {
    alertId: 1000 + n,
    broadcastId: `43415230000000101010101${'20261201'}${String(n).padStart(4, '0')}`,
    title: `测试播发 ${n}`,
    eventType: '11B03',
    severity: 2,
    messageType: 'real',
    broadcastClass: 4,
    priority: 2,
    clipId: 'tone-chime',
    repeat: 1,
    volume: 60,
    startAt: new Date(now),
    endAt: new Date(now + 120_000),
    terminalIds,
    emergency: true,
    userId: 1,
    ...over,
  };
}
