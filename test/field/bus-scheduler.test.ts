/**
 * The bus scheduler's promises on a simulated village bus of 12 terminals behind a Modbus TCP gateway, line timing on
 * (9,600 baud 8E1, turnaround 10 ms): the real driver (ModbusTerminalBus) swept by the real Sweeper.
 * - a dead unit costs a sweep at most one timeout, and the next sweeps skip it;
 * - an emergency command submitted mid-sweep starts on the wire within one transaction plus turnaround;
 * - a gateway killed and restarted mid-sweep is reconnected by itself and the sweeps resume.
 * Times come from the sweeper's summaries and the simulated wire's own record of each frame, bounds from the
 * line-timing model; the suite waits on events, never on the clock.
 */
import { filter, firstValueFrom, skip, take, toArray } from 'rxjs';
import { sm2, sm3 } from 'sm-crypto-v2';
import { PRIORITY } from '../../firmware-protocols/codes';
import { REGISTERS, type CommandSigner } from '../../firmware-protocols/terminal-modbus';
import { Sweeper, type SweepSummary } from '../../device-drivers/bus';
import { ModbusTerminalBus } from '../../device-drivers/modbus-terminal';
import { developmentCertificate, startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { WireFrame } from '../../device-drivers/simulator/modbus/virtual-bus';
import { lineTimingOf, type SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import type { BusEvent, ConnectionState } from '../../device-drivers/terminal-bus';

jest.setTimeout(30_000);

const SEED = 5;
const cert = developmentCertificate(SEED);
const signer: CommandSigner = {
  certSerial: cert.serial,
  sign: (data) => ({
    signature: Buffer.from(
      sm2.doSignature(data, cert.privateKeyHex, { der: false, hash: true, userId: '1234567812345678' }),
      'hex',
    ),
  }),
};
const county = referenceCounty();
const shape = { ...county, gateways: county.gateways.slice(1, 2) }; // a village bus of 12 terminals
const g = shape.gateways[0];
const UNITS = g.terminals.map((t) => t.unitId);
const DEAD = 5;
const timing = lineTimingOf(g);
/** One status poll on the wire (PROTOCOL.md §3: an 8-byte FC03 request, a 45-byte reply). */
const POLL_MS = timing.transactionMs(8, 5 + 2 * REGISTERS.status.count);
/** What the driver allows a unit that does not answer: the gateway's wait for it plus the transaction's wire time. */
const TIMEOUT_MS = g.requestTimeoutMs + POLL_MS;

const FC_READ = 0x03;
const FC_WRITE = 0x10;
const lasted = (s: SweepSummary): number => s.endedAt - s.startedAt;
const isConnection =
  (state: ConnectionState) =>
  (e: BusEvent): boolean =>
    e.type === 'connection' && e.state === state;

describe('bus scheduler and sweeper on a simulated village bus (Modbus TCP, line timing on)', () => {
  let net: SimulatedNetwork;
  let bus: ModbusTerminalBus;
  let sweeper: Sweeper;
  let sequence = 0;
  const wire: WireFrame[] = [];
  const framesBetween = (from: number, to: number): WireFrame[] => wire.filter((f) => f.at >= from && f.at <= to);

  beforeAll(async () => {
    ({ network: net } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: SEED,
      deadFraction: 0,
      noise: 0,
      transport: 'modbus-tcp',
    }));
    net.gateways[0].bus.watch((f) => wire.push(f));
    bus = new ModbusTerminalBus({
      busId: g.name,
      gateway: {
        kind: 'modbus-tcp',
        host: '127.0.0.1',
        port: net.gateways[0].port,
        baudRate: g.baudRate,
        parity: g.parity,
        dataBits: g.dataBits,
        stopBits: g.stopBits,
        requestTimeoutMs: g.requestTimeoutMs,
        turnaroundMs: g.turnaroundMs,
        broadcastDelayMs: g.broadcastDelayMs,
      },
      clock: systemClock,
      signer,
      nextSequence: () => ++sequence,
    });
    await bus.start();
    sweeper = new Sweeper({ bus, clock: systemClock, units: UNITS });
  });

  afterAll(async () => {
    await sweeper?.stop();
    await bus?.stop();
    await net?.stop();
  });

  it('spends at most one timeout on a dead unit in a sweep, then backs it off: the next sweep spends nothing on it', async () => {
    net.setFault(0, DEAD, 'dead'); // dead before the bus has ever heard it
    sweeper.setUnits(UNITS.filter((u) => u !== DEAD));
    const without = await sweeper.sweepOnce();
    sweeper.setUnits(UNITS);
    const first = await sweeper.sweepOnce();
    const next = await sweeper.sweepOnce();

    expect(without).toMatchObject({ units: 11, ok: 11, failed: 0 });
    expect(first).toMatchObject({ units: 12, ok: 11, failed: 1, skipped: 0 });
    expect(next).toMatchObject({ units: 12, ok: 11, failed: 0, skipped: 1 });
    const toDead = (s: SweepSummary) => framesBetween(s.startedAt, s.endedAt).filter((f) => f.unit === DEAD);
    expect(toDead(first).map((f) => f.outcome)).toEqual(['unanswered']);
    expect(toDead(next)).toEqual([]);
    expect(lasted(first) - lasted(without)).toBeLessThanOrEqual(TIMEOUT_MS);
    // the next sweep polls the same 11 live units as the sweep without it: not even one transaction longer
    expect(lasted(next) - lasted(without)).toBeLessThan(POLL_MS);
    net.setFault(0, DEAD, 'none');
  });

  it('stores a 4 KB clip (17 chunks) on every unit through the gateway (150 ms unit wait): the broadcast chunks are paced to the line, so nothing queues up in the gateway behind them', async () => {
    const data = Buffer.from(Array.from({ length: 4_000 }, (_, i) => (i * 31) % 251));
    const clip = { clipId: 4242, codec: 'opus-16k', digest: sm3(data), data };
    const from = systemClock.now();
    const r = await bus.transferClip(UNITS, clip, { priority: 'transfer' });
    expect(r.failed).toEqual([]);
    expect([...r.stored, ...r.alreadyStored].sort((a, b) => a - b)).toEqual(UNITS);
    // every broadcast chunk went on the wire after the previous one had left it: none collided, none waited in the gateway
    const chunks = framesBetween(from, systemClock.now()).filter((f) => f.unit === 0);
    expect(chunks.length).toBeGreaterThanOrEqual(r.framesSent.broadcast);
    expect(chunks.every((f) => f.outcome === 'broadcast')).toBe(true);
  });

  it('starts an emergency command submitted mid-sweep within one transaction plus turnaround', async () => {
    sweeper.start();
    for (const unit of [3, 8, 11]) {
      await firstValueFrom(sweeper.outcomes.pipe(skip(2))); // mid-sweep: a poll on the wire, another queued behind it
      const block = bus.sign({
        code: 'play',
        source: 'tone',
        priority: 1,
        broadcastClass: 1,
        volume: 90,
        clipId: 0,
        sourceParam: 0,
        repeat: 1,
        startAt: null,
        endAt: null,
        broadcastId: null,
      });
      const submittedAt = systemClock.now();
      expect(await bus.writeSigned(unit, block, 'FC16 command play', { priority: 'emergency' })).toMatchObject({
        accepted: true,
        unit,
      });
      const started = wire.find((f) => f.fc === FC_WRITE && f.unit === unit && f.at >= submittedAt);
      expect(started).toBeDefined();
      const delay = started!.at - submittedAt;
      expect(delay).toBeLessThanOrEqual(POLL_MS + timing.turnaroundMs);
      // nothing but the poll already handed to the gateway went on the wire before it
      expect(framesBetween(submittedAt, started!.at - 0.001).every((f) => f.fc === FC_READ)).toBe(true);
      expect(framesBetween(submittedAt, started!.at - 0.001).length).toBeLessThanOrEqual(1);
    }
    const status = await bus.readStatus(8, { priority: 'command' });
    expect(status).toMatchObject({ priority: 1, source: 'tone' });
    expect(status.priority).toBeLessThan(PRIORITY.drill);
  });

  it('reconnects by itself to a gateway killed and restarted mid-sweep, and the sweeps resume', async () => {
    sweeper.start(); // already running: no second loop
    await firstValueFrom(sweeper.outcomes.pipe(skip(3)));
    const down = firstValueFrom(bus.events.pipe(filter(isConnection('disconnected'))));
    await net.killGateway(0);
    await down;
    expect(bus.connectionState()).not.toBe('connected');

    const up = firstValueFrom(bus.events.pipe(filter(isConnection('connected'))));
    await net.reviveGateway(0);
    const reconnectedAt = (await up).at;
    const [interrupted, resumed] = await firstValueFrom(
      sweeper.sweeps.pipe(
        filter((s) => s.endedAt >= reconnectedAt),
        take(2),
        toArray(),
      ),
    );
    // the sweep cut by the drop finished once the gateway was back; the one after it reached every unit
    expect(interrupted.units).toBe(12);
    expect(resumed).toMatchObject({ units: 12, failed: 0 });
    expect(resumed.ok + resumed.skipped).toBe(12);
    expect(resumed.startedAt).toBeGreaterThanOrEqual(reconnectedAt);
    await sweeper.stop();
  });
});
