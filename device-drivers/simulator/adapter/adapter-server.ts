/**
 * Serves a VirtualAdapter on loopback TCP (port 0 by default), with named fault modes:
 * - `none`: obeys the protocol;
 * - `dead`: accepts connections but never answers nor beats (an adapter hung or powered off behind a live modem);
 * - `bad-crc`: every frame it sends carries a wrong CRC;
 * plus one-shot actions: a garbage burst on the line, and dropping every connection.
 * Garbage is drawn from the seeded generator, so a run is the same for the same seed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { AdapterStreamParser } from '../../../firmware-protocols/adapter';
import { socketLink, type ByteLink } from '../../adapter/ports';
import { SeededRandom } from './random';
import { VirtualAdapter, type VirtualAdapterOptions } from './virtual-adapter';

export type AdapterFaultMode = 'none' | 'dead' | 'bad-crc';

export interface AdapterServerOptions extends VirtualAdapterOptions {
  host?: string;
  port?: number;
}

export class VirtualAdapterServer {
  readonly adapter: VirtualAdapter;
  private readonly server: Server;
  private readonly links = new Set<ByteLink>();
  private readonly sockets = new Set<Socket>();
  private readonly rng: SeededRandom;
  private mode: AdapterFaultMode = 'none';
  /** Bytes that arrived with a bad CRC or as garbage, as the adapter's parser counted them. */
  readonly lineErrors = { crcErrors: 0, garbageBytes: 0 };
  connections = 0;

  constructor(private readonly opts: AdapterServerOptions) {
    this.adapter = new VirtualAdapter(opts);
    this.rng = new SeededRandom(opts.seed ^ 0x5eed);
    this.server = createServer((socket) => this.accept(socket));
    this.adapter.onFrame((frame) => this.broadcast(frame));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.adapter.startHeartbeats();
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('virtual adapter: no TCP address');
    return addr.port;
  }

  async close(): Promise<void> {
    this.adapter.stop();
    this.dropConnections();
    for (const l of this.links) l.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setMode(mode: AdapterFaultMode): void {
    this.mode = mode;
  }

  /** Sends `bytes` of seeded garbage to every connected platform, now. */
  garbageBurst(bytes: number): void {
    const junk = this.rng.bytes(bytes);
    for (const l of this.links) l.write(junk);
  }

  /** Closes every TCP connection (attached links other than sockets stay: a serial line does not drop). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.attach(socketLink(socket));
  }

  /** Serves the adapter on any open link as well (a serial port, one end of a pseudo-terminal pair). */
  attach(link: ByteLink): void {
    this.connections++;
    const parser = new AdapterStreamParser(['command']);
    this.links.add(link);
    link.onClose(() => this.links.delete(link));
    link.onData((chunk) => {
      const before = { ...parser.stats };
      const items = parser.push(chunk);
      this.lineErrors.crcErrors += parser.stats.crcErrors - before.crcErrors;
      this.lineErrors.garbageBytes += parser.stats.garbageBytes - before.garbageBytes;
      if (this.mode === 'dead') return;
      for (const item of items) if (item.kind === 'command') this.adapter.handle(item.frame);
    });
  }

  private broadcast(frame: Buffer): void {
    if (this.mode === 'dead') return;
    const out = this.mode === 'bad-crc' ? corruptCrc(frame) : frame;
    for (const l of this.links) l.write(out);
  }
}

function corruptCrc(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  out[out.length - 1] ^= 0xff;
  return out;
}
