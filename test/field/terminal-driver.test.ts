/**
 * The Modbus terminal driver against simulated register-map terminals, the same assertions over Modbus TCP, RTU over
 * TCP and a real socat pseudo-terminal pair: identify, status, a signed play. Broadcast and clip transfer through the
 * driver are covered by test/field/terminal-simulator.test.ts with a stock client until the driver waits out a
 * broadcast's frame time on RTU links.
 */
import { sm2 } from 'sm-crypto-v2';
import { PRIORITY, TERMINAL_STATES } from '../../firmware-protocols/codes';
import type { CommandSigner } from '../../firmware-protocols/terminal-modbus';
import { ModbusTerminalBus, type GatewayConfig } from '../../device-drivers/modbus-terminal';
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
