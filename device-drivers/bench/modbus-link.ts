/**
 * A Modbus TCP connection to one gateway, as modbus-serial opens it, in the shape the bus scheduler keeps open
 * (BusConnection), and the mapping of modbus-serial's failures to BusError kinds.
 */
import ModbusRTU from 'modbus-serial';
import type { BusConnection } from '../bus/connection';
import type { BusErrorKind } from '../terminal-bus';

export class ModbusTcpLink implements BusConnection {
  private constructor(readonly client: ModbusRTU) {}

  static async open(host: string, port: number, timeoutMs: number): Promise<ModbusTcpLink> {
    const client = new ModbusRTU();
    await client.connectTCP(host, { port });
    client.setTimeout(timeoutMs);
    return new ModbusTcpLink(client);
  }

  onClose(fn: (reason: string) => void): void {
    this.client.on('close', () => fn('gateway closed the connection'));
  }

  close(): void {
    this.client.close(() => undefined);
  }
}

/** Exception 0x0A/0x0B: the gateway found no answer on its bus (a dead unit, or a frame lost to noise). */
const GATEWAY_NO_ANSWER = new Set([0x0a, 0x0b]);

export function failureKind(e: unknown): BusErrorKind {
  if (typeof e !== 'object' || e === null) return 'protocol';
  const err = e as { modbusCode?: number; errno?: string; message?: string };
  if (typeof err.modbusCode === 'number') return GATEWAY_NO_ANSWER.has(err.modbusCode) ? 'timeout' : 'exception';
  if (err.errno === 'ETIMEDOUT') return 'timeout';
  if (err.errno === 'ECONNREFUSED' || err.errno === 'ECONNRESET' || err.errno === 'EPIPE') return 'disconnected';
  if (typeof err.message === 'string' && /crc/i.test(err.message)) return 'crc';
  return 'protocol';
}

export function failureMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String(e.message);
  return String(e);
}
