/**
 * Alerts over HTTP, the review (三审) and who may do what: draft → submitted → rejected → approved by someone else with
 * the outcome reported back, approvals by the author refused, area scopes, bad input, the audio that must be ready, the
 * one-key emergency and its confirmation, cancel, expiry, and the list within the reader's scope. The setup
 * (fixture.ts) runs the real dispatch engine with the field off.
 */
import { parseBroadcastId } from '../../firmware-protocols/codes';
import { AlertOutcomesService } from '../../src/alerts/alert-outcomes.service';
import { AudioService } from '../../src/audio/audio.service';
import { SYSTEM_ACTOR } from '../../src/auth/auth-user';
import { AlertOutcomes } from '../../src/dispatch/dispatch-order';
import type { DispatchService } from '../../src/dispatch/dispatch.service';
import type { TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_B, VILLAGES } from '../registry/fixture';
import { alertsFixture, HOUR } from './fixture';

// a tone is encoded on first use (ffmpeg): a deadline on a loaded machine, not a speed goal
jest.setTimeout(60_000);

forEachDatabase('alerts review', (database) => {
  const f = alertsFixture(database);
  const { body, as, broadcastOf, deliveredTo, stateOf, create, submitted, approved, ids } = f;
  let t: TestApp;
  let admin: string;
  let dispatch: DispatchService;
  beforeAll(() => {
    ({ t, admin, dispatch } = f);
  });

  it('runs the review: draft → submitted → rejected → submitted → approved by someone else, planned, launched, its outcome reported back', async () => {
    const a = await create('officerA');
    expect(a).toMatchObject({
      state: 'draft',
      broadcastId: null,
      createdById: ids.officerA,
      language: 'zh-CN',
      repeat: 1,
      drill: false,
    });
    const detail = await t.http.get(`/api/alerts/${a.id}`).set(as('viewer')).expect(200);
    expect(detail.body.targetCount).toBe(6);
    await t.http
      .patch(`/api/alerts/${a.id}`)
      .set(as('officerA'))
      .send({ title: '暴雨橙色预警（更新）', repeat: 3, volume: 90 })
      .expect(200);
    await t.http.post(`/api/alerts/${a.id}/submit`).set(as('officerA')).expect(200);
    const rejected = await t.http
      .post(`/api/alerts/${a.id}/reject`)
      .set(as('approver'))
      .send({ reason: '文字需核实' })
      .expect(200);
    expect(rejected.body).toMatchObject({ state: 'draft', rejectionReason: '文字需核实', rejectedById: ids.approver });
    await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(409);
    await t.http.post(`/api/alerts/${a.id}/submit`).set(as('officerA')).expect(200);
    const ok = await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(200);
    expect(ok.body).toMatchObject({
      state: 'scheduled',
      approvedById: ids.approver,
      terminalCount: 6,
      title: '暴雨橙色预警（更新）',
    });
    expect(parseBroadcastId(ok.body.broadcastId)).toMatchObject({ sender: t.config.platformResourceCode });
    expect(await broadcastOf(a.id)).toMatchObject({
      broadcastId: ok.body.broadcastId,
      priority: 2,
      broadcastClass: 4,
      drill: false,
      clipId: 'tone-chime',
      repeat: 3,
      volume: 90,
      emergency: false,
      userId: ids.approver,
      targeted: 6,
    });
    expect(await deliveredTo(ok.body.broadcastId)).toHaveLength(6);
    await t.http.patch(`/api/alerts/${a.id}`).set(as('officerA')).send({ title: 'x' }).expect(409);

    await dispatch.settled(ok.body.broadcastId);
    const done = await t.http.get(`/api/alerts/${a.id}`).set(as('officerA')).expect(200);
    expect(done.body).toMatchObject({
      state: 'failed',
      outcomeDetail: '0/6 played',
      broadcastId: ok.body.broadcastId,
      targetCount: 6,
    });
    // a repeated or late report changes nothing
    await t.app.get(AlertOutcomes).advance(a.id, 'fail');
    await t.app.get(AlertOutcomes).advance(a.id, 'complete');
    expect(await stateOf(a.id)).toBe('failed');
    const audit = await t.http
      .get(`/api/audit?entityType=alert&entityId=${a.id}&pageSize=50`)
      .set(t.auth(admin))
      .expect(200);
    const entries = (audit.body.items as { action: string; actorName: string }[]).reverse();
    expect(entries.map((x) => x.action)).toEqual([
      'alert.create',
      'alert.update',
      'alert.submit',
      'alert.reject',
      'alert.submit',
      'alert.approve',
      'alert.start',
      'alert.fail',
    ]);
    expect(entries.slice(-2).map((x) => x.actorName)).toEqual([SYSTEM_ACTOR.username, SYSTEM_ACTOR.username]);
  });

  it('refuses an approval by the author: an officer (403 role), or an approver who drafted or submitted it (403)', async () => {
    const a = await submitted('officer');
    const own = await t.http.post(`/api/alerts/${a.id}/approve`).set(as('officer')).expect(403);
    expect(own.body.code).toBe('forbidden_role');
    const b = await submitted('both');
    const self = await t.http.post(`/api/alerts/${b.id}/approve`).set(as('both')).expect(403);
    expect(self.body.message).toMatch(/another user with the approver role/);
    const c = await create('officer');
    await t.http.post(`/api/alerts/${c.id}/submit`).set(as('both')).expect(200);
    await t.http.post(`/api/alerts/${c.id}/approve`).set(as('both')).expect(403);
    await t.http.post(`/api/alerts/${c.id}/approve`).set(as('approver')).expect(200);
  });

  it('keeps officers and approvers inside their area scope; a viewer cannot draft', async () => {
    const other = await t.http
      .post('/api/alerts')
      .set(as('officerA'))
      .send(body({ targets: { areaCodes: [TOWN_B] } }))
      .expect(403);
    expect(other.body.code).toBe('forbidden_area');
    const townB = (await t.http.get(`/api/terminals?areaCode=${TOWN_B}&pageSize=1`).set(t.auth(admin)).expect(200)).body
      .items[0].id as number;
    await t.http
      .post('/api/alerts')
      .set(as('officerA'))
      .send(body({ targets: { terminalIds: [townB] } }))
      .expect(403);
    await t.http
      .post('/api/alerts')
      .set(as('officerA'))
      .send(body({ targets: { areaCodes: [COUNTY] } }))
      .expect(403);
    const viewer = await t.http.post('/api/alerts').set(as('viewer')).send(body()).expect(403);
    expect(viewer.body.code).toBe('forbidden_role');
    const county = await submitted('officer', { targets: { areaCodes: [COUNTY] } });
    const narrow = await t.http.post(`/api/alerts/${county.id}/approve`).set(as('approverA')).expect(403);
    expect(narrow.body.code).toBe('forbidden_area');
    const onlyB = await create('officer', { targets: { areaCodes: [TOWN_B] } });
    await t.http.get(`/api/alerts/${onlyB.id}`).set(as('officerA')).expect(403);
    await t.http.get(`/api/alerts/${county.id}`).set(as('officerA')).expect(200);
  });

  it.each([
    ['no eventType', { eventType: undefined }, 'eventType'],
    ['an event type not in the table', { eventType: '99Z99' }, 'eventType'],
    ['a severity the event type lacks', { eventType: '11B15', severity: 1 }, 'severity'],
    ['severity 5', { severity: 5 }, 'severity'],
    ['an unknown message type', { messageType: 'rehearsal' }, 'messageType'],
    ['no targets', { targets: {} }, 'targets'],
    ['a malformed area code', { targets: { areaCodes: ['3415231'] } }, 'targets.areaCodes'],
    ['an unregistered area', { targets: { areaCodes: ['341523109000'] } }, 'targets.areaCodes.0'],
    ['an unknown terminal', { targets: { terminalIds: [999999] } }, 'targets.terminalIds.0'],
    ['an unknown tone', { audio: { kind: 'tone', toneId: 'tone-doorbell' } }, 'audio.toneId'],
    ['a clip audio without clip id', { audio: { kind: 'clip' } }, 'audio.clipId'],
    [
      'an unknown tone before the message',
      { audio: { kind: 'tone', toneId: 'tone-chime', toneBefore: 'tone-doorbell' } },
      'audio.toneBefore',
    ],
    ['repeat 11', { repeat: 11 }, 'repeat'],
    ['volume 101', { volume: 101 }, 'volume'],
    ['an end in the past', { endAt: new Date(Date.now() - HOUR).toISOString() }, 'endAt'],
    ['an end before the start', { startAt: new Date(Date.now() + 3 * HOUR).toISOString() }, 'endAt'],
    ['a field that does not exist', { priority: 0 }, 'priority'],
  ])('refuses %s (400 naming the field, nothing written)', async (_, change, field) => {
    const before = (await t.http.get('/api/alerts?pageSize=1').set(t.auth(admin)).expect(200)).body.total as number;
    const res = await t.http.post('/api/alerts').set(as('officer')).send(body(change)).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect((res.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
    expect((await t.http.get('/api/alerts?pageSize=1').set(t.auth(admin)).expect(200)).body.total).toBe(before);
  });

  it('sends a one-key emergency at once with its reason, confirmed afterwards by someone else', async () => {
    const noReason = await t.http.post('/api/alerts/emergency').set(as('officer')).send(body()).expect(400);
    expect((noReason.body.details as { field: string }[]).map((d) => d.field)).toContain('reason');
    const res = await t.http
      .post('/api/alerts/emergency')
      .set(as('officer'))
      .send({ ...body({ severity: 1, targets: { areaCodes: [COUNTY] } }), reason: '山洪暴发，来不及审核' })
      .expect(201);
    expect(res.body).toMatchObject({
      state: 'dispatching',
      emergency: true,
      emergencyReason: '山洪暴发，来不及审核',
      confirmedById: null,
      terminalCount: 12,
    });
    expect(await broadcastOf(res.body.id)).toMatchObject({
      broadcastId: res.body.broadcastId,
      emergency: true,
      priority: 1,
      broadcastClass: 4,
      userId: ids.officer,
      targeted: 12,
    });
    await dispatch.settled(res.body.broadcastId);
    await t.http.post(`/api/alerts/${res.body.id}/confirm`).set(as('officer')).expect(403);
    const confirmed = await t.http.post(`/api/alerts/${res.body.id}/confirm`).set(as('approver')).expect(200);
    expect(confirmed.body).toMatchObject({ confirmedById: ids.approver, emergencyReason: '山洪暴发，来不及审核' });
    await t.http.post(`/api/alerts/${res.body.id}/confirm`).set(as('approver')).expect(409);
    const reviewed = await approved();
    await t.http.post(`/api/alerts/${reviewed.id}/confirm`).set(as('approver')).expect(409);
    await t.http
      .post('/api/alerts/emergency')
      .set(as('officerA'))
      .send({ ...body({ targets: { areaCodes: [TOWN_B] } }), reason: '演示' })
      .expect(403);
  });

  it('cancels before air at once, and on air through dispatch; a final alert cannot be cancelled', async () => {
    const a = await create('officer');
    const c = await t.http.post(`/api/alerts/${a.id}/cancel`).set(as('officer')).expect(200);
    expect(c.body).toMatchObject({ state: 'cancelled', cancelledById: ids.officer, broadcastId: null });
    // starting in ten minutes: the engine holds the broadcast until then
    const later = { startAt: new Date(Date.now() + 600_000).toISOString() };
    const s = await approved(later);
    const sc = await t.http.post(`/api/alerts/${s.id}/cancel`).set(as('approver')).expect(200);
    expect(sc.body.state).toBe('cancelled');
    expect(await broadcastOf(s.id)).toMatchObject({ state: 'cancelled', cancelledBy: ids.approver });
    const e = (
      await t.http
        .post('/api/alerts/emergency')
        .set(as('officer'))
        .send({ ...body(later), reason: '堤坝险情' })
        .expect(201)
    ).body as { id: number };
    const ec = await t.http.post(`/api/alerts/${e.id}/cancel`).set(as('officer')).expect(200);
    expect(ec.body).toMatchObject({ state: 'cancelled', cancelRequested: true, cancelledById: ids.officer });
    expect(await broadcastOf(e.id)).toMatchObject({ state: 'cancelled', cancelledBy: ids.officer });
    const again = await t.http.post(`/api/alerts/${e.id}/cancel`).set(as('officer')).expect(409);
    expect(again.body.code).toBe('illegal_transition');
    await t.http.post(`/api/alerts/${e.id}/cancel`).set(as('viewer')).expect(403);
  });

  it('expires alerts not on air once their end has passed', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const draft = await create('officer', { endAt: soon });
    const sub = await submitted('officer', { endAt: soon });
    const later = await create('officer');
    const expired = await t.app.get(AlertOutcomesService).expireDue(new Date(Date.now() + 120_000));
    expect(expired).toEqual(expect.arrayContaining([draft.id, sub.id]));
    expect(expired).not.toContain(later.id);
    for (const id of [draft.id, sub.id]) {
      expect((await t.http.get(`/api/alerts/${id}`).set(as('officer')).expect(200)).body.state).toBe('expired');
    }
    const audit = await t.http
      .get(`/api/audit?action=alert.expire&entityId=${draft.id}`)
      .set(t.auth(admin))
      .expect(200);
    expect(audit.body.items[0]).toMatchObject({ actorName: SYSTEM_ACTOR.username });
  });

  it('refuses approval while the audio is not ready (409 saying why)', async () => {
    const clip = await t.app.get(AudioService).createClip(SYSTEM_ACTOR, 'upload', '未转码录音', 'rec.wav');
    const a = await submitted('officer', { audio: { kind: 'clip', clipId: clip.id } });
    const res = await t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(409);
    expect(res.body).toMatchObject({ code: 'audio_not_ready' });
    expect(res.body.message).toMatch(/still being processed/);
    await t.http
      .post('/api/alerts')
      .set(as('officer'))
      .send(body({ audio: { kind: 'clip', clipId: 'no-such-clip' } }))
      .expect(400);
  });

  it('lists alerts filtered by state, area, type and time, paginated, within the reader’s scope', async () => {
    const b = await create('officer', { targets: { areaCodes: [VILLAGES[2]] }, eventType: '11B14', severity: 3 });
    const all = await t.http.get('/api/alerts?pageSize=2').set(t.auth(admin)).expect(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThan(10);
    const inB = await t.http
      .get(`/api/alerts?areaCode=${TOWN_B}&state=draft&pageSize=500`)
      .set(t.auth(admin))
      .expect(200);
    const inBIds = (inB.body.items as { id: number; state: string }[]).map((x) => x.id);
    expect(inBIds).toContain(b.id);
    expect((inB.body.items as { state: string }[]).every((x) => x.state === 'draft')).toBe(true);
    const county = await t.http.get(`/api/alerts?areaCode=${VILLAGES[2]}&pageSize=500`).set(t.auth(admin)).expect(200);
    expect(
      (county.body.items as { targets: { areaCodes: string[] } }[]).some((x) => x.targets.areaCodes.includes(COUNTY)),
    ).toBe(true);
    const mineA = await t.http.get('/api/alerts?pageSize=500').set(as('officerA')).expect(200);
    expect((mineA.body.items as { id: number }[]).map((x) => x.id)).not.toContain(b.id);
    const thunder = await t.http.get('/api/alerts?eventType=11B14').set(as('viewer')).expect(200);
    expect(thunder.body.items.map((x: { id: number }) => x.id)).toEqual([b.id]);
    const future = await t.http
      .get(`/api/alerts?from=${encodeURIComponent(new Date(Date.now() + HOUR).toISOString())}`)
      .set(as('viewer'))
      .expect(200);
    expect(future.body.total).toBe(0);
    await t.http.get('/api/alerts?state=bogus').set(as('viewer')).expect(400);
  });
});
