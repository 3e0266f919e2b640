/**
 * A county platform under test with the simulated province registered as its EBD sender (through the API, as an
 * administrator would), and the province trusting the county's signing key.
 */
import { Clock } from '../../src/common/clock';
import { UpstreamSimulator } from '../../src/upstream/upstream-simulator';
import type { TestApp } from '../support/app';

export async function connectProvince(
  t: TestApp,
  admin: string,
  opts: { dispatchSeverities?: number[]; port?: number } = {},
): Promise<{ sim: UpstreamSimulator; senderId: number }> {
  const sim = await UpstreamSimulator.start(
    {
      target: `${t.baseUrl}/api/upstream/ebd`,
      targetEbrId: t.config.platformResourceCode,
      port: opts.port,
    },
    t.app.get(Clock),
  );
  const cert = await t.http.get('/api/upstream/certificate').set(t.auth(admin)).expect(200);
  sim.trust(cert.body.certSn, cert.body.publicKey);
  const res = await t.http
    .post('/api/upstream/senders')
    .set(t.auth(admin))
    .send({
      kind: 'ebd',
      code: sim.ebrId,
      name: sim.name,
      certSn: sim.certSn,
      publicKey: sim.publicKey,
      url: sim.url,
      dispatchSeverities: opts.dispatchSeverities ?? [1],
    });
  if (res.status !== 201) throw new Error(`sender not registered: ${res.status} ${JSON.stringify(res.body)}`);
  return { sim, senderId: res.body.id };
}
