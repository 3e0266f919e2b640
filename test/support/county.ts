/**
 * Registers a running simulated county (startCountyNetwork) with a test server through the API, as an administrator
 * would: the given regions above the villages first, then for each of the network's gateways its village (`村<i>`),
 * the gateway at the loopback port it listens on (Modbus TCP, 9,600 baud 8E1) and one terminal per given unit.
 *
 *   const { terminalIds } = await registerSimulatedCounty(t, admin, network, { regions, units: [1, 2, 3, 4], requestTimeoutMs: 150 });
 *   terminalIds[0][2]; // the terminal at unit 2 of the first gateway
 */
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import type { TestApp } from './app';

export interface CountyRegistration {
  /** The regions registered before the villages (county, towns), parents before children. */
  regions: { code: string; name: string }[];
  /** The units registered as terminals on every gateway. */
  units: number[];
  /** The server's request timeout for every gateway. */
  requestTimeoutMs: number;
}

export interface RegisteredCounty {
  /** gateway ids by gateway index */
  gatewayIds: number[];
  /** terminal ids by [gateway index][unit] */
  terminalIds: Record<number, number>[];
  /** village area codes by gateway index */
  villages: string[];
}

export async function registerSimulatedCounty(
  t: TestApp,
  admin: string,
  network: SimulatedNetwork,
  registration: CountyRegistration,
): Promise<RegisteredCounty> {
  const post = async (path: string, body: object): Promise<{ id: number }> => {
    const res = await t.http.post(path).set(t.auth(admin)).send(body);
    if (res.status !== 201) throw new Error(`${path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: number };
  };
  for (const region of registration.regions) await post('/api/regions', region);
  const county: RegisteredCounty = { gatewayIds: [], terminalIds: [], villages: [] };
  for (const [i, { shape: g, port }] of network.gateways.entries()) {
    county.villages.push(g.areaCode);
    await post('/api/regions', { code: g.areaCode, name: `村${i}` });
    const { id } = await post('/api/gateways', {
      name: g.name,
      areaCode: g.areaCode,
      kind: 'modbus-tcp',
      host: '127.0.0.1',
      port,
      baudRate: 9600,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
      requestTimeoutMs: registration.requestTimeoutMs,
      turnaroundMs: 10,
      broadcastDelayMs: 50,
    });
    county.gatewayIds.push(id);
    county.terminalIds.push({});
    for (const u of registration.units)
      county.terminalIds[i][u] = (
        await post('/api/terminals', { name: `${g.name}${u}号`, areaCode: g.areaCode, gatewayId: id, unitId: u })
      ).id;
  }
  return county;
}
