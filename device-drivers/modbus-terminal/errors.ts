/**
 * modbus-serial errors → BusError naming bus, unit and function (PROTOCOL.md §5.3 refusals → 'refused'). A Modbus TCP
 * gateway answers for a unit that is silent behind it with exception 0x0B (target device failed to respond) or 0x0A
 * (path unavailable): that is the unit not answering — a timeout, counted against the unit and backed off — not an
 * answer from it.
 */
import { REFUSAL_CODES } from '../../firmware-protocols/terminal-modbus';
import { BusError } from '../terminal-bus';

export function toBusError(e: unknown, busId: string, unit: number | null, operation: string): BusError {
  if (e instanceof BusError) return e;
  const err = e as { message?: string; modbusCode?: number; errno?: string; name?: string };
  const message = err.message ?? String(e);
  if (typeof err.modbusCode === 'number') {
    const code = err.modbusCode;
    if (code === 0x0a || code === 0x0b) {
      return new BusError(
        'timeout',
        busId,
        unit,
        operation,
        `no answer through the gateway (exception 0x${code.toString(16).padStart(2, '0')}: ${message})`,
        code,
      );
    }
    const kind = REFUSAL_CODES.includes(code) ? 'refused' : 'exception';
    return new BusError(
      kind,
      busId,
      unit,
      operation,
      `exception 0x${code.toString(16).padStart(2, '0')}: ${message}`,
      code,
    );
  }
  if (err.errno === 'ETIMEDOUT' || /timed out/i.test(message))
    return new BusError('timeout', busId, unit, operation, message);
  if (/crc/i.test(message)) return new BusError('crc', busId, unit, operation, message);
  if (/unexpected data|data length|length error/i.test(message))
    return new BusError('short-reply', busId, unit, operation, message);
  if (/port not open|ECONNRESET|EPIPE|closed/i.test(message))
    return new BusError('disconnected', busId, unit, operation, message);
  return new BusError('protocol', busId, unit, operation, message);
}
