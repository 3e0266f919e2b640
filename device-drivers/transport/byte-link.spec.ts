import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { openTcp, StreamByteLink } from './byte-link';

describe('StreamByteLink over TCP (loopback, port 0)', () => {
  let server: Server;
  let port: number;
  const peers: Socket[] = [];

  beforeAll(async () => {
    server = createServer((s) => {
      peers.push(s);
      s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    peers.forEach((p) => p.destroy());
    server.close();
    await once(server, 'close');
  });

  it('writes, receives, and reports a close by the peer once, with its state', async () => {
    const link = await openTcp({ host: '127.0.0.1', port });
    expect(link.state()).toBe('open');
    const got = new Promise<Buffer>((resolve) => link.onData(resolve));
    expect(link.write(Uint8Array.from([0x49, 0x01]))).toBe(true);
    expect(await got).toEqual(Buffer.from([...Buffer.from('echo:'), 0x49, 0x01]));
    const reasons: string[] = [];
    const closed = new Promise<void>((resolve) => link.onClose((r) => (reasons.push(r), resolve())));
    peers.at(-1)!.destroy();
    await closed;
    expect(link.state()).toBe('closed');
    expect(link.write(Uint8Array.from([1]))).toBe(false);
    link.onClose((r) => reasons.push(`late:${r}`));
    expect(reasons).toEqual(['closed', 'late:closed']);
  });

  it('names the endpoint when it cannot connect', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const free = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    await expect(openTcp({ host: '127.0.0.1', port: free })).rejects.toThrow(
      `tcp 127.0.0.1:${free}: connect ECONNREFUSED`,
    );
  });
});

describe('StreamByteLink write queue', () => {
  it('closes the link instead of queueing past its cap when the stream does not drain', () => {
    const stream = new PassThrough({ highWaterMark: 1 }); // nobody reads it: writes pile up
    const link = new StreamByteLink('test stream', stream, { maxQueuedBytes: 16 });
    let reason = '';
    link.onClose((r) => (reason = r));
    const results: boolean[] = [];
    for (let i = 0; i < 5 && link.state() === 'open'; i++) {
      results.push(link.write(new Uint8Array(10)));
      expect(link.queued()).toBeLessThanOrEqual(16);
    }
    expect(results.at(-1)).toBe(false);
    expect(results.filter((r) => r)).not.toHaveLength(0);
    expect(link.state()).toBe('closed');
    expect(reason).toMatch(/^test stream: write queue full \(\d+ \+ 10 bytes > 16\)$/);
    expect(stream.destroyed).toBe(true);
  });
});
