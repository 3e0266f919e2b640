import { busKey, type LeaseManager } from '../cluster/lease-manager';
import { Clock, type TimerHandle } from '../common/clock';
import type { FieldCommands } from '../field/field-commands';
import type { LiveStatus } from '../monitoring/status-store';
import type { BroadcastEntity } from './broadcast.entities';
import type { BroadcastRun } from './broadcast-run';
import type { DispatchRepository } from './dispatch.repository';
import type { DispatchRequestEntity } from './dispatch-request.entity';
import { DispatchShards } from './dispatch-shards';
import { HolderRequests, REQUEST_TTL_MS } from './holder-requests';

class Manual extends Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  setTimeout(): TimerHandle {
    return { cancel: () => undefined };
  }
}

const online = { online: true, reading: { state: 0 } } as unknown as LiveStatus;

/** One instance (`me`, holding buses 1 and 2 at epochs 5 and 7) over a request table in memory; bus 3 is ctl-b's. */
function fakes() {
  const clock = new Manual();
  const table: DispatchRequestEntity[] = [];
  let nextId = 1;
  const notStarted = [
    { terminalId: 11, gatewayId: 1 },
    { terminalId: 31, gatewayId: 3 },
    { terminalId: 32, gatewayId: 3 },
    { terminalId: 41, gatewayId: null },
    { terminalId: 51, gatewayId: 5 },
  ];
  let broadcast: Partial<BroadcastEntity> | null = {
    broadcastId: 'b1',
    state: 'running',
    cancelRequestedAt: null,
    endAt: new Date(clock.t + 60_000),
  };
  const repo = {
    notStarted: () => Promise.resolve(notStarted),
    startedBuses: () => Promise.resolve([1, 3]),
    requests: () => Promise.resolve([...table]),
    requestsOf: (broadcastId: string, kind: string) =>
      Promise.resolve(table.filter((r) => r.broadcastId === broadcastId && r.kind === kind)),
    addRequests: (rows: Omit<DispatchRequestEntity, 'id'>[]) => {
      for (const r of rows) table.push({ ...r, id: nextId++ });
      return Promise.resolve();
    },
    deleteRequests: (ids: readonly number[]) => {
      const left = table.filter((r) => !ids.includes(r.id));
      table.splice(0, table.length, ...left);
      return Promise.resolve();
    },
    findBroadcast: () => Promise.resolve(broadcast),
    ledgerRows: () => Promise.resolve([{ terminalId: 11, startSentAt: new Date(clock.t) }]),
  } as unknown as DispatchRepository;
  const held = new Map([
    [1, 5],
    [2, 7],
  ]);
  const leases = {
    clustered: true,
    options: { instanceId: 'ctl-a' },
    holds: (key: string) => held.has(Number(key.slice(4))),
    epochOf: (key: string) => held.get(Number(key.slice(4))) ?? null,
    ownerOf: (key: string) => (held.has(Number(key.slice(4))) ? 'ctl-a' : key === busKey(3) ? 'ctl-b' : null),
  } as unknown as LeaseManager;
  const shards = new DispatchShards(leases, repo);
  const sent: { gatewayId: number; code: string }[] = [];
  const field = {
    locate: (id: number) => ({ gatewayId: Math.floor(id / 10) }),
    commandBus: (gatewayId: number, command: { code: string }) => (
      sent.push({ gatewayId, code: command.code }),
      Promise.resolve({ sequence: 1 })
    ),
    readStatus: () => Promise.reject(new Error('no answer')),
  } as unknown as FieldCommands;
  const claimed: Map<number, number>[] = [];
  const statuses = new Map<number, LiveStatus>();
  const requests = new HolderRequests(repo, shards, field, leases, clock, {
    status: (id) => statuses.get(id),
    startShard: (_id, buses) => claimed.push(buses),
    halted: () => false,
  });
  /** A run here of broadcast b1 on bus 1, whose late starts are recorded and end when `finish` is called. */
  const runOnBus1 = () => {
    const asked: number[][] = [];
    let finish = (): void => undefined;
    const run = {
      broadcastId: 'b1',
      broadcast: { priority: 6, broadcastId: 'b1' },
      ledger: { ofTerminal: () => undefined, rows: () => [] },
      startLate: (ids: number[]) => {
        asked.push(ids);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    } as unknown as BroadcastRun;
    const shard = { broadcastId: 'b1', buses: new Map([[1, 5]]), run: null, done: Promise.resolve() };
    shards.add(shard);
    shards.attach(shard, run);
    return { asked, finish: () => finish() };
  };
  const setBroadcast = (b: Partial<BroadcastEntity> | null): void => void (broadcast = b);
  return { clock, table, held, requests, runOnBus1, claimed, statuses, sent, setBroadcast };
}

const open = (): boolean => true;

describe('HolderRequests', () => {
  it('asks a late start once per terminal on a bus some instance holds, and not again while one waits', async () => {
    const { requests, table } = fakes();
    await requests.askLateStart('b1', [31, 41, 51, 99]);
    await requests.askLateStart('b1', [31, 32]);
    expect(table.map((r) => [r.kind, r.gatewayId, r.terminalId, r.requestedBy])).toEqual([
      ['start-late', 3, 31, 'ctl-a'],
      ['start-late', 3, 32, 'ctl-a'],
    ]);
  });

  it('serves the late starts of its buses once, the terminals its monitoring shows ready, and deletes them after', async () => {
    const { requests, table, runOnBus1, statuses } = fakes();
    const run = runOnBus1();
    statuses.set(11, online);
    table.push(
      { id: 1, kind: 'start-late', broadcastId: 'b1', gatewayId: 1, terminalId: 11 } as DispatchRequestEntity,
      { id: 2, kind: 'start-late', broadcastId: 'b1', gatewayId: 1, terminalId: 12 } as DispatchRequestEntity,
      { id: 3, kind: 'start-late', broadcastId: 'b1', gatewayId: 3, terminalId: 31 } as DispatchRequestEntity,
    );
    for (const r of table) r.requestedAt = new Date(1_000_000);
    await requests.serve(open);
    await requests.serve(open); // the first is still under way: not taken again
    expect(run.asked).toEqual([[11]]);
    run.finish();
    await requests.settled();
    // bus 3 is another instance's: its request stays for it
    expect(table.map((r) => r.id)).toEqual([3]);
  });

  it('leaves a request whose bus was lost during its action to the next holder', async () => {
    const { requests, table, runOnBus1, statuses, held } = fakes();
    const run = runOnBus1();
    statuses.set(11, online);
    table.push({
      id: 1,
      kind: 'start-late',
      broadcastId: 'b1',
      gatewayId: 1,
      terminalId: 11,
      requestedAt: new Date(1_000_000),
    } as DispatchRequestEntity);
    await requests.serve(open);
    held.delete(1);
    run.finish();
    await requests.settled();
    expect(table.map((r) => r.id)).toEqual([1]);
  });

  it('drops the requests nobody took in time', async () => {
    const { requests, table, clock } = fakes();
    await requests.askLateStart('b1', [31]);
    clock.t += REQUEST_TTL_MS;
    await requests.serve(open);
    expect(table).toEqual([]);
  });

  it('runs a held bus no run drives for the broadcast, then serves its late starts; drops them once it is over', async () => {
    const { requests, table, claimed, setBroadcast } = fakes();
    table.push({
      id: 1,
      kind: 'start-late',
      broadcastId: 'b1',
      gatewayId: 2,
      terminalId: 21,
      requestedAt: new Date(1_000_000),
    } as DispatchRequestEntity);
    await requests.serve(open);
    expect(claimed).toEqual([new Map([[2, 7]])]);
    expect(table).toHaveLength(1);
    setBroadcast({ broadcastId: 'b1', state: 'completed' });
    await requests.serve(open);
    expect(table).toEqual([]);
  });

  it('asks a stop of the other holders’ buses the broadcast started on, and each holder stops its own', async () => {
    const { requests, table, sent, setBroadcast } = fakes();
    await requests.askStop('b1');
    expect(table.map((r) => [r.kind, r.gatewayId, r.terminalId])).toEqual([['stop', 3, null]]);
    // as bus 1's holder, asked by another
    table.push({ ...table[0], id: 9, gatewayId: 1 });
    setBroadcast({ broadcastId: 'b1', priority: 6, broadcastClass: 5 });
    await requests.serve(open);
    await requests.settled();
    expect(sent).toEqual([{ gatewayId: 1, code: 'stop' }]);
    expect(table.map((r) => r.gatewayId)).toEqual([3]);
  });
});
