/**
 * A raw byte transport over TCP or a serial port (docs/protocols.md): open, write, data and close events, a
 * connection state, and a bounded write queue — what the stream will not take at once waits in memory up to
 * `maxQueuedBytes`, beyond which the link is closed (house rule: every buffer a cap) rather than grow without end.
 * Structurally a ByteLink (adapter/ports.ts) and a BusConnection (bus/connection.ts), so either can take it.
 * Reconnecting is not done here: the bus scheduler's ConnectionSupervisor reopens through `openTcp`/`openSerial`.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';

export type LinkState = 'open' | 'closed';

export interface ByteLinkOptions {
  /** Bytes that may wait for the stream to drain; more closes the link. */
  maxQueuedBytes?: number;
}

export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024;

export class StreamByteLink {
  private linkState: LinkState = 'open';
  private closeReason = 'closed';
  private readonly closers: ((reason: string) => void)[] = [];
  private readonly maxQueued: number;

  constructor(
    readonly name: string,
    private readonly stream: Duplex,
    opts: ByteLinkOptions = {},
  ) {
    this.maxQueued = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    stream.on('error', (e: Error) => {
      this.closeReason = e.message;
    });
    stream.once('close', () => this.closed());
  }

  state(): LinkState {
    return this.linkState;
  }

  /** Bytes handed to the stream that it has not yet taken. */
  queued(): number {
    return this.stream.writableLength;
  }

  /** Writes; false when the link is closed or the write queue would pass its cap (the link is then closed). */
  write(data: Uint8Array): boolean {
    if (this.linkState !== 'open') return false;
    if (this.queued() + data.length > this.maxQueued) {
      this.closeReason = `${this.name}: write queue full (${this.queued()} + ${data.length} bytes > ${this.maxQueued})`;
      this.close();
      return false;
    }
    this.stream.write(Buffer.from(data));
    return true;
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.stream.on('data', fn);
  }

  /** Called once when the link closes, for whatever reason (a listener added after that is called at once). */
  onClose(fn: (reason: string) => void): void {
    if (this.linkState === 'closed') fn(this.closeReason);
    else this.closers.push(fn);
  }

  close(): void {
    if (this.linkState === 'closed') return;
    this.stream.destroy();
    this.closed();
  }

  private closed(): void {
    if (this.linkState === 'closed') return;
    this.linkState = 'closed';
    for (const fn of this.closers.splice(0)) fn(this.closeReason);
  }
}

export interface TcpEndpoint extends ByteLinkOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

/** Connects to host:port (a serial-device server, a TCP adapter), failing after connectTimeoutMs. */
export function openTcp(ep: TcpEndpoint): Promise<StreamByteLink> {
  const name = `tcp ${ep.host}:${ep.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ep.host, port: ep.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${name}: connect timed out after ${ep.connectTimeoutMs ?? 3000} ms`));
    }, ep.connectTimeoutMs ?? 3000);
    const failed = (e: Error): void => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${e.message}`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', failed);
      socket.setNoDelay(true);
      resolve(new StreamByteLink(name, socket, ep));
    });
  });
}

export interface SerialEndpoint extends ByteLinkOptions {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** Opens a serial port (RS-232/RS-485), 8N1 unless told otherwise. */
export function openSerial(ep: SerialEndpoint): Promise<StreamByteLink> {
  const name = `serial ${ep.path}`;
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: ep.path,
      baudRate: ep.baudRate,
      dataBits: ep.dataBits ?? 8,
      parity: ep.parity ?? 'none',
      stopBits: ep.stopBits ?? 1,
      autoOpen: false,
    });
    port.open((err) => {
      if (err) reject(new Error(`${name}: ${err.message}`));
      else resolve(new StreamByteLink(name, port, ep));
    });
  });
}
