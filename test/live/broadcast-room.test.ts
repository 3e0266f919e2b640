/**
 * A broadcast's room on the live channel: a client subscribed to a broadcast gets the deliveries inside its scope as a
 * snapshot, then each delivery's changes with the counts over what it may see; a drill is marked as a drill in every
 * message. Over a simulated county (two villages, four terminals each); waits on the clients' own messages.
 */
import { io, type Socket } from 'socket.io-client';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import type { LiveBroadcast, LiveDelta } from '../../src/live/live-payload';
import type { SubscribeReply } from '../../src/live/live-hub';
import { createTestApp, type TestApp } from '../support/app';
import { order, registerCounty, UNITS, type County } from '../dispatch/county';

jest.setTimeout(90_000);

/** Connects to /live and resolves the first broadcast update that satisfies `holds`. */
async function watch(baseUrl: string, token: string, broadcastId: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const updates: LiveBroadcast[] = [];
  const waiters: { holds: (b: LiveBroadcast) => boolean; resolve: (b: LiveBroadcast) => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    for (const b of d.broadcasts) {
      updates.push(b);
      for (const w of [...waiters])
        if (w.holds(b)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(b);
        }
    }
  });
  const reply = (await socket
    .timeout(10_000)
    .emitWithAck('subscribe', { kind: 'broadcast', id: broadcastId })) as SubscribeReply;
  const until = (holds: (b: LiveBroadcast) => boolean): Promise<LiveBroadcast> => {
    const seen = updates.find(holds);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ holds, resolve }));
  };
  return { socket, reply, updates, until };
}

describe('broadcast room', () => {
  describe("a broadcast's room on /live", () => {
    let t: TestApp;
    let admin: string;
    let county: County;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      t = await createTestApp({
        database: 'sqlite',
        env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' },
      });
      admin = await t.adminToken();
      county = await registerCounty(t, admin);
      await t.app.get(FieldBuses).settled();
    });

    afterAll(async () => {
      for (const s of sockets) s.disconnect();
      await t?.close();
      await county?.network.stop();
    });

    it('shows each watcher the progress of its own deliveries, counted over its scope, marked as a drill', async () => {
      const dispatch = t.app.get(DispatchService);
      const all = county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));
      const o = order(all, { messageType: 'platformDrill', broadcastClass: 1, priority: 5, emergency: false });
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));

      const villageTech = (
        await t.createUser({ username: 'tech-village', roles: ['technician'], scopes: [county.villages[0]] })
      ).token;
      const outsider = (await t.createUser({ username: 'tech-far', roles: ['technician'], scopes: ['341523120000'] }))
        .token;
      const everything = await watch(t.baseUrl, admin, o.broadcastId);
      const village = await watch(t.baseUrl, villageTech, o.broadcastId);
      const far = await watch(t.baseUrl, outsider, o.broadcastId);
      sockets.push(everything.socket, village.socket, far.socket);

      if (!everything.reply.ok || !village.reply.ok) throw new Error('subscription refused');
      expect(far.reply).toMatchObject({ ok: false, code: 'not_found' });
      expect(everything.reply.snapshot.broadcasts[0]).toMatchObject({
        broadcastId: o.broadcastId,
        drill: true,
        counts: { pending: 8 },
      });
      expect(village.reply.snapshot.broadcasts[0]).toMatchObject({ drill: true, counts: { pending: 4 } });
      expect(village.reply.snapshot.broadcasts[0].changes.map((c) => c.terminalId).sort()).toEqual(
        UNITS.map((u) => county.terminalIds[0][u]).sort(),
      );

      dispatch.launch(o.broadcastId);
      const final = (b: LiveBroadcast): boolean =>
        !['planned', 'running'].includes(b.state) &&
        b.counts.pending + b.counts.transferring + b.counts.ready + b.counts.playing === 0;
      const done = await everything.until(final);
      expect(done).toMatchObject({ state: 'completed', counts: { played: 8 } });
      await village.until(final);
      const villageIds = new Set(UNITS.map((u) => county.terminalIds[0][u]));
      expect(village.updates.every((b) => b.drill && b.changes.every((c) => villageIds.has(c.terminalId)))).toBe(true);
      expect(village.updates.every((b) => Object.values(b.counts).reduce((a, n) => a + n, 0) === 4)).toBe(true);
      expect(everything.updates.every((b) => b.drill)).toBe(true);
      await dispatch.settled(o.broadcastId);
    });
  });
});
