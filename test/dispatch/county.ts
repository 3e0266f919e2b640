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

export const COUNTY = '341523000000';
export const TOWN = '341523100000';
export const UNITS = [1, 2, 3, 4];

export interface County {
  network: SimulatedNetwork;
  gatewayIds: number[];
  /** terminal ids by [gateway index][unit] */
  terminalIds: Record<number, number>[];
  villages: string[];
}

export async function startNetwork(t: TestApp): Promise<{ network: SimulatedNetwork; shape: ReturnType<typeof referenceCounty> }> {
  const county = referenceCounty();
  const shape = { ...county, gateways: county.gateways.slice(0, 2) };
  const { network } = await startCountyNetwork({ shape, clock: systemClock, seed: 7, deadFraction: 0, noise: 0, certificates: [t.app.get(CommandSigning).certificate] });
  return { network, shape };
}

export async function registerCounty(t: TestApp, admin: string): Promise<County> {
  const { network, shape } = await startNetwork(t);
  const post = async (path: string, body: object): Promise<{ id: number }> => {
    const res = await t.http.post(path).set(t.auth(admin)).send(body);
    if (res.status !== 201) throw new Error(`${path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: number };
  };
  await post('/api/regions', { code: COUNTY, name: '舒城县' });
  await post('/api/regions', { code: TOWN, name: '城关镇' });
  const gatewayIds: number[] = [];
  const terminalIds: Record<number, number>[] = [];
  const villages: string[] = [];
  for (const [i, g] of shape.gateways.entries()) {
    villages.push(g.areaCode);
    await post('/api/regions', { code: g.areaCode, name: `村${i}` });
    const { id } = await post('/api/gateways', {
      name: g.name, areaCode: g.areaCode, kind: 'modbus-tcp', host: '127.0.0.1', port: network.gateways[i].port, baudRate: 9600, parity: 'even',
      dataBits: 8, stopBits: 1, requestTimeoutMs: 1000, turnaroundMs: 10, broadcastDelayMs: 50,
    });
    gatewayIds.push(id);
    terminalIds.push({});
    for (const u of UNITS) terminalIds[i][u] = (await post('/api/terminals', { name: `${g.name}${u}号`, areaCode: g.areaCode, gatewayId: id, unitId: u })).id;
  }
  return { network, gatewayIds, terminalIds, villages };
}

let sequence = 1;

/** A DispatchOrder as the alerts service would give it. */
export function order(terminalIds: number[], over: Partial<DispatchOrder> = {}): DispatchOrder {
  const n = sequence++;
  const now = Date.now();
  return {
    alertId: 1000 + n, broadcastId: `43415230000000101010101${'20261201'}${String(n).padStart(4, '0')}`, title: `测试播发 ${n}`, eventType: '11B03', severity: 2,
    messageType: 'real', broadcastClass: 4, priority: 2, clipId: 'tone-chime', repeat: 1, volume: 60, startAt: new Date(now), endAt: new Date(now + 120_000),
    terminalIds, emergency: true, userId: 1, ...over,
  };
}
