import { busKey, type LeaseManager } from '../cluster/lease-manager';
import { StaleLeaseError } from '../cluster/lease-fence';
import { FieldError } from '../field/field-commands';
import type { BroadcastRun } from './broadcast-run';
import type { BusLink } from './bus-plan';
import { DeliveryLedger, type LedgerRow } from './delivery-ledger';
import type { DeliveryUpdate } from './delivery-ledger';
import type { DispatchRepository } from './dispatch.repository';
import { DispatchShards, type Shard } from './dispatch-shards';

const row = (id: number, gatewayId: number | null): LedgerRow => ({
  id,
  terminalId: 100 + id,
  areaCode: '341523100001',
  gatewayId,
  unit: id,
  state: 'pending',
  reason: null,
});

function fakes(clustered: boolean, stale: Set<number> = new Set()) {
  const writes: { key: string | null; epoch: number | null; updates: readonly DeliveryUpdate[] }[] = [];
  const repo = {
    write: (updates: readonly DeliveryUpdate[]) => (
      writes.push({ key: null, epoch: null, updates }),
      Promise.resolve()
    ),
    writeFenced: (key: string, epoch: number, updates: readonly DeliveryUpdate[]) => {
      if (stale.has(Number(key.slice(4)))) return Promise.reject(new StaleLeaseError(key, epoch));
      writes.push({ key, epoch, updates });
      return Promise.resolve();
    },
  } as unknown as DispatchRepository;
  const held = new Map([
    [1, 5],
    [2, 7],
  ]);
  const leases = {
    clustered,
    epochOf: (key: string) => held.get(Number(key.slice(4))) ?? null,
  } as unknown as LeaseManager;
  return { shards: new DispatchShards(leases, repo), writes };
}

function runOver(rows: LedgerRow[]): BroadcastRun {
  return { broadcastId: 'b1', ledger: new DeliveryLedger(rows) } as unknown as BroadcastRun;
}

describe('DispatchShards', () => {
  it('not clustered: one write of every update, every change passed on', async () => {
    const { shards, writes } = fakes(false);
    const run = runOver([row(1, 1), row(2, 2)]);
    const shard: Shard = { broadcastId: 'b1', buses: null, run: null, done: Promise.resolve() };
    shards.add(shard);
    shards.attach(shard, run);
    run.ledger.move([1, 2], 'ready');
    const { changes, updates } = run.ledger.take();
    expect(await shards.write(run, changes, updates)).toHaveLength(2);
    expect(writes).toEqual([{ key: null, epoch: null, updates }]);
  });

  it('clustered: each bus written fenced at the epoch the shard took it with; a refused bus leaves the shard', async () => {
    const { shards, writes } = fakes(true, new Set([2]));
    const run = runOver([row(1, 1), row(2, 2), row(3, 1)]);
    const buses = shards.claimable('b1', [1, 2, 3, null], () => true);
    // bus 3 is not held here, a terminal on no gateway belongs to no shard
    expect([...buses]).toEqual([
      [1, 5],
      [2, 7],
    ]);
    const shard: Shard = { broadcastId: 'b1', buses, run: null, done: Promise.resolve() };
    shards.add(shard);
    shards.attach(shard, run);
    expect(shards.covered('b1')).toEqual(new Set([1, 2]));
    expect(shards.claimable('b1', [1, 2], () => true).size).toBe(0);

    run.ledger.move([1, 2, 3], 'ready');
    const { changes, updates } = run.ledger.take();
    const written = await shards.write(run, changes, updates);
    expect(written.map((c) => c.deliveryId).sort()).toEqual([1, 3]);
    expect(writes).toEqual([
      { key: busKey(1), epoch: 5, updates: [{ ids: [1, 3], set: { state: 'ready', reason: null } }] },
    ]);
    expect(shards.refused).toBe(1);
    expect([...buses.keys()]).toEqual([1]);
    // the bus refused can be taken by a new shard (a regained lease), never continued by this one
    expect([...shards.claimable('b1', [2], () => true)]).toEqual([[2, 7]]);
    expect(shards.runOf('b1', 102)).toBeUndefined();
    expect(shards.runOf('b1', 101)).toBe(run);
  });

  it('a shard’s link to a bus it lost refuses before anything is sent', async () => {
    const { shards } = fakes(true);
    const buses = new Map([[1, 5]]);
    const shard: Shard = { broadcastId: 'b1', buses, run: null, done: Promise.resolve() };
    shards.add(shard);
    const sent: string[] = [];
    const link: BusLink = {
      id: 'gateway 1',
      transfer: () => (sent.push('transfer'), Promise.resolve({ stored: [], alreadyStored: [], failed: [] })),
      commandAll: () => (sent.push('all'), Promise.resolve(1)),
      command: () => (sent.push('one'), Promise.resolve(2)),
      status: () => Promise.reject(new Error('not used')),
    };
    const guarded = shards.guard(shard, 1, link);
    await expect(guarded.commandAll({ code: 'stop', broadcastId: 'b1', priority: 1 }, 'command')).resolves.toBe(1);
    shards.drop(1);
    const refused = guarded.command(3, { code: 'stop', broadcastId: 'b1', priority: 1 }, 'command');
    await expect(refused).rejects.toBeInstanceOf(FieldError);
    await expect(refused).rejects.toThrow(
      /gateway 1: its lease has moved, this run of broadcast b1 no longer drives it/,
    );
    expect(sent).toEqual(['all']);
  });
});
