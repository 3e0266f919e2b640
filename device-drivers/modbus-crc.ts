/**
 * Modbus RTU CRC-16 and frame sealing, from modbus-serial (we do not re-implement Modbus). Shared by the driver's
 * unit-0 broadcast (which modbus-serial cannot send without awaiting a reply) and the simulator's virtual buses.
 * CRC-16/MODBUS of ASCII "123456789" is 0x4B37 (the CRC catalogue's check value); it travels low byte first.
 */
// modbus-serial ships this helper without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crc16 = require('modbus-serial/utils/crc16') as (data: Uint8Array) => number;

export function modbusCrc(data: Uint8Array): number {
  return crc16(data);
}

/** unit + PDU → RTU frame with its CRC appended (low byte first). */
export function sealRtu(unit: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unit;
  frame.set(pdu, 1);
  frame.writeUInt16LE(crc16(frame.subarray(0, frame.length - 2)), frame.length - 2);
  return frame;
}

/** True when the last two bytes are the CRC of the rest. */
export function rtuCrcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const body = frame.subarray(0, frame.length - 2);
  const crc = frame[frame.length - 2] | (frame[frame.length - 1] << 8);
  return crc16(body) === crc;
}
