/**
 * A Modbus connection to one bus through modbus-serial: Modbus TCP (connectTCP, MBAP), RTU over TCP (connectTelnet:
 * raw RTU frames on a socket) or RTU on a serial port (connectRTUBuffered). Unit 0 broadcast is the piece modbus-serial
 * lacks (it waits for a reply that never comes): we hand the sealed frame to its port and do not wait for a reply.
 */
import ModbusRTU from 'modbus-serial';
import type { BusConnection } from '../bus/connection';
import { sealRtu } from '../modbus-crc';
import { LineTiming } from '../transport/line-timing';

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

/** What modbus-serial's ports expose: write of an RTU-formatted frame (the TCP port wraps it in MBAP itself). */
interface RawPort {
  write(data: Buffer): void;
}

/** Allowance for TCP, the gateway's own handling and the event loop, on top of what the wire takes. */
const TRANSPORT_MARGIN_MS = 100;

export class ModbusConnection implements BusConnection {
  private closed = false;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private readonly line: LineTiming;
  private readonly unitWaitMs: number;
  /** Rejects when the connection closes: a request in flight then fails at once instead of waiting out its timeout. */
  private readonly closing: Promise<never>;
  private rejectClosing: (e: Error) => void = () => undefined;

  private constructor(
    private readonly client: ModbusRTU,
    cfg: GatewayConfig,
  ) {
    this.line = new LineTiming({
      baud: cfg.baudRate ?? 9600,
      dataBits: cfg.dataBits ?? 8,
      parity: cfg.parity ?? 'even',
      stopBits: cfg.stopBits ?? 1,
      turnaroundMs: cfg.turnaroundMs ?? 0,
      broadcastDelayMs: cfg.broadcastDelayMs ?? 50,
    });
    this.unitWaitMs = cfg.requestTimeoutMs ?? 1000;
    this.closing = new Promise<never>((_, reject) => (this.rejectClosing = reject));
    this.closing.catch(() => undefined);
    client.on('close', () => this.markClosed('connection closed'));
    client.on('error', (e: unknown) => this.markClosed(e instanceof Error ? e.message : String(e)));
    // modbus-serial's TCP port swallows 'close' after a socket error (a gateway that resets the connection): watch
    // the socket or serial port underneath as well
    const port = (client as unknown as { _port?: { _client?: { on(event: 'close', fn: () => void): void } } })._port;
    port?._client?.on('close', () => this.markClosed('connection closed by the gateway'));
  }

  static async open(cfg: GatewayConfig): Promise<ModbusConnection> {
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
    return new ModbusConnection(client, cfg);
  }

  /**
   * The gateway's request timeout is how long the unit may take to begin its answer; the client waits that plus the
   * wire time of this request and its reply (a signed FC16 block at 9,600 baud is itself ~150 ms on the wire).
   */
  private expect(requestBytes: number, replyBytes: number): void {
    this.client.setTimeout(
      Math.ceil(this.unitWaitMs + this.line.transactionMs(requestBytes, replyBytes)) + TRANSPORT_MARGIN_MS,
    );
  }

  async readHolding(unit: number, address: number, count: number): Promise<number[]> {
    this.client.setID(unit);
    this.expect(8, 5 + 2 * count);
    return (await this.whileOpen(this.client.readHoldingRegisters(address, count))).data;
  }

  async writeRegisters(unit: number, address: number, values: number[]): Promise<void> {
    this.client.setID(unit);
    this.expect(9 + 2 * values.length, 8);
    await this.whileOpen(this.client.writeRegisters(address, values));
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

  /** modbus-serial leaves a request pending when its socket closes; we end it with the connection. */
  private whileOpen<T>(request: Promise<T>): Promise<T> {
    return Promise.race([request, this.closing]).catch((e: unknown) => {
      if (!this.client.isOpen) this.markClosed('port not open');
      throw e;
    });
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
    this.rejectClosing(new Error(`connection closed: ${reason}`));
    for (const fn of this.closeHandlers.splice(0)) fn(reason);
  }
}

function requireField<T>(v: T | undefined, field: string): T {
  if (v === undefined) throw new Error(`gateway config: ${field} is required`);
  return v;
}
