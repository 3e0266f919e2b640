/**
 * The version 2 receive block and bitmap pages (firmware-protocols/terminal-modbus/PROTOCOL.md §6.3) as a Modbus tool we
 * did not write reads them: mbpoll against a simulated terminal behind the virtual Modbus TCP gateway, receiving a clip
 * of 2,000 chunks with chunks 0, 1,935, 1,936 and 1,999 missing — the same reads as the layout vector of
 * vectors/clips.json, and the identity's map version (reg 39).
 */
import { execFile } from 'node:child_process';
import { sm3 } from 'sm-crypto-v2';
import { serveModbusTcp, type RunningGateway } from '../../device-drivers/simulator/modbus/gateways';
import { VirtualBus } from '../../device-drivers/simulator/modbus/virtual-bus';
import { wireTerminals } from '../../device-drivers/simulator/terminal/in-process-wire';
import { systemClock } from '../../device-drivers/transport/clock';
import { LineTiming } from '../../device-drivers/transport/line-timing';
import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import { buildCommandBlock, encodeChunkFrame, REGISTERS } from '../../firmware-protocols/terminal-modbus';
import { describeWith } from '../support/capabilities';

/** mbpoll's reading of `count` holding registers at 0-based `address`: the values, or its error line. */
function mbpoll(port: number, address: number, count: number): Promise<string> {
  const args = ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-r', String(address), '-c', String(count)];
  return new Promise((resolve) =>
    execFile('mbpoll', [...args, '-t', '4:hex', '-1', '-o', '2', '127.0.0.1'], (_e, out, err) => {
      const lines = `${out}\n${err}`.split('\n');
      const values = lines.flatMap((l) => /^\[\d+\]:\s+0x([0-9A-F]{4})/.exec(l)?.[1].toLowerCase() ?? []);
      resolve(values.length > 0 ? values.join('') : (lines.find((l) => /failed/.test(l)) ?? lines.join(' ')).trim());
    }),
  );
}

describeWith(['mbpoll'], 'register map version 2 read by mbpoll (PROTOCOL.md §6.3)', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    const signer = new Sm2Signer('202400000019', generateKeyPair().privateKey);
    const t = wireTerminals({ units: [1], certSerial: signer.certSerial, publicKeyHex: signer.publicKey }).get(1)!;
    const data = Buffer.alloc(480_000);
    const prepare = buildCommandBlock(
      1,
      { code: 'prepare-clip', clipId: 11, codec: 'opus-16k', size: data.length, digest: sm3(data) },
      { signer, time: new Date() },
    );
    expect(t.writeRegisters(REGISTERS.command.address, prepare, 0, false)).toBeNull();
    const missing = new Set([0, 1935, 1936, 1999]);
    for (let i = 0; i < 2000; i++)
      if (!missing.has(i)) t.writeRegisters(REGISTERS.chunk.address, encodeChunkFrame(11, i, data), 0, true);
    const timing = new LineTiming({
      baud: 115_200,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
      turnaroundMs: 0,
      broadcastDelayMs: 1,
    });
    const bus = new VirtualBus({ timing, clock: systemClock });
    bus.attach(1, t);
    gateway = await serveModbusTcp(bus, systemClock, { host: '127.0.0.1', port: 0 });
  });

  afterAll(() => gateway.close());

  it('reads header, mirror and pages as the vectors say, and gets exception 0x02 in the gaps', async () => {
    const read = (address: number, count: number) => mbpoll(gateway.port, address, count);
    expect(await read(0x0500, 5)).toBe('000b000107d000040001');
    expect(await read(0x057c, 1)).toBe('8000');
    expect(await read(0x1000 + 120, 5)).toBe('80000001000000008000');
    expect(await read(0x057d, 1)).toMatch(/Illegal data address/);
    expect(await read(0x0fff, 2)).toMatch(/Illegal data address/);
    expect(await read(REGISTERS.identity.mapVersionAt, 1)).toBe('0002');
  });
});
