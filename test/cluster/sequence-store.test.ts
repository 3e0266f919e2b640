/**
 * The command sequence shared by the instances of a cluster (docs/cluster.md, "Signed commands across owners"), on
 * one database seen by three instances: blocks never overlap and only grow, racing reservations included; a takeover
 * moves an instance above every number reserved before it (so a terminal whose bus moved keeps accepting its
 * commands); takeovers asked for together share a reservation; an instance with another certificate is refused.
 */
import { SequenceStore, SigningCertificateMismatchError } from '../../src/cluster/sequence-store';
import { ClusterCommandSequence } from '../../src/field/cluster-command-sequence';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';

const SERIAL = '000000012345';

forEachDatabase('cluster command sequence', (database) => {
  let shared: SharedDatabase;
  let stores: SequenceStore[];
  beforeEach(async () => {
    shared = await sharedDatabase(database, 3);
    stores = shared.sources.map((s) => new SequenceStore(s));
  });
  afterEach(() => shared.close());

  const reservedUpTo = async (): Promise<number> => Number((await stores[0].read())?.reservedUpTo ?? 0);

  it('hands out blocks that never overlap and only grow, among racers too', async () => {
    const first = await stores[0].reserve(SERIAL, 0, 100);
    expect(first).toEqual({ first: 1, last: 100 });
    const racing = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3].reserve(SERIAL, 0, 100)));
    const all = [first, ...racing].sort((x, y) => x.first - y.first);
    all.forEach((b, i) => expect(b).toEqual({ first: 1 + i * 100, last: (i + 1) * 100 }));
    expect(await reservedUpTo()).toBe(1300);
  });

  it('starts above what an instance handed out when it ran alone', async () => {
    expect(await stores[0].reserve(SERIAL, 4_000, 100)).toEqual({ first: 4_001, last: 4_100 });
    expect(await stores[1].reserve(SERIAL, 0, 100)).toEqual({ first: 4_101, last: 4_200 });
  });

  it('refuses an instance that signs with another certificate, naming both', async () => {
    await stores[0].reserve(SERIAL, 0, 100);
    const refused = stores[1].reserve('000000099999', 0, 100);
    await expect(refused).rejects.toBeInstanceOf(SigningCertificateMismatchError);
    await expect(refused).rejects.toThrow(
      'this instance signs commands with certificate 000000099999, but the cluster signs with certificate 000000012345',
    );
    expect(await reservedUpTo()).toBe(100);
    // at start, as the configuration error that stops it
    await expect(ClusterCommandSequence.start(stores[2], '000000099999', 0, 100)).rejects.toThrow(
      /^DALABA_CLUSTER: this instance signs commands with certificate 000000099999, but the cluster signs with certificate 000000012345: every instance must hold the same <data dir>\/keys\/command-signing.json/,
    );
  });

  it('puts an instance that takes a bus over above every number the previous holder could have signed', async () => {
    const a = await ClusterCommandSequence.start(stores[0], SERIAL, 0, 100);
    const b = await ClusterCommandSequence.start(stores[1], SERIAL, 0, 100);
    // A signs far into its blocks (its background reservations included) while B is idle
    const signedByA: number[] = [];
    for (let i = 0; i < 40; i++) signedByA.push(a.take());
    await a.passTakeover(); // A, too, takes a bus over: a block above B's
    for (let i = 0; i < 30; i++) signedByA.push(a.take());
    // B was started before A's last block: without a takeover it would sign below it
    expect(b.take()).toBeLessThan(Math.max(...signedByA));
    await b.passTakeover();
    const next = b.take();
    expect(next).toBeGreaterThan(Math.max(...signedByA));
    expect(next).toBeGreaterThan((await reservedUpTo()) - 100);
  });

  it('reserves the next block in the background once half of one is used, and goes on from it', async () => {
    const seq = await ClusterCommandSequence.start(stores[0], SERIAL, 0, 10);
    const taken = [1, 2, 3, 4, 5, 6].map(() => seq.take());
    expect(taken).toEqual([1, 2, 3, 4, 5, 6]);
    await seq.passTakeover(); // waits behind nothing: a fresh block 21–30 (11–20 went to the background fetch)
    const after = [1, 2, 3, 4, 5, 6, 7].map(() => seq.take());
    expect(after[0]).toBeGreaterThan(10);
    expect(after).toEqual([...after].sort((x, y) => x - y));
    expect(new Set(after).size).toBe(after.length);
  });

  it('lets takeovers asked for together share one reservation', async () => {
    const seq = await ClusterCommandSequence.start(stores[0], SERIAL, 0, 100);
    const before = await reservedUpTo();
    await Promise.all(Array.from({ length: 10 }, () => seq.passTakeover()));
    expect(await reservedUpTo()).toBe(before + 100);
    expect(seq.take()).toBe(before + 1);
  });
});
