/**
 * Registers ↔ bytes (PROTOCOL.md §1): big-endian words, u32 high word first, strings packed two bytes per register.
 */
export class TerminalCodecError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`terminal-modbus ${field}: ${detail}`);
    this.name = 'TerminalCodecError';
  }
}

export function registersToBytes(regs: readonly number[]): Buffer {
  const out = Buffer.alloc(regs.length * 2);
  regs.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r > 0xffff)
      throw new TerminalCodecError(`register[${i}]`, `not a 16-bit value: ${r}`);
    out.writeUInt16BE(r, i * 2);
  });
  return out;
}

/** Odd lengths are padded with a zero low byte. */
export function bytesToRegisters(bytes: Uint8Array): number[] {
  const regs: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) regs.push((bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0));
  return regs;
}

export function expectCount(regs: readonly number[], count: number, field: string): void {
  if (regs.length !== count) throw new TerminalCodecError(field, `expected ${count} registers, got ${regs.length}`);
}

export function checkRange(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TerminalCodecError(field, `must be an integer ${min}–${max}; got ${value}`);
  }
  return value;
}

export function u32(regs: readonly number[], i: number): number {
  return regs[i] * 0x10000 + regs[i + 1];
}

export function splitU32(value: number, field: string): [number, number] {
  checkRange(value, 0, 0xffffffff, field);
  return [Math.floor(value / 0x10000), value & 0xffff];
}

export function asciiToRegisters(text: string, bytes: number, field: string): number[] {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new TerminalCodecError(field, `must be printable ASCII; got "${text}"`);
  if (text.length > bytes) throw new TerminalCodecError(field, `at most ${bytes} characters; got ${text.length}`);
  const buf = Buffer.alloc(bytes);
  buf.write(text, 'ascii');
  return bytesToRegisters(buf);
}

export function registersToAscii(regs: readonly number[]): string {
  const buf = registersToBytes(regs);
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('ascii');
}

/** Seconds and milliseconds of a UTC time (PROTOCOL.md §1). */
export function timeParts(at: Date, field: string): { seconds: number; ms: number } {
  const t = at.getTime();
  if (!Number.isFinite(t) || t < 0 || t / 1000 > 0xffffffff)
    throw new TerminalCodecError(field, `not a representable UTC time: ${String(at)}`);
  return { seconds: Math.floor(t / 1000), ms: t % 1000 };
}
