/**
 * Tone provisioning over a simulated county (line timing on): the chime is stored on every live terminal in the
 * background, a terminal that is dead is reported with its reason and tried again on the next pass, a bus held by a
 * broadcast run waits for it, and a broadcast run beside a pass plays everywhere while the pass still completes.
 * Waits on the service's own passes and the engine's settled runs, never on the clock.
 */
import { REGISTERS } from '../../firmware-protocols/terminal-modbus';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { ToneProvisioning, type ToneProvisioningView } from '../../src/dispatch/tone-provisioning';
import { FieldBuses } from '../../src/field/field-buses';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { order, registerCounty, UNITS, type County } from './county';

jest.setTimeout(90_000);

describe('tone provisioning', () => {
  let t: TestApp;
  let admin: string;
  let county: County;
  let provisioning: ToneProvisioning;
  let field: FieldBuses;

  const view = async (): Promise<ToneProvisioningView> =>
    (await t.http.get('/api/provisioning/tones').set(t.auth(admin)).expect(200)).body as ToneProvisioningView;
  /** The clip ids in a terminal's stored-clip directory (terminal-modbus PROTOCOL.md §6.5). */
  const stored = async (terminalId: number): Promise<number[]> => {
    const regs = await field.readRegisters(terminalId, REGISTERS.directory.address, 4 + 3 * 5);
    return Array.from({ length: regs[0] }, (_, k) => regs[4 + 3 * k]);
  };
  const all = (): number[] => county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: {
        DALABA_FIELD: 'on',
        DALABA_POLL_PAUSE_MS: '500',
        DALABA_START_LEAD_MS: '800',
        DALABA_PROVISION_TONES: 'tone-chime',
        DALABA_PROVISION_RETRY: '3600',
      },
    });
    admin = await t.adminToken();
    provisioning = t.app.get(ToneProvisioning);
    // the pass at start found no terminals yet
    await provisioning.settled();
    county = await registerCounty(t, admin);
    field = t.app.get(FieldBuses);
    await field.settled();
  });

  afterAll(async () => {
    await t?.close();
    await county?.network.stop();
  });

  it('stores the chime on every live terminal beside a broadcast run, which holds the buses it uses; a dead terminal is stored on a later pass', async () => {
    const dead = county.terminalIds[1][2];
    county.network.setFault(1, 2, 'dead');
    // a bus held (as a run holds it) waits: the pass cannot end before it is released
    const release = provisioning.hold([county.gatewayIds[0]]);
    let ended = false;
    const pass = provisioning.runPass().then(() => (ended = true));
    // a broadcast run on both buses meanwhile: it holds them, and stores the chime itself where it is missing
    const dispatch = t.app.get(DispatchService);
    const o = order(all(), { clipId: 'tone-chime' });
    await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await dispatch.settled(o.broadcastId);
    const broadcast = await t.http.get(`/api/broadcasts/${o.broadcastId}`).set(t.auth(admin)).expect(200);
    expect(broadcast.body.counts).toMatchObject({ played: 7, unreachable: 1 });
    expect(ended).toBe(false);
    expect((await view()).buses.held).toBe(1);
    release();
    await pass;

    const first = await view();
    expect(first.enabled).toBe(true);
    expect(first.tones).toEqual([
      expect.objectContaining({ toneId: 'tone-chime', terminals: 8, holding: 7, failed: 1 }),
    ]);
    expect(first.tones[0].failures).toEqual([{ terminalId: dead, reason: expect.stringMatching(/unit 2|offline/) }]);
    expect(first.buses).toMatchObject({ storing: 0, held: 0 });
    const clipIds = await Promise.all(
      all()
        .filter((id) => id !== dead)
        .map(stored),
    );
    expect(clipIds[0]).toHaveLength(1);
    expect(clipIds.every((c) => c.join() === clipIds[0].join())).toBe(true);
    for (const g of county.network.gateways) expect(g.bus.deviceCounters().repeatedStarts ?? 0).toBe(0);

    // back on the line: once it has answered a read (monitoring holds it online again) the next pass stores it
    county.network.setFault(1, 2, 'none');
    await field.readStatus(dead);
    expect(t.app.get(MonitoringService).terminal(dead)?.online).toBe(true);
    await t.http.post('/api/provisioning/tones/pass').set(t.auth(admin)).expect(202);
    await provisioning.settled();
    expect((await view()).tones[0]).toMatchObject({ holding: 8, failed: 0, failures: [] });
    expect(await stored(dead)).toEqual(clipIds[0]);
  });

  it('a broadcast sends no transfer to terminals known to hold the tone; one swapped meanwhile refuses it, is stored and plays', async () => {
    const swapped = county.terminalIds[0][3];
    county.network.replaceTerminal(0, 3);
    const dispatch = t.app.get(DispatchService);
    const o = order(all(), { clipId: 'tone-chime' });
    const states = new Map<number, string[]>();
    const sub = dispatch.progress.subscribe((p) => {
      if (p.broadcastId === o.broadcastId)
        for (const c of p.changes) states.set(c.terminalId, [...(states.get(c.terminalId) ?? []), c.state]);
    });
    await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await dispatch.settled(o.broadcastId);
    sub.unsubscribe();
    const res = await t.http.get(`/api/broadcasts/${o.broadcastId}`).set(t.auth(admin)).expect(200);
    expect(res.body.counts).toMatchObject({ played: 8, failed: 0, unreachable: 0 });
    for (const id of all().filter((x) => x !== swapped)) expect(states.get(id)).toEqual(['ready', 'playing', 'played']);
    expect(states.get(swapped)).toEqual(['ready', 'transferring', 'ready', 'playing', 'played']);
    expect((await stored(swapped)).length).toBe(1);
    for (const g of county.network.gateways) expect(g.bus.deviceCounters().repeatedStarts ?? 0).toBe(0);
  });

  it('most terminals holding the tone start at once; one without it is stored beside their play and started on its own', async () => {
    const fresh = county.terminalIds[1][4];
    const [clipId] = await stored(fresh);
    // swapped, and known to be: provisioning has not stored the tone on it again yet
    county.network.replaceTerminal(1, 4);
    provisioning.lacks(fresh, clipId);
    const dispatch = t.app.get(DispatchService);
    const o = order(all(), { clipId: 'tone-chime' });
    const seen: { terminalId: number; state: string }[] = [];
    const sub = dispatch.progress.subscribe((p) => {
      if (p.broadcastId === o.broadcastId)
        seen.push(...p.changes.map((c) => ({ terminalId: c.terminalId, state: c.state })));
    });
    await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await dispatch.settled(o.broadcastId);
    sub.unsubscribe();
    const res = await t.http.get(`/api/broadcasts/${o.broadcastId}`).set(t.auth(admin)).expect(200);
    expect(res.body.counts).toMatchObject({ played: 8, failed: 0, unreachable: 0 });
    expect(seen.filter((c) => c.terminalId === fresh).map((c) => c.state)).toEqual([
      'transferring',
      'ready',
      'playing',
      'played',
    ]);
    // the others did not wait for its transfer: they were verified playing before it was stored
    const firstPlaying = seen.findIndex((c) => c.state === 'playing');
    const freshReady = seen.findIndex((c) => c.terminalId === fresh && c.state === 'ready');
    expect(seen[firstPlaying].terminalId).not.toBe(fresh);
    expect(firstPlaying).toBeLessThan(freshReady);
    expect(await stored(fresh)).toEqual([clipId]);
    for (const g of county.network.gateways) expect(g.bus.deviceCounters().repeatedStarts ?? 0).toBe(0);
  });

  it('is shown to technicians and officers within their scope, for an area when asked; only a technician starts a pass', async () => {
    const viewer = (await t.createUser({ username: 'viewer-prov', roles: ['viewer'], scopes: [county.villages[0]] }))
      .token;
    await t.http.get('/api/provisioning/tones').set(t.auth(viewer)).expect(403);
    const officer = (await t.createUser({ username: 'officer-prov', roles: ['officer'], scopes: [county.villages[0]] }))
      .token;
    const scoped = await t.http.get('/api/provisioning/tones').set(t.auth(officer)).expect(200);
    expect(scoped.body.tones[0]).toMatchObject({ terminals: 4, holding: 4 });
    expect(scoped.body.buses.done + scoped.body.buses.waiting).toBe(1);
    await t.http.post('/api/provisioning/tones/pass').set(t.auth(officer)).expect(403);
    const village = await t.http
      .get('/api/provisioning/tones')
      .query({ areaCode: county.villages[1] })
      .set(t.auth(admin))
      .expect(200);
    expect(village.body.tones[0]).toMatchObject({ terminals: 4, holding: 4 });
    const bad = await t.http.get('/api/provisioning/tones').query({ areaCode: '3415' }).set(t.auth(admin)).expect(400);
    expect(bad.body.details).toEqual([
      { field: 'areaCode', message: 'areaCode must be a 12-digit area code or a 15-digit group code' },
    ]);
  });
});
