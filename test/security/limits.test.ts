/**
 * Count and rate limits on expensive actions: a tone provisioning pass started by hand covers only the caller's scope
 * and is rate-limited per scope; one live socket holds a bounded number of subscriptions.
 */
import { io, type Socket } from 'socket.io-client';
import { MAX_SUBSCRIPTIONS } from '../../src/live/live-hub';
import { ToneProvisioning } from '../../src/dispatch/tone-provisioning';
import { TestApp, createTestApp } from '../support/app';
import { COUNTY, TOWN_A, TOWN_B, buildCounty } from '../registry/fixture';

// a server start on a loaded machine: a deadline, not a speed goal
jest.setTimeout(60_000);

describe('limits on expensive actions', () => {
  let t: TestApp;
  let admin: string;
  let socket: Socket | null = null;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
    await buildCounty(t, admin, 1);
  });
  afterAll(async () => {
    socket?.disconnect();
    await t?.close();
  });

  it('attack: a town technician starts a county-wide tone provisioning pass, again and again', async () => {
    const provisioning = t.app.get(ToneProvisioning);
    const runPass = jest.spyOn(provisioning, 'runPass');
    const town = await t.createUser({ username: 'tech-town', roles: ['technician'], scopes: [TOWN_A] });
    const res = await t.http.post('/api/provisioning/tones/pass').set(t.auth(town.token)).expect(202);
    expect(runPass).toHaveBeenLastCalledWith([TOWN_A]);
    expect(res.body.pass).toEqual({ areas: [TOWN_A] });
    const again = await t.http.post('/api/provisioning/tones/pass').set(t.auth(town.token)).expect(429);
    expect(again.body).toMatchObject({ code: 'too_many_passes', details: { retryAfterSeconds: expect.any(Number) } });
    // the limit is per scope: another town's technician is not held up, nor is the whole county
    const other = await t.createUser({ username: 'tech-other', roles: ['technician'], scopes: [TOWN_B] });
    await t.http.post('/api/provisioning/tones/pass').set(t.auth(other.token)).expect(202);
    expect(runPass).toHaveBeenLastCalledWith([TOWN_B]);
    const county = await t.createUser({ username: 'tech-county', roles: ['technician'], scopes: [COUNTY] });
    await t.http.post('/api/provisioning/tones/pass').set(t.auth(county.token)).expect(202);
    expect(runPass).toHaveBeenLastCalledWith([COUNTY]);
    // an unrestricted administrator's pass covers everything
    await t.http.post('/api/provisioning/tones/pass').set(t.auth(admin)).expect(202);
    expect(runPass).toHaveBeenLastCalledWith(null);
    runPass.mockRestore();
  });

  it('attack: one socket subscribes to an unlimited number of rooms', async () => {
    socket = io(`${t.baseUrl}/live`, { auth: { token: admin }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket?.once('connect', () => resolve());
      socket?.once('connect_error', reject);
    });
    const s = socket;
    const subscribe = (id: string) =>
      s.timeout(10_000).emitWithAck('subscribe', { kind: 'alarms', id }) as Promise<{
        ok: boolean;
        code?: string;
        message?: string;
      }>;
    const ids = Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, (_, i) => `341523100${String(200 + i).padStart(3, '0')}`);
    for (const id of ids.slice(0, MAX_SUBSCRIPTIONS)) expect(await subscribe(id)).toMatchObject({ ok: true });
    const refused = await subscribe(ids[MAX_SUBSCRIPTIONS]);
    expect(refused).toMatchObject({ ok: false, code: 'too_many_subscriptions' });
    expect(refused.message).toContain(String(MAX_SUBSCRIPTIONS));
    // subscribing again to one it holds replaces it; dropping one makes room
    expect(await subscribe(ids[0])).toMatchObject({ ok: true });
    expect(await s.timeout(10_000).emitWithAck('unsubscribe', { kind: 'alarms', id: ids[0] })).toMatchObject({
      ok: true,
    });
    expect(await subscribe(ids[MAX_SUBSCRIPTIONS])).toMatchObject({ ok: true });
  });
});
