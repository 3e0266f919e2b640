/**
 * Separation of duties (三审) that cannot be walked around: an edit of a submitted alert sends it back to draft, the
 * approver differs from everyone who created, edited or submitted it, the one-key path is confirmed by someone other
 * than its sender, and every step is kept in the alert's revision history (`revisions` in GET /api/alerts/:id).
 */
import { TestApp, createTestApp } from '../support/app';
import { COUNTY, TOWN_A, buildCounty } from '../registry/fixture';

// a tone is encoded on first use (ffmpeg): a deadline on a loaded machine, not a speed goal
jest.setTimeout(60_000);

interface Revision {
  action: string;
  at: string;
  userId: number;
  userName: string;
  changes?: Record<string, { from: unknown; to: unknown }>;
}

describe('separation of duties', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    await buildCounty(t, await t.adminToken(), 1);
    const users: [string, ('officer' | 'approver')[]][] = [
      ['officer', ['officer']],
      ['officer2', ['officer']],
      ['approver', ['approver']],
      ['approver2', ['approver']],
      ['both', ['officer', 'approver']],
    ];
    for (const [name, roles] of users) {
      const u = await t.createUser({ username: name, roles, scopes: [COUNTY] });
      tokens[name] = u.token;
      ids[name] = u.id;
    }
  });
  afterAll(() => t?.close());

  const as = (who: string) => t.auth(tokens[who]);
  const body = (over: object = {}) => ({
    eventType: '11B03',
    severity: 3,
    messageType: 'platformDrill',
    title: '暴雨黄色预警演练',
    text: '演练',
    targets: { areaCodes: [TOWN_A] },
    audio: { kind: 'tone', toneId: 'tone-chime' },
    endAt: new Date(Date.now() + 7_200_000).toISOString(),
    ...over,
  });
  const submitted = async (who: string, over: object = {}) => {
    const a = (await t.http.post('/api/alerts').set(as(who)).send(body(over)).expect(201)).body as { id: number };
    await t.http.post(`/api/alerts/${a.id}/submit`).set(as(who)).expect(200);
    return a.id;
  };
  const detail = async (id: number) =>
    (await t.http.get(`/api/alerts/${id}`).set(as('approver2')).expect(200)).body as {
      state: string;
      revisions: Revision[];
    };

  it('attack: an officer-approver edits someone else’s submitted alert into a real county-wide air raid and approves it', async () => {
    const id = await submitted('officer');
    const edited = await t.http
      .patch(`/api/alerts/${id}`)
      .set(as('both'))
      .send({
        targets: { areaCodes: [COUNTY] },
        messageType: 'real',
        severity: 1,
        audio: { kind: 'tone', toneId: 'tone-air-raid' },
      })
      .expect(200);
    // the edit is a new text: back to draft, it needs a new submission
    expect(edited.body).toMatchObject({ state: 'draft', submittedById: null });
    const notSubmitted = await t.http.post(`/api/alerts/${id}/approve`).set(as('both')).expect(409);
    expect(notSubmitted.body.code).toBe('illegal_transition');
    // the original officer submits it again (perhaps unaware); the editor still may not approve it
    await t.http.post(`/api/alerts/${id}/submit`).set(as('officer')).expect(200);
    const editor = await t.http.post(`/api/alerts/${id}/approve`).set(as('both')).expect(403);
    expect(editor.body.message).toMatch(/another user with the approver role/);
    // someone who never touched it may
    await t.http.post(`/api/alerts/${id}/approve`).set(as('approver')).expect(200);
  });

  it('keeps the approver apart from every earlier author, also across a rejection and a second submission by someone else', async () => {
    const id = await submitted('both');
    await t.http.post(`/api/alerts/${id}/reject`).set(as('approver')).send({ reason: '再议' }).expect(200);
    await t.http.patch(`/api/alerts/${id}`).set(as('officer2')).send({ title: '暴雨黄色预警演练（改）' }).expect(200);
    await t.http.post(`/api/alerts/${id}/submit`).set(as('officer2')).expect(200);
    await t.http.post(`/api/alerts/${id}/approve`).set(as('both')).expect(403);
    await t.http.post(`/api/alerts/${id}/approve`).set(as('approver')).expect(200);
  });

  it('leaves a submitted alert submitted when a PATCH changes nothing', async () => {
    const id = await submitted('officer');
    const same = await t.http.patch(`/api/alerts/${id}`).set(as('officer2')).send({ title: body().title }).expect(200);
    expect(same.body.state).toBe('submitted');
    expect((await detail(id)).revisions.map((r) => r.action)).toEqual(['created', 'submitted']);
  });

  it('records every step with time, user and the changed fields, oldest first', async () => {
    // starting in ten minutes: still scheduled, so it can be cancelled before air
    const id = await submitted('officer', { startAt: new Date(Date.now() + 600_000).toISOString() });
    await t.http
      .patch(`/api/alerts/${id}`)
      .set(as('officer2'))
      .send({ severity: 2, targets: { areaCodes: [COUNTY] } })
      .expect(200);
    await t.http.post(`/api/alerts/${id}/submit`).set(as('officer2')).expect(200);
    await t.http.post(`/api/alerts/${id}/reject`).set(as('approver')).send({ reason: '范围太大' }).expect(200);
    await t.http.post(`/api/alerts/${id}/submit`).set(as('officer2')).expect(200);
    await t.http.post(`/api/alerts/${id}/approve`).set(as('approver2')).expect(200);
    await t.http.post(`/api/alerts/${id}/cancel`).set(as('officer')).expect(200);
    const { revisions } = await detail(id);
    expect(revisions.map((r) => [r.action, r.userName])).toEqual([
      ['created', 'officer'],
      ['submitted', 'officer'],
      ['edited', 'officer2'],
      ['submitted', 'officer2'],
      ['rejected', 'approver'],
      ['submitted', 'officer2'],
      ['approved', 'approver2'],
      ['cancelled', 'officer'],
    ]);
    expect(revisions[2]).toMatchObject({
      userId: ids.officer2,
      changes: {
        severity: { from: 3, to: 2 },
        targets: { from: { areaCodes: [TOWN_A], terminalIds: [] }, to: { areaCodes: [COUNTY], terminalIds: [] } },
      },
    });
    expect(Object.keys(revisions[2].changes ?? {}).sort()).toEqual(['severity', 'targets']);
    const times = revisions.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('keeps the one-key path’s confirmation by someone other than its sender, and records it', async () => {
    const sent = await t.http
      .post('/api/alerts/emergency')
      .set(as('both'))
      .send({ ...body(), reason: '来不及审核' })
      .expect(201);
    const id = sent.body.id as number;
    await t.http.post(`/api/alerts/${id}/confirm`).set(as('both')).expect(403);
    await t.http.post(`/api/alerts/${id}/confirm`).set(as('approver')).expect(200);
    const { revisions } = await detail(id);
    expect(revisions.map((r) => [r.action, r.userId])).toEqual([
      ['emergency', ids.both],
      ['confirmed', ids.approver],
    ]);
  });
});
