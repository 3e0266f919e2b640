/**
 * No signed command reaches a terminal whose broadcast start is in doubt, but the dispatch engine's
 * (docs/alerts-and-dispatch.md, "Crash safety"): a start recorded as sent, not verified. After a restart or a takeover such a
 * terminal, idle again after a short tone, is known to have taken the start only by its last accepted sequence; a
 * technician's test tone, a held-schedule write, a self-test or a tone's prepare signed to it first would move that
 * sequence past the start, and the continuing run would start it a second time.
 */
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { sm3Hex } from '../../firmware-protocols/signing/sm2-sm3';
import { BroadcastEntity, DeliveryEntity } from '../../src/dispatch/broadcast.entities';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { FieldError } from '../../src/field/field-port';
import { createTestApp, type TestApp } from '../support/app';
import { registerSimulatedCounty } from '../support/county';
import { forEachDatabase } from '../support/databases';

const COUNTY = '341523000000';
const TOWN = '341523100000';
const BROADCAST = '43415230000000101010101202612080901';
const DATA = new Uint8Array(4000).map((_, i) => (i * 7) % 251);
const CLIP = { clipId: 4242, codec: 'pcm-alaw-8k', digest: sm3Hex(DATA), data: DATA };

jest.setTimeout(30_000);

forEachDatabase('signing guard: a terminal whose broadcast start is in doubt', (database) => {
  let t: TestApp;
  let admin: string;
  let network: SimulatedNetwork;
  let field: FieldBuses;
  let gatewayId: number;
  /** terminal ids by unit */
  let ids: Record<number, number>;

  beforeAll(async () => {
    t = await createTestApp({ database, env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '100' } });
    admin = await t.adminToken();
    field = t.app.get(FieldBuses);
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 1) },
      clock: systemClock,
      seed: 11,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    const registered = await registerSimulatedCounty(t, admin, network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: TOWN, name: '城关镇' },
      ],
      units: [1, 2, 3],
      requestTimeoutMs: 150,
    });
    gatewayId = registered.gatewayIds[0];
    ids = registered.terminalIds[0];
    await field.settled();
    // a start to unit 1 recorded as sent by a process that stopped before it verified it
    const now = Date.now();
    await t.dataSource.getRepository(BroadcastEntity).insert({
      broadcastId: BROADCAST,
      alertId: 1,
      title: '山洪预警',
      eventType: '11B03',
      severity: 1,
      messageType: 'alert',
      broadcastClass: 4,
      priority: 2,
      clipId: 'tone-chime',
      source: null,
      sourceParam: null,
      repeat: 1,
      volume: 90,
      startAt: new Date(now - 5_000),
      endAt: new Date(now + 600_000),
      emergency: true,
      drill: false,
      userId: 1,
      state: 'running',
      targeted: 1,
      createdAt: new Date(now - 6_000),
      startedAt: new Date(now - 5_000),
      finishedAt: null,
      cancelRequestedAt: null,
      cancelledBy: null,
    } as never);
    await t.dataSource.getRepository(DeliveryEntity).insert({
      broadcastId: BROADCAST,
      terminalId: ids[1],
      gatewayId,
      unit: 1,
      areaCode: TOWN,
      terminalName: 'unit 1',
      state: 'ready',
      reason: null,
      attempts: 1,
      terminalClipId: null,
      startSentAt: new Date(now - 4_000),
      startSequence: null,
      startFloor: 1,
      verifiedAt: null,
      finishedAt: null,
      preemptedBroadcastId: null,
      preemptedPriority: null,
      updatedAt: new Date(now - 4_000),
    } as never);
  });

  afterAll(async () => {
    await t?.close();
    await network?.stop();
  });

  const lastSequence = async (unit: number): Promise<number> => (await field.readStatus(ids[unit])).lastCommandSequence;

  it("refuses a technician's test tone (409 naming the terminal); nothing reaches the terminal", async () => {
    const before = await lastSequence(1);
    const res = await t.http
      .post(`/api/terminals/${ids[1]}/test-tone`)
      .set(t.auth(admin))
      .send({ seconds: 3, volume: 40 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'terminal_start_in_doubt' });
    expect(res.body.message).toContain(`terminal ${ids[1]}`);
    expect(res.body.message).toContain('not verified');
    expect(await lastSequence(1)).toBe(before);
  });

  it('lets a command to a neighbour through, but refuses one to the whole bus', async () => {
    const ok = await t.http.post(`/api/terminals/${ids[2]}/volume`).set(t.auth(admin)).send({ volume: 55 });
    expect(ok.status).toBe(200);
    const before = await lastSequence(1);
    const bus = field.commandBus(gatewayId, { code: 'test-tone', seconds: 2, volume: 30 });
    await expect(bus).rejects.toBeInstanceOf(FieldError);
    await expect(bus).rejects.toMatchObject({ kind: 'start-in-doubt' });
    expect(await lastSequence(1)).toBe(before);
  });

  it('refuses a held-schedule write to the terminal and one to its whole bus', async () => {
    const table = { holdOffSeconds: 60, entries: [] } as never;
    const held = field.heldSchedule(ids[1]);
    expect(held).not.toBeNull();
    await expect(held?.write(0, table)).rejects.toMatchObject({ kind: 'start-in-doubt' });
    await expect(field.heldWriteAll(gatewayId, [ids[2], ids[3]], table)).rejects.toMatchObject({
      kind: 'start-in-doubt',
      message: expect.stringContaining(`terminal ${ids[1]}`) as unknown,
    });
  });

  it('leaves the terminal out of a clip transfer and prepares the others each on its own', async () => {
    const before = await lastSequence(1);
    const r = await field.transferClip(gatewayId, [ids[1], ids[2], ids[3]], CLIP);
    expect(r.failed).toEqual([
      { terminalId: ids[1], failure: expect.objectContaining({ kind: 'start-in-doubt' }) as unknown },
    ]);
    expect([...r.stored, ...r.alreadyStored].sort()).toEqual([ids[2], ids[3]].sort());
    expect(r.framesSent.unicast).toBeGreaterThan(0);
    expect(await lastSequence(1)).toBe(before);
  });

  it("lets the dispatch engine's own command through, and everyone's once the start is verified", async () => {
    const own = await field.command(
      ids[1],
      { code: 'volume', volume: 60 },
      { priority: 'emergency', startsRead: true },
    );
    expect(own.accepted).toBe(true);
    await t.dataSource
      .getRepository(DeliveryEntity)
      .update({ broadcastId: BROADCAST }, { state: 'playing', verifiedAt: new Date() });
    const res = await t.http.post(`/api/terminals/${ids[1]}/volume`).set(t.auth(admin)).send({ volume: 65 });
    expect(res.status).toBe(200);
  });
});
