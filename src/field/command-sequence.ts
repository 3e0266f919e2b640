/**
 * The controller-wide command sequence (terminal-modbus PROTOCOL.md §5.2): a terminal accepts a command only if its
 * sequence is greater than the last one it accepted, so the counter must never go back, across restarts included.
 * Numbers are reserved in blocks: the file <data dir>/field/command-sequence holds the end of the current block,
 * written (then renamed into place) before any number of the block is handed out; a restart starts after it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The sequence is a u32 on the wire. */
export const MAX_SEQUENCE = 0xffff_ffff;

/** Where the field's signed commands take their sequence numbers. */
export interface CommandSequenceSource {
  /** The next number, greater than every number this source handed out before. */
  take(): number;
  /**
   * A number every later `take()` is greater than, and that is at least every number handed out so far (here, or by an
   * earlier process of this data folder, or, in a cluster, by the previous holder of a bus taken over).
   */
  issued(): number;
  /**
   * Before driving a bus just taken over from another instance of the cluster: resolves once every number handed out
   * afterwards is above every number any instance had reserved when it was called. Nothing to do alone.
   */
  passTakeover(): Promise<void>;
}

export class CommandSequence implements CommandSequenceSource {
  private next = 1;
  private reservedUpTo = 0;

  private constructor(
    private readonly file: string,
    private readonly block: number,
  ) {}

  static file(dataDir: string): string {
    return join(dataDir, 'field', 'command-sequence');
  }

  static load(dataDir: string, block = 1000): CommandSequence {
    const seq = new CommandSequence(CommandSequence.file(dataDir), block);
    if (existsSync(seq.file)) {
      const raw = readFileSync(seq.file, 'utf8').trim();
      if (!/^\d+$/.test(raw))
        throw new Error(`command sequence file ${seq.file} holds "${raw.slice(0, 20)}", not a whole number`);
      seq.next = Number(raw) + 1;
      seq.reservedUpTo = Number(raw);
    }
    return seq;
  }

  /** The last number this data folder's sequence may have handed out (0 when it never signed anything). */
  get lastReserved(): number {
    return this.reservedUpTo;
  }

  issued(): number {
    return this.next - 1;
  }

  /** Alone there is no other owner to pass: nothing to do. */
  passTakeover(): Promise<void> {
    return Promise.resolve();
  }

  /** The next number, strictly greater than every number handed out before, in this process or an earlier one. */
  take(): number {
    if (this.next > this.reservedUpTo) this.reserve();
    return this.next++;
  }

  private reserve(): void {
    const end = Math.min(this.next + this.block - 1, MAX_SEQUENCE);
    if (this.next > MAX_SEQUENCE)
      throw new Error(`command sequence exhausted (${MAX_SEQUENCE}): the signing certificate must be renewed`);
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${end}\n`, { flush: true });
    renameSync(tmp, this.file);
    this.reservedUpTo = end;
  }
}
