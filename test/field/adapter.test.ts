/**
 * Adapter driver ↔ virtual adapter, end to end over loopback TCP (port 0), speaking
 * firmware-protocols/adapter/PROTOCOL.md with real SM2-SM3 signatures.
 */
import { filter, firstValueFrom, take, toArray, type Observable } from 'rxjs';
import type { FrameSigner } from '../../firmware-protocols/adapter';
import { Sm2Signer, Sm2Verifier } from '../../firmware-protocols/signing/signer';
import { AdapterDriver } from '../../device-drivers/adapter/adapter-driver';
import { systemClock, tcpLink } from '../../device-drivers/adapter/ports';
import { VirtualAdapterServer } from '../../device-drivers/simulator/adapter/adapter-server';
import { BusError, type BusEvent } from '../../device-drivers/terminal-bus';

const PLATFORM = '43415230000000101010101';
const ADAPTER = '53415231000000201010101';
const T1 = '63415231002000301010401';
const T2 = '63415231002010301010402';
const BID = '43415230000000101010101202410230001';

const trustedSigner = new Sm2Signer('000000000017', '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
const strangerSigner = new Sm2Signer(
  '000000000099',
  '128b2fa8bd433c6c068c8d803dff79792a519a55171b1b650c23661d15897263',
);
const signer = (s: Sm2Signer): FrameSigner => s;
const verifier = new Sm2Verifier([{ certSerial: trustedSigner.certSerial, publicKey: trustedSigner.publicKey }]);

const next = (events: Observable<BusEvent>, pred: (e: BusEvent) => boolean, n = 1): Promise<BusEvent[]> =>
  firstValueFrom(events.pipe(filter(pred), take(n), toArray()));

describe('adapter driver ↔ virtual adapter over TCP', () => {
  let server: VirtualAdapterServer;
  let driver: AdapterDriver;
  let port: number;

  const makeDriver = (key = trustedSigner, requestTimeoutMs = 1000) =>
    new AdapterDriver(
      {
        busId: 'town-1',
        platformCode: PLATFORM,
        terminals: [T1, T2],
        requestTimeoutMs,
        silenceMs: 2000,
        reconnectInitialMs: 20,
        reconnectMaxMs: 200,
        eventType: '11B03',
      },
      { open: tcpLink('127.0.0.1', port), clock: systemClock, signer: signer(key) },
    );

  beforeEach(async () => {
    server = new VirtualAdapterServer({
      adapterCode: ADAPTER,
      platformCode: PLATFORM,
      terminals: [T1, T2],
      seed: 42,
      clock: systemClock,
      verifier,
      heartbeatMs: 100,
      returnPeriodMs: 100,
    });
    port = await server.listen();
    driver = makeDriver();
    const connected = next(driver.events, (e) => e.type === 'connection' && e.state === 'connected');
    await driver.start();
    await connected;
  });

  afterEach(async () => {
    await driver.stop();
    await server.close();
  });

  it('starts a broadcast on every terminal and reports task start and end', async () => {
    const starts = next(driver.events, (e) => e.type === 'report' && e.report.kind === 'taskStart', 2);
    const result = await driver.command('all', {
      code: 'play',
      source: 'ip',
      priority: 2,
      broadcastClass: 4,
      repeat: 1,
      volume: 80,
      broadcastId: BID,
      endAt: new Date(Date.now() + 60_000),
    });
    expect(result).toMatchObject({ accepted: true, unit: 'all' });
    expect((await starts).map((e) => (e.type === 'report' ? [e.unit, e.report.broadcastId] : null))).toEqual([
      [1, BID],
      [2, BID],
    ]);
    const sent = server.adapter.received[0];
    expect(sent).toMatchObject({
      code: 'broadcast',
      start: true,
      broadcastClass: 4,
      eventType: '11B03',
      level: 2,
      volume: 80,
      targets: [T1, T2],
    });

    const status = await driver.readStatus(1);
    expect(status).toMatchObject({ state: 5, broadcastId: BID, broadcastClass: 4, volume: 80, priority: 4 });

    const ends = next(driver.events, (e) => e.type === 'report' && e.report.kind === 'taskEnd', 1);
    await driver.command(1, { code: 'stop', broadcastId: BID, priority: 2 });
    const [end] = await ends;
    expect(end).toMatchObject({ type: 'report', unit: 1, report: { kind: 'taskEnd', broadcastId: BID } });
  });

  it('answers a status query with the TLV reply, and identifies a terminal', async () => {
    await driver.command(2, { code: 'volume', volume: 35 });
    await driver.command(2, { code: 'amplifier', on: false });
    const status = await driver.readStatus(2);
    expect(status).toMatchObject({ state: 1, volume: 35, broadcastId: null, faults: [], priority: 15 });
    expect(status.supplyVoltage).toBeGreaterThan(20);
    expect(status.clock).toBeInstanceOf(Date);
    expect(server.adapter.terminals.get(T2)?.amplifierOn).toBe(false);
    await expect(driver.identify(1)).resolves.toMatchObject({ vendor: '仿真', model: 'VA-1', resourceCode: T1 });
  });

  it('surfaces heartbeats and 回传 fault reports as events', async () => {
    const beat = next(
      driver.events,
      (e) => e.type === 'report' && e.unit === 0 && e.report.kind === 'adapterHeartbeat',
    );
    await beat;
    const fault = next(driver.events, (e) => e.type === 'report' && e.report.kind === 'fault');
    const faultStatus = next(driver.events, (e) => e.type === 'status' && e.unit === 1 && e.status.state === 3);
    server.adapter.setFault(T1, 16, true);
    expect((await fault)[0]).toMatchObject({ unit: 1, report: { fault: 'speakerLineOpen' } });
    expect((await faultStatus)[0]).toMatchObject({ status: { faults: ['speakerLineOpen'] } });
  });

  it('survives a garbage burst on the line', async () => {
    server.garbageBurst(4000);
    const beat = next(driver.events, (e) => e.type === 'report' && e.report.kind === 'adapterHeartbeat');
    await beat;
    await expect(driver.readStatus(1)).resolves.toMatchObject({ state: 1 });
    expect(driver.connectionState()).toBe('connected');
  });

  it('re-establishes a dropped connection by itself', async () => {
    const down = next(driver.events, (e) => e.type === 'connection' && e.state === 'disconnected');
    const up = next(driver.events, (e) => e.type === 'connection' && e.state === 'connected');
    server.dropConnections();
    await down;
    await up;
    expect(server.connections).toBe(2);
    await expect(driver.readStatus(2)).resolves.toMatchObject({ state: 1 });
  });

  it('is refused by the adapter when signed with an unknown key', async () => {
    const intruder = makeDriver(strangerSigner);
    await intruder.start();
    await expect(intruder.command(1, { code: 'volume', volume: 1 })).rejects.toThrow(
      /bus town-1 unit 1 command volume: adapter answered result 2/,
    );
    await intruder.stop();
    expect(server.adapter.counters.refused).toBe(1);
    expect(server.adapter.terminals.get(T1)?.volume).not.toBe(1);
  });

  it('times out, naming bus, unit and function, when replies arrive with a bad CRC', async () => {
    const fast = makeDriver(trustedSigner, 150);
    await fast.start();
    server.setMode('bad-crc');
    const crc = next(fast.events, (e) => e.type === 'error' && e.error === 'crc');
    const err = await fast.readStatus(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect(err).toMatchObject({ kind: 'timeout', busId: 'town-1', unit: 1, operation: 'readStatus' });
    await crc;
    await fast.stop();
  });

  it('drops and reopens the link when a dead adapter falls silent', async () => {
    const watchful = new AdapterDriver(
      {
        busId: 'town-2',
        platformCode: PLATFORM,
        terminals: [T1],
        silenceMs: 150,
        reconnectInitialMs: 10,
        reconnectMaxMs: 50,
      },
      { open: tcpLink('127.0.0.1', port), clock: systemClock, signer: signer(trustedSigner) },
    );
    await watchful.start();
    server.setMode('dead');
    const silence = next(watchful.events, (e) => e.type === 'error' && e.error === 'timeout');
    const back = next(watchful.events, (e) => e.type === 'connection' && e.state === 'connected');
    expect((await silence)[0]).toMatchObject({
      busId: 'town-2',
      message: expect.stringMatching(/no frame from the adapter for 150 ms/),
    });
    await back;
    server.setMode('none');
    await expect(watchful.readStatus(1)).resolves.toMatchObject({ state: 1 });
    await watchful.stop();
  });

  it('refuses what the adapter family cannot do, by name', async () => {
    await expect(driver.command(1, { code: 'reboot' })).rejects.toThrow(/no reboot command/);
    await expect(driver.readStatus(3)).rejects.toThrow(/no terminal 3/);
    await expect(driver.readRegisters(1)).rejects.toMatchObject({ kind: 'protocol' });
  });
});
