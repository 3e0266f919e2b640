/**
 * The device the benchmark's simulated units run: a bank of holding registers that answers reads in range and stores
 * writes. The sweep measures the wire and the scheduler, not the terminal's register map, so the unit behind each
 * address only has to answer a status-sized read like a terminal does (PROTOCOLS.md: status in one read of ≤ 20).
 */
import type { ModbusDevice } from '../simulator/modbus/virtual-bus';

/** Modbus exception 0x02 (illegal data address). */
const ILLEGAL_ADDRESS = 0x02;

export class RegisterBank implements ModbusDevice {
  private readonly words: Uint16Array;

  constructor(size: number, seed: number) {
    this.words = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.words[i] = (seed * 31 + i * 7) & 0xffff;
  }

  readHolding(address: number, count: number): number[] | { exception: number } {
    if (address < 0 || count < 1 || address + count > this.words.length) return { exception: ILLEGAL_ADDRESS };
    return Array.from(this.words.subarray(address, address + count));
  }

  writeRegisters(address: number, values: number[]): { exception: number } | null {
    if (address < 0 || address + values.length > this.words.length) return { exception: ILLEGAL_ADDRESS };
    this.words.set(values, address);
    return null;
  }
}
