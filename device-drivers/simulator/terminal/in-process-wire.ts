/**
 * A ClipWire (device-drivers/modbus-terminal/clip-wire.ts) straight onto simulated terminals, without a line or a
 * gateway: the driver's clip transfer at memory speed, for tests of clips of any length. Requests and replies carry the
 * register values the Modbus frames would; a seeded `noise` loses that fraction of frames (a lost unicast times out, a
 * lost broadcast misses one unit), so the repair path runs too.
 */
import {
  buildCommandBlock,
  REFUSAL_CODES,
  REGISTERS,
  type CodecName,
  type CommandRecord,
  type CommandSigner,
  type MapVersion,
} from '../../../firmware-protocols/terminal-modbus';
import type { ClipWire } from '../../modbus-terminal/clip-wire';
import type { SignedBlock } from '../../modbus-terminal/signed-blocks';
import { BusError, type CommandResult, type RequestOptions } from '../../terminal-bus';
import type { ModbusDevice } from '../modbus/virtual-bus';
import { seededRandom } from '../random';
import { CommandVerifier } from './command-verifier';
import { SimulatedTerminal } from './simulated-terminal';

export interface InProcessWireOptions {
  signer: CommandSigner;
  /** Probability that one frame (request or reply) is lost. */
  noise?: number;
  /** Which requests lose frames: all (default), or only writes (chunks, prepares, commits), so reads always answer. */
  lossOn?: 'all' | 'writes';
  seed?: number;
  now?: () => number;
}

export class InProcessWire implements ClipWire {
  readonly id = 'in-process';
  readonly counts = { reads: 0, unicastWrites: 0, broadcasts: 0, lost: 0 };
  /** Every read as address:count, in order (for assertions on what the driver asked). */
  readonly readLog: string[] = [];
  private sequence = 0;
  private readonly random: () => number;
  private readonly versions = new Map<number, number>();

  constructor(
    private readonly units: ReadonlyMap<number, ModbusDevice>,
    private readonly o: InProcessWireOptions,
  ) {
    this.random = seededRandom(o.seed ?? 1);
  }

  private now(): number {
    return this.o.now?.() ?? 0;
  }

  private lost(): boolean {
    const hit = (this.o.noise ?? 0) > 0 && this.random() < (this.o.noise ?? 0);
    if (hit) this.counts.lost++;
    return hit;
  }

  private device(unit: number, operation: string, read = false): ModbusDevice {
    const d = this.units.get(unit);
    const lossy = !read || this.o.lossOn !== 'writes';
    if (d === undefined || (lossy && (this.lost() || this.lost())))
      throw new BusError('timeout', this.id, unit, operation, 'no answer (frame lost)');
    return d;
  }

  private answer<T>(unit: number, operation: string, r: T | { exception: number }): T {
    if (typeof r === 'object' && r !== null && 'exception' in r) {
      const code = r.exception;
      const kind = REFUSAL_CODES.includes(code) ? 'refused' : 'exception';
      throw new BusError(kind, this.id, unit, operation, `exception 0x${code.toString(16).padStart(2, '0')}`, code);
    }
    return r;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the wire's answers are immediate
  async read(unit: number, address: number, count: number, operation: string): Promise<number[]> {
    this.counts.reads++;
    this.readLog.push(`${address}:${count}`);
    return this.answer(unit, operation, this.device(unit, operation, true).readHolding(address, count, this.now()));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the wire's answers are immediate
  async write(unit: number | 'all', address: number, values: number[], operation: string): Promise<void> {
    if (unit === 'all') {
      this.counts.broadcasts++;
      for (const d of this.units.values()) if (!this.lost()) d.writeRegisters(address, values, this.now(), true);
      return;
    }
    this.counts.unicastWrites++;
    const d = this.device(unit, operation);
    this.answer(unit, operation, d.writeRegisters(address, values, this.now(), false));
  }

  sign(command: CommandRecord): SignedBlock {
    const sequence = ++this.sequence;
    return {
      sequence,
      registers: buildCommandBlock(sequence, command, { signer: this.o.signer, time: new Date(this.now()) }),
    };
  }

  async writeSigned(unit: number | 'all', block: SignedBlock, operation: string): Promise<CommandResult> {
    await this.write(unit, REGISTERS.command.address, block.registers, operation);
    return { accepted: unit !== 'all', unit, sequence: block.sequence };
  }

  async mapVersion(unit: number, _opts: RequestOptions, read: boolean): Promise<number | null> {
    const known = this.versions.get(unit);
    if (known !== undefined || !read) return known ?? null;
    const [v] = await this.read(
      unit,
      REGISTERS.identity.address + REGISTERS.identity.mapVersionAt,
      1,
      'FC03 map version',
    );
    this.versions.set(unit, v);
    return v;
  }
}

export interface WireTerminalsOptions {
  units: readonly number[];
  /** The certificate the terminals trust (the wire's signer). */
  certSerial: string;
  publicKeyHex: string;
  mapVersion?: (unit: number) => MapVersion;
  clipStorageKb?: number;
  codecs?: CodecName[];
}

/** Simulated terminals (PROTOCOL.md) for an InProcessWire: unit → terminal. */
export function wireTerminals(o: WireTerminalsOptions): Map<number, SimulatedTerminal> {
  const verifier = new CommandVerifier([{ serial: o.certSerial, publicKeyHex: o.publicKeyHex }], 0);
  return new Map(
    o.units.map((unit) => [
      unit,
      new SimulatedTerminal({
        now: 0,
        verifier,
        mapVersion: o.mapVersion?.(unit),
        identity: {
          vendor: 'Dalaba Sim',
          model: 'T-1',
          firmware: '1.0.0',
          serial: `SN${unit}`,
          resourceCode: '63415231002000301010401',
          codecs: o.codecs ?? ['opus-16k', 'mp3-64k', 'pcm-alaw-8k'],
          clipStorageKb: o.clipStorageKb ?? 4096,
          sources: ['stored', 'tone'],
          display: false,
        },
      }),
    ]),
  );
}
