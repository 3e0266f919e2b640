/**
 * The Modbus terminal driver against simulated register-map terminals, the same assertions over Modbus TCP, RTU over
 * TCP and a real socat pseudo-terminal pair: identify, status, a signed play; on the RTU links, a silent unit costs the
 * bus's learned reply time, not the configured request timeout. Broadcast and clip transfer through the
 * driver are covered by test/field/terminal-simulator.test.ts with a stock client until the driver waits out a
 * broadcast's frame time on RTU links.
 */
import { sm2 } from 'sm-crypto-v2';
import { PRIORITY, TERMINAL_STATES } from '../../firmware-protocols/codes';
import type { CommandSigner } from '../../firmware-protocols/terminal-modbus';
import { ModbusTerminalBus, type GatewayConfig } from '../../device-drivers/modbus-terminal';
import { BusError } from '../../device-drivers/terminal-bus';
import { LineTiming } from '../../device-drivers/transport/line-timing';
import { developmentCertificate, startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { servePty, type RunningPty } from '../../device-drivers/simulator/modbus/gateways';
import type { GatewayTransport, SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { describeWith } from '../support/capabilities';

const SEED = 11;
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
const shape = { ...county, gateways: county.gateways.slice(1, 2) };
const line = {
  baudRate: 9600,
  parity: 'even' as const,
  dataBits: 8 as const,
  stopBits: 1 as const,
  requestTimeoutMs: 1500,
  turnaroundMs: 10,
  broadcastDelayMs: 50,
};

function driverSuite(
  transport: GatewayTransport,
  gatewayOf: (net: SimulatedNetwork) => Promise<{ gateway: GatewayConfig; close: () => Promise<void> }>,
): void {
  let net: SimulatedNetwork;
  let bus: ModbusTerminalBus;
  let close: () => Promise<void>;
  let kind: GatewayConfig['kind'];
  let sequence = 0;

  beforeAll(async () => {
    ({ network: net } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: SEED,
      deadFraction: 0,
      noise: 0,
      transport,
    }));
    const g = await gatewayOf(net);
    close = g.close;
    kind = g.gateway.kind;
    bus = new ModbusTerminalBus({
      busId: 'village-bus',
      gateway: g.gateway,
      clock: systemClock,
      signer,
      nextSequence: () => ++sequence,
    });
    await bus.start();
  });
  afterAll(async () => {
    await bus.stop();
    await close();
    await net.stop();
  });

  it('identifies a terminal and reads its status', async () => {
    expect((await bus.identify(3)).resourceCode).toBe(shape.gateways[0].terminals[2].resourceCode);
    expect(await bus.readStatus(3)).toMatchObject({ state: TERMINAL_STATES.normal, priority: PRIORITY.idle });
  });

  it('commands a play that the terminal obeys', async () => {
    const r = await bus.command(4, {
      code: 'play',
      source: 'fm',
      sourceParam: 9860,
      priority: 6,
      broadcastClass: 5,
      repeat: 0,
      volume: 70,
      broadcastId: null,
    });
    expect(r.accepted).toBe(true);
    expect(await bus.readStatus(4)).toMatchObject({ state: TERMINAL_STATES.broadcasting, priority: 6 });
  });

  it('waits for a silent unit the reply time it learned on RTU links, the gateway’s own timeout through Modbus TCP', async () => {
    // replies to learn from (one that a loaded machine delays past its wait is learned when it comes)
    for (const unit of [1, 2, 3, 5, 6, 7]) await bus.readStatus(unit).catch(() => null);
    net.setFault(0, 8, 'dead');
    const learned = bus.replyTiming();
    const silent = await bus.readStatus(8).then(
      () => null,
      (e: unknown) => e,
    );
    expect(silent).toBeInstanceOf(BusError);
    expect(silent).toMatchObject({ kind: 'timeout', unit: 8 });
    if (kind === 'modbus-tcp') {
      // the gateway holds the wait and answers 0x0B when its own timeout has passed: the driver learns nothing
      expect(learned).toBeNull();
      expect((silent as BusError).message).toMatch(/exception 0x0b/);
      return;
    }
    // an FC03 status read: 8-byte request, 45-byte reply (20 registers)
    const model = new LineTiming({ baud: 9600, turnaroundMs: 10, broadcastDelayMs: 50 }).transactionMs(8, 45);
    const configured = Math.ceil(model + line.requestTimeoutMs + 100);
    // what the bus learned of its status reads (FC03 of the status block at 0x0100)
    const status = learned?.learned['FC03@0x0100'];
    expect(status?.samples).toBeGreaterThanOrEqual(1);
    const srtt = status?.srttMs ?? NaN;
    const rttvar = status?.rttvarMs ?? NaN;
    const learnedMs = model + srtt + Math.max(10, 4 * rttvar);
    const wait = Math.ceil(learnedMs);
    expect(wait).toBeLessThan(configured);
    // the read timed out on the learned wait, was asked once more with the unit's wait doubled (RFC 6298 §5.5), and
    // that is the wait its error names
    expect(Math.ceil(2 * learnedMs)).toBeLessThan(configured);
    expect((silent as BusError).message).toContain(`no reply within ${Math.ceil(2 * learnedMs)} ms (learned wait)`);
    // the unit's next wait is doubled again (up to the configured one), the others' are not
    const next = await bus.readStatus(8, { tryBackedOff: true }).then(
      () => null,
      (e: unknown) => e,
    );
    const waited = Number(/no reply within (\d+) ms/.exec((next as BusError).message)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(Math.min(configured, Math.ceil(4 * learnedMs)));
    net.setFault(0, 8, 'none');
  });
}

describe('driver over Modbus TCP', () => {
  driverSuite('modbus-tcp', (net) =>
    Promise.resolve({
      gateway: { kind: 'modbus-tcp', host: '127.0.0.1', port: net.gateways[0].port, ...line },
      close: () => Promise.resolve(),
    }),
  );
});

describe('driver over RTU over TCP', () => {
  driverSuite('rtu-over-tcp', (net) =>
    Promise.resolve({
      gateway: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: net.gateways[0].port, ...line },
      close: () => Promise.resolve(),
    }),
  );
});

describeWith(['socat'], 'driver over a socat pseudo-terminal pair', () => {
  driverSuite('rtu-over-tcp', async (net) => {
    const pty: RunningPty = await servePty(net.gateways[0].bus);
    return { gateway: { kind: 'rtu-serial', path: pty.path, ...line }, close: () => pty.close() };
  });
});
