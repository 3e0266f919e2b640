/**
 * Alerts handed to dispatch inside the alert's transaction: nothing written when dispatch cannot plan, dispatch's
 * reports through the lifecycle, broadcast ids (unique, well formed, daily sequences without gaps), targets resolved to
 * terminals, drills at drill priority and class, a tone before the message joined into one clip. The setup
 * (fixture.ts) runs the real dispatch engine with the field off.
 */
import { composeBroadcastId, parseBroadcastId, shanghaiDate } from '../../firmware-protocols/codes';
import { AlertEntity } from '../../src/alerts/alert.entities';
import { AlertsRepository } from '../../src/alerts/alerts.repository';
import { AudioService } from '../../src/audio/audio.service';
import { Transactions } from '../../src/database/transactions';
import { BroadcastEntity } from '../../src/dispatch/broadcast.entities';
import { AlertOutcomes } from '../../src/dispatch/dispatch-order';
import type { TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { VILLAGES } from '../registry/fixture';
import { alertsFixture } from './fixture';

// a tone is encoded on first use (ffmpeg): a deadline on a loaded machine, not a speed goal
jest.setTimeout(60_000);

forEachDatabase('alerts handed to dispatch', (database) => {
  const f = alertsFixture(database);
  const { body, as, broadcastOf, deliveredTo, create, submitted, approved } = f;
  let t: TestApp;
  let admin: string;
  beforeAll(() => {
    ({ t, admin } = f);
  });

  it('writes nothing when dispatch cannot plan: the alert stays submitted and its broadcast id is not used up', async () => {
    const a = await submitted('officer');
    const sender = t.config.platformResourceCode;
    const day = shanghaiDate(new Date());
    const rows: { last: number }[] = await t.dataSource.query(
      'SELECT last FROM broadcast_id_sequences WHERE sender = ? AND day = ?',
      [sender, day],
    );
    const next = composeBroadcastId(sender, new Date(), (rows[0]?.last ?? 0) + 1);
    // a broadcast already holding the next id makes plan fail inside the alert's transaction
    const blocker = await t.dataSource.getRepository(BroadcastEntity).save(
      Object.assign(new BroadcastEntity(), {
        broadcastId: next,
        alertId: 0,
        title: 'x',
        eventType: '11B03',
        severity: 1,
        messageType: 'real',
        broadcastClass: 4,
        priority: 1,
        clipId: 'x',
        repeat: 1,
        volume: 1,
        startAt: new Date(),
        endAt: new Date(),
        emergency: false,
        drill: false,
        userId: 0,
        state: 'cancelled',
        targeted: 0,
        createdAt: new Date(),
        startedAt: null,
        finishedAt: null,
        cancelRequestedAt: null,
        cancelledBy: null,
      }),
    );
    await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(500);
    expect(await t.http.get(`/api/alerts/${a.id}`).set(as('officer')).expect(200)).toMatchObject({
      body: { state: 'submitted', broadcastId: null, approvedById: null },
    });
    expect(await broadcastOf(a.id)).toBeNull();
    await t.dataSource.getRepository(BroadcastEntity).delete({ id: blocker.id });
    const ok = await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(200);
    expect(ok.body.broadcastId).toBe(next);
  });

  it('applies dispatch’s reports through the lifecycle: a finish reported before the start, an illegal report refused', async () => {
    const outcomes = t.app.get(AlertOutcomes);
    const a = await create('officer');
    await expect(outcomes.advance(a.id, 'start')).rejects.toMatchObject({ code: 'illegal_transition' });
    await expect(outcomes.advance(a.id, 'submit')).rejects.toThrow(/cannot report/);
    await t.dataSource.getRepository(AlertEntity).update({ id: a.id }, { state: 'scheduled' });
    await outcomes.advance(a.id, 'complete-partially', '3/6 played');
    expect((await t.http.get(`/api/alerts/${a.id}`).set(t.auth(admin)).expect(200)).body).toMatchObject({
      state: 'partially-completed',
      outcomeDetail: '3/6 played',
    });
  });

  it('gives every alert on air its own well-formed 35-digit broadcast id, also when approved at once', async () => {
    const drafts = await Promise.all([1, 2, 3, 4, 5].map(() => submitted('officer')));
    const results = await Promise.all(
      drafts.map((d) => t.http.post(`/api/alerts/${d.id}/approve`).set(as('approver'))),
    );
    const bids = results.map((r) => {
      expect(r.status).toBe(200);
      return r.body.broadcastId as string;
    });
    expect(new Set(bids).size).toBe(5);
    for (const id of bids) expect(id).toMatch(/^\d{35}$/);
    const seqs = bids.map((b) => parseBroadcastId(b).sequence).sort((x, y) => x - y);
    expect(seqs[4] - seqs[0]).toBe(4);
  });

  it('takes daily sequence numbers without gaps or repeats from concurrent transactions, also the first of a day', async () => {
    const repo = t.app.get(AlertsRepository);
    const transactions = t.app.get(Transactions);
    const sender = t.config.platformResourceCode;
    const taken = await Promise.all(
      Array.from({ length: 12 }, () => transactions.run((tx) => repo.nextSequence(tx, sender, '20991231'))),
    );
    expect(taken.sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('resolves targets to enabled terminals, without duplicates, for a mix of areas and single terminals', async () => {
    const v3 = (await t.http.get(`/api/terminals?areaCode=${VILLAGES[3]}`).set(t.auth(admin)).expect(200)).body
      .items as { id: number }[];
    await t.http.patch(`/api/terminals/${v3[0].id}`).set(t.auth(admin)).send({ enabled: false }).expect(200);
    const a = await approved({
      targets: { areaCodes: [VILLAGES[3], VILLAGES[0]], terminalIds: [v3[1].id, v3[1].id, v3[0].id] },
    });
    const terminals = await deliveredTo(a.broadcastId);
    expect(terminals).toHaveLength(5);
    expect(terminals).not.toContain(v3[0].id);
    await t.http.patch(`/api/terminals/${v3[0].id}`).set(t.auth(admin)).send({ enabled: true }).expect(200);
  });

  it('marks drills: a drill travels with its drill broadcast class at drill priority', async () => {
    for (const [messageType, cls] of [
      ['terminalDrill', 3],
      ['frontEndDrill', 2],
      ['platformDrill', 1],
    ] as const) {
      const a = await approved({ messageType, severity: 1, title: `演练 ${messageType}` });
      expect(await broadcastOf(a.id)).toMatchObject({ messageType, broadcastClass: cls, priority: 5, drill: true });
      const view = await t.http.get(`/api/alerts/${a.id}`).set(as('viewer')).expect(200);
      expect(view.body.drill).toBe(true);
    }
  });

  it('joins a tone before the message into one clip that goes on air', async () => {
    const a = (
      await t.http
        .post('/api/alerts')
        .set(as('officer'))
        .send(body({ audio: { kind: 'tone', toneId: 'tone-chime', toneBefore: 'tone-chime' } }))
        .expect(201)
    ).body as { id: number; clipId: string };
    expect(a.clipId).not.toBe('tone-chime');
    const joined = await t.app.get(AudioService).settled(a.clipId);
    expect(joined).toMatchObject({ kind: 'composed', state: 'ready', source: 'tone-chime + tone-chime' });
    expect(joined.durationMs).toBeGreaterThan(3000);
    expect(joined.durationMs).toBeLessThan(3400);
    await t.http.post(`/api/alerts/${a.id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(200);
    expect(await broadcastOf(a.id)).toMatchObject({ clipId: a.clipId });
  });
});
