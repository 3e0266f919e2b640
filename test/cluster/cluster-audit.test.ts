/**
 * One audit chain, two instances appending to it at once (docs/cluster.md, "One audit chain"): every audited write
 * made through either instance succeeds, and the chain stays one line, verified from both sides.
 */
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { clusterEnv } from './support/cluster';

jest.setTimeout(120_000);

const env = (id: string): Record<string, string> =>
  clusterEnv(id, {
    DALABA_FIELD: 'off',
    // every instance of a cluster keys the chain with the same secret (docs/cluster.md, "Running several instances")
    DALABA_AUDIT_KEY: 'audit-key-of-the-test-cluster-0123456789',
  });

describeWith(['mysql'], 'one audit chain written by two instances at once [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
    peer?.remove();
    await a?.db.drop();
  });

  it('accepts every audited write of both instances and keeps the chain unbroken', async () => {
    a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    const [adminA, adminB] = [await a.adminToken(), await b.adminToken()];
    await a.http.post('/api/regions').set(a.auth(adminA)).send({ code: '341523000000', name: '舒城县' }).expect(201);

    const towns = Array.from({ length: 40 }, (_, i) => ({
      code: `341523${String(100 + i).padStart(3, '0')}000`,
      name: `镇${i}`,
    }));
    const results = await Promise.all(
      towns.map((town, i) => {
        const t = i % 2 === 0 ? a! : b!;
        return t.http
          .post('/api/regions')
          .set(t.auth(i % 2 === 0 ? adminA : adminB))
          .send(town);
      }),
    );
    expect(results.filter((r) => r.status !== 201).map((r) => [r.status, r.body as unknown])).toEqual([]);

    for (const [t, token] of [
      [a, adminA],
      [b, adminB],
    ] as const) {
      const verify = await t.http.get('/api/audit/verify').set(t.auth(token)).expect(200);
      expect(verify.body).toMatchObject({ ok: true });
    }
  });
});
