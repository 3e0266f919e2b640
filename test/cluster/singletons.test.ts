/**
 * Singleton work on two instances of one database and one (manual) time line (docs/cluster.md, "Singletons"): the
 * upstream outbox and the relay planner run on the instance holding their lease only, and when that instance stops
 * (cleanly, or by no longer renewing) the other takes the work over from the database: the report queued is sent
 * once, the slot on air is followed and ended once, the slot not planned yet is planned once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { generateKeyPair } from '../../firmware-protocols/signing';
import { AlertsRepository } from '../../src/alerts/alerts.repository';
import { LeaseManager } from '../../src/cluster/lease-manager';
import { SingletonLease } from '../../src/cluster/singleton-lease';
import type { AppConfig } from '../../src/config/config';
import { Transactions } from '../../src/database/transactions';
import type { DispatchOrder } from '../../src/dispatch/dispatch-order';
import type { DispatchService } from '../../src/dispatch/dispatch.service';
import type { DayPlanService } from '../../src/relay/day-plan.service';
import type { AsRunRecorder } from '../../src/relay/planner/as-run-recorder';
import { RelayPlanner } from '../../src/relay/planner/relay-planner.service';
import { SlotRunEntity } from '../../src/relay/planner/slot-run.entity';
import { SlotRunRepository } from '../../src/relay/planner/slot-run.repository';
import type { RelayChanges } from '../../src/relay/relay-view';
import type { RelayRepository } from '../../src/relay/relay.repository';
import { PacketStore } from '../../src/upstream/packet-store';
import { OUTBOX_CLAIM_MS, UpstreamOutbox } from '../../src/upstream/upstream-outbox';
import { UpstreamSigning } from '../../src/upstream/upstream-signing';
import { UpstreamSimulator } from '../../src/upstream/upstream-simulator';
import { UpstreamOutboxEntity, UpstreamSenderEntity } from '../../src/upstream/upstream.entities';
import { UpstreamRepository } from '../../src/upstream/upstream.repository';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';
import { InstanceClock, ManualClock } from './manual-clock';

const LEASE = 30_000;
const T0 = Date.parse('2026-12-07T02:00:00Z');
const COUNTY = '43415230000000101010101';
const IDS = ['A', 'B'];

forEachDatabase('singleton work', (database) => {
  let shared: SharedDatabase;
  let clock: ManualClock;
  let views: InstanceClock[];
  let managers: LeaseManager[];
  const closers: (() => unknown)[] = [];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    shared = await sharedDatabase(database, 2);
    clock = new ManualClock(T0);
    views = IDS.map(() => new InstanceClock(clock));
    managers = IDS.map(
      (id, i) =>
        new LeaseManager(shared.stores[i], views[i], { clustered: true, instanceId: id, label: id, leaseMs: LEASE }),
    );
  });

  afterEach(async () => {
    for (const v of views) v.resume();
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(managers.map((m) => m.stop()));
    await shared.close();
  });

  const renewed = (): Promise<unknown> => Promise.all(managers.map((m) => m.idle()));
  const holderOf = (key: string): number => {
    const held = managers.flatMap((m, i) => (m.holds(key) ? [i] : []));
    expect(held).toHaveLength(1);
    return held[0];
  };

  it('gives each singleton to one instance, and to the other once its holder stops, told lost before gained', async () => {
    const names = ['upstream-reports', 'cap-feeds', 'alert-expiry'];
    const leases = managers.map((m) => names.map((n) => new SingletonLease(m, n)));
    const told: string[] = [];
    for (const [i, ls] of leases.entries())
      for (const l of ls)
        l.watch({
          gained: () => told.push(`${IDS[i]} gained ${l.name}`),
          lost: () => told.push(`${IDS[i]} lost ${l.name}`),
        });
    managers[0].start(); // A comes first and takes every singleton
    await renewed();
    managers[1].start();
    await renewed();
    for (const j of names.keys()) expect(leases.filter((ls) => ls[j].holds())).toHaveLength(1);
    const ofA = names.filter((_, j) => leases[0][j].holds());
    expect(ofA).toEqual(names);

    told.length = 0;
    await managers[0].stop();
    clock.advance(LEASE / 3);
    await renewed();
    for (const l of leases[1]) expect(l.holds()).toBe(true);
    expect(told).toEqual([...ofA.map((n) => `A lost ${n}`), ...ofA.map((n) => `B gained ${n}`)]);
  });

  describe('the upstream outbox', () => {
    let outboxes: UpstreamOutbox[];
    let sim: UpstreamSimulator;
    let sender: UpstreamSenderEntity;

    beforeEach(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'dalaba-singletons-'));
      closers.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const config = { platformResourceCode: COUNTY, dataDir } as unknown as AppConfig;
      const signing = new UpstreamSigning({ certSn: '123456789012', privateKeyHex: generateKeyPair().privateKey });
      const store = new PacketStore(config);
      outboxes = IDS.map(
        (_, i) =>
          new UpstreamOutbox(
            config,
            new UpstreamRepository(shared.sources[i]),
            new Transactions(shared.sources[i]),
            store,
            signing,
            views[i],
            managers[i],
          ),
      );
      closers.push(() => Promise.all(outboxes.map((o) => o.onModuleDestroy())));
      sim = await UpstreamSimulator.start({ target: 'http://127.0.0.1:1/unused', targetEbrId: COUNTY, port: 0 }, clock);
      closers.push(() => sim.stop());
      sim.trust(signing.certSn, signing.publicKey);
      sender = await shared.sources[0].getRepository(UpstreamSenderEntity).save({
        kind: 'ebd',
        code: sim.ebrId,
        name: 'province',
        certSn: sim.certSn,
        publicKey: sim.publicKey,
        url: sim.url,
        dispatchSeverities: [],
        enabled: true,
        createdAt: new Date(T0),
        updatedAt: new Date(T0),
      });
      for (const m of managers) m.start();
      await renewed();
    });

    const rows = (): Promise<UpstreamOutboxEntity[]> =>
      shared.sources[0].getRepository(UpstreamOutboxEntity).find({ order: { id: 'ASC' } });
    const flushBoth = async (): Promise<void> => {
      for (const o of outboxes) o.kick();
      await Promise.all(outboxes.map((o) => o.idle()));
    };

    it('is sent by the holder of its lease only: two instances passing at once POST a report once', async () => {
      await outboxes[0].enqueue(sender, { type: 'ConnectionCheck', check: { time: clock.date() } });
      await flushBoth();
      await flushBoth();
      expect(sim.reports.map((r) => r.packet?.payload.type)).toEqual(['ConnectionCheck']);
      expect(await rows()).toMatchObject([{ state: 'sent', attempts: 1 }]);
      holderOf('singleton:upstream-outbox');
    });

    it('is taken over from the database when its holder stops: what was queued is sent once, by the other', async () => {
      const h = holderOf('singleton:upstream-outbox');
      const other = 1 - h;
      await managers[h].stop(); // a clean shutdown: the lease is released (reported lost first)
      expect(managers[h].holds('singleton:upstream-outbox')).toBe(false);
      await outboxes[h].enqueue(sender, { type: 'ConnectionCheck', check: { time: clock.date() } });
      await outboxes[h].idle();
      expect(sim.reports).toHaveLength(0); // queued, not sent: nobody holds the outbox yet

      clock.advance(LEASE / 3); // the other's next renewal takes the free singleton, and sends at once
      await renewed();
      expect(managers[other].holds('singleton:upstream-outbox')).toBe(true);
      await outboxes[other].idle();
      await flushBoth();
      expect(sim.reports).toHaveLength(1);
      expect(await rows()).toMatchObject([{ state: 'sent', attempts: 1 }]);
    });

    it('claims a row for one attempt at a time; an attempt that outlived its claim does not write its outcome', async () => {
      const h = holderOf('singleton:upstream-outbox');
      const queued = await outboxes[1 - h].enqueue(sender, { type: 'ConnectionCheck', check: { time: clock.date() } });
      const id = queued?.id ?? 0;
      const repo = new UpstreamRepository(shared.sources[0]);
      const tx = new Transactions(shared.sources[0]);
      const claim = (attempts: number): Promise<boolean> =>
        tx.run((t) => repo.claimOutbox(t, id, attempts, clock.date(), new Date(clock.now() + OUTBOX_CLAIM_MS)));
      expect(await claim(0)).toBe(true); // an attempt under way (its POST may take up to its timeout)
      expect(await claim(0)).toBe(false); // counted already
      expect(await claim(1)).toBe(false); // not due again before the claim lapses
      clock.advance(OUTBOX_CLAIM_MS);
      expect(await claim(1)).toBe(true); // the first attempt's instance died: a second attempt, by whoever holds it
      const outcome = {
        state: 'sent' as const,
        resultCode: 1,
        lastError: null,
        nextAttemptAt: clock.date(),
        sentAt: clock.date(),
      };
      expect(await repo.finishOutbox(id, 1, outcome)).toBeNull(); // the first attempt, late: refused
      expect(await repo.finishOutbox(id, 2, outcome)).toMatchObject({ state: 'sent', attempts: 2 });
    });
  });

  describe('the relay planner', () => {
    const SLOTS = [
      { scheduleId: 7, start: new Date(T0 + 60_000), end: new Date(T0 + 5 * 60_000) },
      { scheduleId: 7, start: new Date(T0 + 10 * 60_000), end: new Date(T0 + 15 * 60_000) },
    ];
    let planners: RelayPlanner[];
    let planned: { by: number; order: DispatchOrder }[];
    let stopped: { by: number; broadcastId: string }[];

    beforeEach(async () => {
      planned = [];
      stopped = [];
      const config = {
        field: { enabled: true },
        dispatch: { startLeadMs: 2000 },
        platformResourceCode: COUNTY,
      } as unknown as AppConfig;
      const days = {
        day: async (q: { date: string }) => ({
          date: q.date,
          terminals: [
            { terminalId: 1, areaCode: '341523000000', slots: SLOTS.map((s) => ({ ...s, plays: [s], yields: [] })) },
          ],
        }),
      } as unknown as DayPlanService;
      const programme = { name: 'Morning news', priority: 3, volume: 80, source: { kind: 'fm', frequency: 9000 } };
      const relay = {
        onAir: async () => [{ id: 7, published: { revision: 1, programme }, publishedById: 1 }],
      } as unknown as RelayRepository;
      const recorder = {
        track: () => ({}),
        launchedLate: () => undefined,
        finish: async () => undefined,
        forget: () => undefined,
      } as unknown as AsRunRecorder;
      planners = IDS.map((_, i) => {
        const dispatch = {
          plan: async (order: DispatchOrder) => void planned.push({ by: i, order }),
          launch: () => undefined,
          stopEverywhere: async (broadcastId: string) => void stopped.push({ by: i, broadcastId }),
          cancelBroadcast: async (broadcastId: string) => void stopped.push({ by: i, broadcastId }),
        } as unknown as DispatchService;
        return new RelayPlanner(
          config,
          views[i],
          days,
          relay,
          new SlotRunRepository(shared.sources[i]),
          new AlertsRepository(shared.sources[i]),
          new Transactions(shared.sources[i]),
          dispatch,
          recorder,
          { stream: new Subject() } as unknown as RelayChanges,
          managers[i],
        );
      });
      closers.push(() => planners.forEach((p) => p.onModuleDestroy()));
      for (const p of planners) await p.onApplicationBootstrap();
      for (const m of managers) m.start();
      await renewed();
    });

    /** Time goes on by `ms`, in steps of 10 s; each renewal runs to its end, and each planner makes a pass. */
    const run = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 10_000) {
        clock.advance(Math.min(10_000, ms - t));
        await renewed();
        for (const p of planners) await p.pass();
      }
    };
    const slotRuns = (): Promise<SlotRunEntity[]> =>
      shared.sources[0].getRepository(SlotRunEntity).find({ order: { plannedStart: 'ASC' } });

    it('plans a slot once: only the holder of its lease passes, however often both try', async () => {
      await run(40_000); // the first slot is 20 s away: inside the lead of a live source
      for (let i = 0; i < 3; i++) for (const p of planners) await p.pass();
      expect(planned).toHaveLength(1);
      expect(planned[0].by).toBe(holderOf('singleton:relay-planner'));
      const [row] = await slotRuns();
      expect(row).toMatchObject({ state: 'launched', broadcastId: planned[0].order.broadcastId });
    });

    it('is taken over when its holder stops renewing: the slot on air is ended once, the next one planned once', async () => {
      const h = holderOf('singleton:relay-planner');
      const other = 1 - h;
      await run(40_000);
      expect(planned.map((p) => p.by)).toEqual([h]);

      views[h].kill(); // a crash: no renewal, no pass, nothing released
      await run(60_000); // its lease runs out and the other takes the planner at a new epoch
      expect(managers[other].holds('singleton:relay-planner')).toBe(true);
      expect(planned).toHaveLength(1); // the slot on air was read from the database and followed, not planned again

      await run(9 * 60_000); // past the first slot's end and into the second's lead
      expect(stopped).toEqual([{ by: other, broadcastId: planned[0].order.broadcastId }]);
      expect(planned.map((p) => p.by)).toEqual([h, other]);
      expect((await slotRuns()).map((r) => [r.state, r.broadcastId])).toEqual([
        ['ended', planned[0].order.broadcastId],
        ['launched', planned[1].order.broadcastId],
      ]);
    });
  });
});
