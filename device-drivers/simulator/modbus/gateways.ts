/**
 * Virtual gateways in front of a VirtualBus, on loopback:
 * - Modbus TCP (MBAP, Modbus Messaging on TCP/IP v1.0b §3.1): like a real gateway it queues requests and puts one at
 *   a time on the bus; a unit that does not answer within the gateway's serial timeout gets exception 0x0B
 *   (gateway target device failed to respond); a reply whose CRC fails gets 0x0B as soon as the frame has ended, as
 *   gateways that check the unit's reply do (docs/protocols.md, "How long the driver waits for a reply"), rather
 *   than the rest of the timeout; a unit-0 request is broadcast and answered by nobody.
 * - RTU over TCP (a transparent serial-device server): raw RTU frames, nothing queued — a master that talks while the
 *   bus is busy collides, as on the wire.
 * - RTU on a pseudo-terminal pair made by socat: the same as RTU over TCP on a real serial port.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { Clock } from '../../transport/clock';
import { rtuCrcOk, sealRtu } from '../../modbus-crc';
import { RtuRequestParser } from './rtu-frames';
import type { VirtualBus } from './virtual-bus';

export interface RunningGateway {
  port: number;
  close(): Promise<void>;
  /** Modbus TCP: every connection accepted so far, in order, with the requests it sent (tells two masters apart). */
  connections?(): ConnectionCounters[];
}

export interface ConnectionCounters {
  /** 1 for the first connection the gateway accepted, then 2, … */
  id: number;
  requests: number;
  open: boolean;
}

const MAX_MBAP_QUEUE = 64;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

interface MbapJob {
  socket: Socket;
  header: Buffer;
  rtu: Buffer;
}

/** Splits a Modbus TCP stream into requests for the gateway's queue (`enqueue` false: full), then runs the queue. */
function mbapSession(socket: Socket, enqueue: (job: MbapJob) => boolean, pump: () => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 7) {
      const len = buf.readUInt16BE(4);
      if (buf.readUInt16BE(2) !== 0 || len < 2 || len > 254) {
        socket.destroy(); // not Modbus TCP: drop the connection, as gateways do
        return;
      }
      if (buf.length < 6 + len) break;
      const header = buf.subarray(0, 7);
      const pdu = buf.subarray(7, 6 + len);
      buf = buf.subarray(6 + len);
      if (!enqueue({ socket, header: Buffer.from(header), rtu: sealRtu(header[6], pdu) }))
        socket.write(Buffer.concat([header, Buffer.from([pdu[0] | 0x80, 0x06])])); // server busy
    }
    pump();
  };
}

/** A new connection's counters, appended to the gateway's list. */
function accepted(connections: ConnectionCounters[]): ConnectionCounters {
  const counted: ConnectionCounters = { id: connections.length + 1, requests: 0, open: true };
  connections.push(counted);
  return counted;
}

export interface ModbusTcpOptions {
  host?: string;
  port?: number;
  /** The gateway's own wait for a unit's reply before answering 0x0B. */
  serialTimeoutMs?: number;
  /**
   * A reply that arrives with a bad CRC: 'answer' 0x0B once its frame has ended (default), or 'wait' out the timeout
   * as if nothing had come (a gateway that drops what it cannot check).
   */
  corruptReply?: 'answer' | 'wait';
}

export async function serveModbusTcp(
  bus: VirtualBus,
  clock: Clock,
  opts: ModbusTcpOptions = {},
): Promise<RunningGateway> {
  const sockets = new Set<Socket>();
  const queue: MbapJob[] = [];
  let busy = false;
  const serialTimeoutMs = opts.serialTimeoutMs ?? 100;
  const corruptReply = opts.corruptReply ?? 'answer';
  /** The wait for the unit now asked, cancelled when the gateway closes. */
  let waiting: { cancel(): void } | null = null;

  const pump = (): void => {
    if (busy || queue.length === 0) return;
    const wait = bus.freeAt() - clock.now();
    if (wait > 0) {
      busy = true;
      clock.setTimeout(() => {
        busy = false;
        pump();
      }, wait);
      return;
    }
    const job = queue.shift()!;
    const unit = job.rtu[0];
    if (unit === 0) {
      // broadcast: nobody answers; the bus stays busy for the broadcast delay, which pump() waits out
      bus.transmit(job.rtu, () => undefined);
      pump();
      return;
    }
    busy = true;
    let done = false;
    const finish = (pdu: Buffer | null): void => {
      if (done) return;
      done = true;
      waiting?.cancel();
      if (pdu && !job.socket.destroyed) {
        const header = Buffer.from(job.header);
        header.writeUInt16BE(pdu.length + 1, 4);
        job.socket.write(Buffer.concat([header, pdu]));
      }
      busy = false;
      pump();
    };
    bus.transmit(job.rtu, (reply) => {
      // a reply from another unit is not this one's: the gateway keeps waiting
      if (reply[0] !== unit) return;
      if (rtuCrcOk(reply)) finish(reply.subarray(1, reply.length - 2));
      else if (corruptReply === 'answer') finish(Buffer.from([job.rtu[1] | 0x80, 0x0b]));
    });
    waiting = clock.setTimeout(
      () => finish(Buffer.from([job.rtu[1] | 0x80, 0x0b])),
      serialTimeoutMs + Math.max(0, bus.freeAt() - clock.now()),
    );
  };

  const connections: ConnectionCounters[] = [];
  const server = createServer((socket) => {
    const counted = accepted(connections);
    sockets.add(socket);
    socket.on('close', () => (sockets.delete(socket), (counted.open = false)));
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      mbapSession(
        socket,
        (job) => {
          counted.requests++;
          if (queue.length >= MAX_MBAP_QUEUE) return false;
          queue.push(job);
          return true;
        },
        pump,
      ),
    );
  });
  const close = closer(server, sockets);
  const port = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  const list = () => connections.map((c) => ({ ...c }));
  return { port, close: () => (waiting?.cancel(), close()), connections: list };
}

/**
 * A pause between two chunks long enough to be the line's silence between frames. RTU's own is 3.5 characters (4 ms at
 * 9,600 baud), but a pseudo-terminal or TCP may deliver one frame in pieces a few milliseconds apart, so be generous.
 */
const RTU_IDLE_GAP_MS = 100;

/** Feeds raw RTU bytes from any stream to the bus and writes replies back. */
function rtuSession(bus: VirtualBus, write: (b: Buffer) => void): (chunk: Buffer) => void {
  const parser = new RtuRequestParser();
  let last = -Infinity;
  return (chunk) => {
    const now = performance.now();
    if (now - last > RTU_IDLE_GAP_MS) parser.idle();
    last = now;
    for (const frame of parser.push(chunk)) bus.transmit(frame, write);
  };
}

export async function serveRtuOverTcp(
  bus: VirtualBus,
  opts: { host?: string; port?: number } = {},
): Promise<RunningGateway> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      rtuSession(bus, (b) => socket.destroyed || socket.write(b)),
    );
  });
  const port = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return { port, close: closer(server, sockets) };
}

export interface RunningPty {
  /** The end the driver opens. */
  path: string;
  close(): Promise<void>;
}

/** A socat pseudo-terminal pair: the bus listens on one end, the driver opens `path`. */
export async function servePty(bus: VirtualBus, baudRate = 9600): Promise<RunningPty> {
  const dir = mkdtempSync(join(tmpdir(), 'dalaba-pty-'));
  const devicePath = join(dir, 'device');
  const path = join(dir, 'master');
  const socat: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${path}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    socat.once('error', reject);
    socat.once('exit', (code) => reject(new Error(`socat exited with ${code}: ${log}`)));
    socat.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('starting data transfer loop')) resolve();
    });
  });
  const port = new SerialPort({ path: devicePath, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on(
    'data',
    rtuSession(bus, (b) => port.write(b)),
  );
  return {
    path,
    close: async () => {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
      const exited = once(socat, 'exit');
      socat.kill('SIGTERM');
      await exited;
    },
  };
}
