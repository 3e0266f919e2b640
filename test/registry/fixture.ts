/** A small county through the API: two towns with two villages each, one gateway per village, units 1..n. */
import type { TestApp } from '../support/app';

export const COUNTY = '341523000000';
export const TOWN_A = '341523100000';
export const TOWN_B = '341523101000';
export const VILLAGES = ['341523100201', '341523100202', '341523101201', '341523101202'];

export interface Fixture {
  gateways: Record<string, { id: number; resourceCode: string }>;
}

export async function buildCounty(t: TestApp, admin: string, terminalsPerVillage = 3): Promise<Fixture> {
  const post = async (path: string, body: object) => {
    const res = await t.http.post(path).set(t.auth(admin)).send(body);
    if (res.status !== 201) throw new Error(`${path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: number; resourceCode: string };
  };
  await post('/api/regions', { code: COUNTY, name: '舒城县' });
  await post('/api/regions', { code: TOWN_A, name: '城关镇' });
  await post('/api/regions', { code: TOWN_B, name: '干汊河镇' });
  const gateways: Fixture['gateways'] = {};
  for (const [i, v] of VILLAGES.entries()) {
    await post('/api/regions', { code: v, name: `村${i}` });
    gateways[v] = await post('/api/gateways', {
      name: `网关${i}`,
      areaCode: v,
      kind: 'modbus-tcp',
      host: '127.0.0.1',
      port: 15020 + i,
    });
    for (let u = 1; u <= terminalsPerVillage; u++) {
      await post('/api/terminals', {
        name: `村${i}${u}号喇叭`,
        areaCode: v,
        gatewayId: gateways[v].id,
        unitId: u,
        model: 'DLB-T200',
      });
    }
  }
  return { gateways };
}
