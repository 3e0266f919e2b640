/**
 * A Modbus connection to one bus through modbus-serial: Modbus TCP (connectTCP, MBAP), RTU over TCP (connectTelnet:
 * raw RTU frames on a socket) or RTU on a serial port (connectRTUBuffered). Unit 0 broadcast is the piece modbus-serial
 * lacks (it waits for a reply that never comes): we hand the sealed frame to its port and do not wait for a reply.
 * How long a request waits for its reply (docs/protocols.md, "How long the driver waits for a reply"): through a Modbus
 * TCP gateway, the gateway's own request timeout (the gateway holds it; the driver cannot shorten it); on RTU links,
 * the bus's learned reply time (ReplyTimer).
 */
import ModbusRTU from 'modbus-serial';
import type { BusConnection } from '../bus/connection';
import { ReplyTimer } from '../bus/reply-timer';
import { sealRtu } from '../modbus-crc';
import { LineTiming } from '../transport/line-timing';
import { sendRecorded, type RecordedRequest } from './modbus-serial-records';

export interface GatewayConfig {
  kind: 'modbus-tcp' | 'rtu-over-tcp' | 'rtu-serial';
  host?: string;
  port?: number;
  path?: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  requestTimeoutMs?: number;
  turnaroundMs?: number;
  broadcastDelayMs?: number;
}

/**
 * What modbus-serial's ports expose: write of an RTU-formatted frame (the TCP port wraps it in MBAP itself) and, on
 * RTU ports (telnetport.js, rtubufferedport.js), the bytes received and not yet taken as a reply.
 */
interface RawPort {
  write(data: Buffer): void;
  _buffer?: Buffer;
  on?(event: 'data', fn: () => void): void;
}

/** A request whose wait passed: if its reply comes after all, it tells how long that took. */
interface Overdue {
  kind: string;
  unit: number;
  requestBytes: number;
  replyBytes: number;
  began: number;
}

/** Allowance for TCP, the gateway's own handling and the event loop, on top of what the wire takes. */
export const TRANSPORT_MARGIN_MS = 100;

/** Whether the link lets the driver decide how long to wait for a unit (no gateway in between holds its own timeout). */
export function masterTimesReplies(kind: GatewayConfig['kind']): boolean {
  return kind !== 'modbus-tcp';
}

/** The line model of a gateway's bus, as configured (9,600 8E1 when unset). */
export function gatewayLineTiming(cfg: GatewayConfig): LineTiming {
  return new LineTiming({
    baud: cfg.baudRate ?? 9600,
    dataBits: cfg.dataBits ?? 8,
    parity: cfg.parity ?? 'even',
    stopBits: cfg.stopBits ?? 1,
    turnaroundMs: cfg.turnaroundMs ?? 0,
    broadcastDelayMs: cfg.broadcastDelayMs ?? 50,
  });
}

/** A bus's reply timer for a gateway whose link lets the driver time replies; null for a Modbus TCP gateway. */
export function replyTimerFor(cfg: GatewayConfig): ReplyTimer | null {
  if (!masterTimesReplies(cfg.kind)) return null;
  return new ReplyTimer({
    line: gatewayLineTiming(cfg),
    configuredExtraMs: (cfg.requestTimeoutMs ?? 1000) + TRANSPORT_MARGIN_MS,
    transportMarginMs: TRANSPORT_MARGIN_MS,
  });
}

/** What a connection needs besides its gateway: the bus's reply timer (kept across reconnects) and a clock to measure. */
export interface ConnectionTiming {
  replyTimer: ReplyTimer | null;
  now: () => number;
}

export class ModbusConnection implements BusConnection {
  private closed = false;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private readonly line: LineTiming;
  private readonly unitWaitMs: number;
  /**
   * A request in flight fails at once when the connection closes instead of waiting out its timeout: each one waits
   * here until it ends, so a long-lived connection holds only the requests in flight (whileOpen).
   */
  private readonly waitingForClose = new Set<(e: Error) => void>();
  /** Why the connection closed, once it has: a request made after it fails with this. */
  private closedWith: Error | null = null;

  /** The previous request timed out: its late reply may still be on its way, so the next one lets it land first. */
  private overdue: Overdue | null = null;

  private constructor(
    private readonly client: ModbusRTU,
    cfg: GatewayConfig,
    private readonly timing: ConnectionTiming,
  ) {
    this.line = gatewayLineTiming(cfg);
    this.unitWaitMs = cfg.requestTimeoutMs ?? 1000;
    client.on('close', () => this.markClosed('connection closed'));
    client.on('error', (e: unknown) => this.markClosed(e instanceof Error ? e.message : String(e)));
    // modbus-serial's TCP port swallows 'close' after a socket error (a gateway that resets the connection): watch
    // the socket or serial port underneath as well
    const port = (client as unknown as { _port?: { _client?: { on(event: 'close', fn: () => void): void } } })._port;
    port?._client?.on('close', () => this.markClosed('connection closed by the gateway'));
    // an RTU port emits a frame for the unit and function last asked, also once modbus-serial has given up on it: a
    // reply that comes after its wait says the wait was too short, and is learned (the next wait grows)
    (client as unknown as { _port?: RawPort })._port?.on?.('data', () => this.lateReply());
  }

  private lateReply(): void {
    const o = this.overdue;
    if (o === null || this.timing.replyTimer === null) return;
    this.overdue = null;
    this.timing.replyTimer.answered(o.kind, o.unit, o.requestBytes, o.replyBytes, this.timing.now() - o.began);
  }

  static async open(
    cfg: GatewayConfig,
    timing: ConnectionTiming = { replyTimer: replyTimerFor(cfg), now: () => performance.now() },
  ): Promise<ModbusConnection> {
    const client = new ModbusRTU();
    switch (cfg.kind) {
      case 'modbus-tcp':
        await client.connectTCP(requireField(cfg.host, 'host'), { port: requireField(cfg.port, 'port') });
        break;
      case 'rtu-over-tcp':
        await client.connectTelnet(requireField(cfg.host, 'host'), { port: requireField(cfg.port, 'port') });
        break;
      case 'rtu-serial':
        await client.connectRTUBuffered(requireField(cfg.path, 'path'), {
          baudRate: cfg.baudRate ?? 9600,
          parity: cfg.parity ?? 'even',
          dataBits: cfg.dataBits ?? 8,
          stopBits: cfg.stopBits ?? 1,
        });
        break;
    }
    return new ModbusConnection(client, cfg, timing);
  }

  /**
   * Through a Modbus TCP gateway: the gateway's request timeout is how long the unit may take to begin its answer; the
   * client waits that plus the wire time of this request and its reply (a signed FC16 block at 9,600 baud is itself
   * ~150 ms on the wire) and the transport allowance. On RTU links: the bus's learned reply time for this transaction.
   */
  private waitFor(kind: string, unit: number, requestBytes: number, replyBytes: number): { ms: number; basis: string } {
    if (this.timing.replyTimer !== null) return this.timing.replyTimer.waitFor(kind, unit, requestBytes, replyBytes);
    const ms = Math.ceil(this.unitWaitMs + this.line.transactionMs(requestBytes, replyBytes)) + TRANSPORT_MARGIN_MS;
    return { ms, basis: 'gateway' };
  }

  /**
   * A read that times out on a learned wait is asked once more, with the unit's wait doubled (ReplyTimer.timedOut): a
   * serial line's latency may jump past what it taught, and a read is safe to repeat. Writes are never repeated here.
   */
  async readHolding(unit: number, address: number, count: number): Promise<number[]> {
    const send = (): Promise<{ data: number[] }> => this.client.readHoldingRegisters(address, count);
    const read = async (): Promise<number[]> =>
      (await this.transact(requestKind(0x03, address), unit, 8, 5 + 2 * count, send)).data;
    try {
      return await read();
    } catch (e) {
      if ((e as { basis?: unknown }).basis !== 'learned') throw e;
      return read();
    }
  }

  async writeRegisters(unit: number, address: number, values: number[]): Promise<void> {
    const send = (): Promise<unknown> => this.client.writeRegisters(address, values);
    await this.transact(requestKind(0x10, address), unit, 9 + 2 * values.length, 8, send);
  }

  /**
   * One request and its reply, timed: on RTU links the reply time teaches the bus's timer, a timeout doubles the unit's
   * next wait, and a timeout's error says how long was waited. A corrupted RTU reply fails at once: modbus-serial's
   * RTU ports hand over a frame as soon as its length has arrived and index.js rejects it on its CRC ("CRC error").
   * modbus-serial's own record of the request is dropped once it has ended (modbus-serial-records.ts).
   */
  private async transact<T>(
    kind: string,
    unit: number,
    requestBytes: number,
    replyBytes: number,
    send: () => Promise<T>,
  ): Promise<T> {
    const timer = this.timing.replyTimer;
    if (timer !== null) await this.flushStale();
    this.client.setID(unit);
    const wait = this.waitFor(kind, unit, requestBytes, replyBytes);
    this.client.setTimeout(wait.ms);
    const began = this.timing.now();
    let request: RecordedRequest<T> | null = null;
    try {
      request = sendRecorded(this.client, send);
      const reply = await this.whileOpen(request.reply);
      timer?.answered(kind, unit, requestBytes, replyBytes, this.timing.now() - began);
      return reply;
    } catch (e) {
      const err = e as { modbusCode?: unknown; errno?: unknown; message?: unknown };
      // an exception (5 bytes) or a corrupted frame came over the wire: the unit answered, in this time
      if (typeof err.modbusCode === 'number') timer?.answered(kind, unit, requestBytes, 5, this.timing.now() - began);
      else if (typeof err.message === 'string' && /crc/i.test(err.message))
        timer?.answered(kind, unit, requestBytes, replyBytes, this.timing.now() - began);
      if (err.errno === 'ETIMEDOUT') {
        if (timer !== null) {
          this.overdue = { kind, unit, requestBytes, replyBytes, began };
          timer.timedOut(unit);
        }
        throw Object.assign(new Error(`Timed out: no reply within ${wait.ms} ms (${wait.basis} wait)`), {
          errno: 'ETIMEDOUT',
          basis: wait.basis,
        });
      }
      throw e;
    } finally {
      request?.release();
    }
  }

  /**
   * Before an RTU request: bytes left from an earlier reply (a late one after a timeout, a corrupted one) must not be
   * taken for this one's. After a timeout the event loop turns once first, so a late reply already in the socket is
   * read — and dropped — before the new request goes.
   */
  private async flushStale(): Promise<void> {
    if (this.overdue !== null) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.overdue = null;
    }
    const port = (this.client as unknown as { _port?: RawPort })._port;
    if (port?._buffer !== undefined && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
  }

  /** FC16 to unit 0: the frame goes out, no reply is awaited (Modbus broadcast rule). */
  broadcastWrite(address: number, values: number[]): void {
    const pdu = Buffer.alloc(6 + values.length * 2);
    pdu[0] = 0x10;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(values.length, 3);
    pdu[5] = values.length * 2;
    values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + i * 2));
    (this.client as unknown as { _port: RawPort })._port.write(sealRtu(0, pdu));
  }

  /**
   * modbus-serial leaves a request pending when its socket closes; we end it with the connection. The close signal is
   * the request's own and is forgotten when the request ends: a race against one promise that lives as long as the
   * connection would leave a reaction on it, and through it the reply, for every request ever made.
   */
  private whileOpen<T>(request: Promise<T>): Promise<T> {
    let rejectOnClose: (e: Error) => void = () => undefined;
    const closed = new Promise<never>((_, reject) => (rejectOnClose = reject));
    if (this.closedWith !== null) rejectOnClose(this.closedWith);
    else this.waitingForClose.add(rejectOnClose);
    return Promise.race([request, closed]).then(
      (reply) => {
        this.waitingForClose.delete(rejectOnClose);
        return reply;
      },
      (e: unknown) => {
        this.waitingForClose.delete(rejectOnClose);
        if (!this.client.isOpen) this.markClosed('port not open');
        throw e;
      },
    );
  }

  /** Requests now waiting on the connection's close: those in flight (a long-lived connection keeps no others). */
  waitingOnClose(): number {
    return this.waitingForClose.size;
  }

  onClose(fn: (reason: string) => void): void {
    if (this.closed) fn('connection closed');
    else this.closeHandlers.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.client.close(() => undefined);
    this.markClosed('closed by the driver');
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = new Error(`connection closed: ${reason}`);
    for (const reject of this.waitingForClose) reject(this.closedWith);
    this.waitingForClose.clear();
    for (const fn of this.closeHandlers.splice(0)) fn(reason);
  }
}

/** A kind of request, for the reply timer: function code and register block (a status read, a signed command …). */
function requestKind(fc: number, address: number): string {
  return `FC${fc.toString().padStart(2, '0')}@0x${address.toString(16).padStart(4, '0')}`;
}

function requireField<T>(v: T | undefined, field: string): T {
  if (v === undefined) throw new Error(`gateway config: ${field} is required`);
  return v;
}
