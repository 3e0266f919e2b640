/**
 * A terminal's held schedule (terminal-modbus PROTOCOL.md §9, 断网续播) as stored: the table being filled after a
 * signed announce (command 17), the active table after a commit whose SM3 matches the announced digest, and the log of
 * held plays (a ring of 64, acknowledged by the controller). When the plays happen is the terminal model's business
 * (terminal-model.ts); this is the storage and its register view. Kept across power loss, like stored clips.
 */
import { sm3 } from 'sm-crypto-v2';
import {
  decodeHeldEntry,
  encodeHeldHeader,
  encodeHeldLog,
  HELD_STATES,
  REGISTERS,
  TerminalCodecError,
  type HeldEntry,
  type HeldOutcome,
  type HeldPlayRecord,
} from '../../../firmware-protocols/terminal-modbus';
import { registersToBytes } from '../../../firmware-protocols/terminal-modbus/words';

const H = REGISTERS.held;

export interface HeldAnnounce {
  tableId: number;
  entryCount: number;
  validFrom: number;
  validUntil: number;
  holdOffSeconds: number;
  digest: string;
}

export interface ActiveTable extends HeldAnnounce {
  entries: HeldEntry[];
}

export class HeldStore {
  state: number = HELD_STATES.none;
  announced: HeldAnnounce | null = null;
  active: ActiveTable | null = null;
  computedDigest = '';
  /** Entry words as written (8 registers each). */
  private words: number[] = [];
  private written = new Set<number>();
  readonly log: HeldPlayRecord[] = [];
  private sequence = 0;
  private dropped = 0;

  /** §9.3: the announce drops the active table and starts a new one, every entry unwritten. */
  announce(a: HeldAnnounce): void {
    this.announced = a;
    this.active = null;
    this.computedDigest = '';
    this.words = new Array<number>(a.entryCount * H.entryRegisters).fill(0);
    this.written.clear();
    this.state = a.entryCount === 0 ? HELD_STATES.none : HELD_STATES.filling;
  }

  /** §9.2: an FC16 of whole entries inside the announced count, while filling; false = refused 0x03. */
  writeEntries(address: number, values: readonly number[]): boolean {
    const offset = address - H.entriesAddress;
    const a = this.announced;
    if (this.state !== HELD_STATES.filling || !a) return false;
    if (values.length % H.entryRegisters !== 0 || values.length / H.entryRegisters > H.maxEntriesPerWrite) return false;
    if (offset + values.length > a.entryCount * H.entryRegisters) return false;
    values.forEach((v, i) => (this.words[offset + i] = v));
    for (let i = offset / H.entryRegisters; i < (offset + values.length) / H.entryRegisters; i++) this.written.add(i);
    return true;
  }

  /** §9.1: entry registers read back (0 where not written; the active table's, or the one being filled). */
  readEntries(address: number, count: number): number[] {
    const offset = address - H.entriesAddress;
    return Array.from({ length: count }, (_, i) => this.words[offset + i] ?? 0);
  }

  /**
   * §9.3 commit: ignored unless filling this table id with every entry written; then SM3 over the table bytes: equal
   * to the announced digest and every entry valid (§9.2, its source among `sources`) → active.
   */
  commit(tableId: number, sources: readonly string[]): void {
    const a = this.announced;
    if (this.state !== HELD_STATES.filling || !a || a.tableId !== tableId || this.written.size < a.entryCount) return;
    const bytes = registersToBytes(this.words);
    this.computedDigest = sm3(bytes);
    if (this.computedDigest !== a.digest.toLowerCase()) {
      this.state = HELD_STATES.digestMismatch;
      return;
    }
    try {
      const entries = Array.from({ length: a.entryCount }, (_, i) =>
        decodeHeldEntry(bytes.subarray(16 * i, 16 * i + 16)),
      );
      if (entries.some((e) => !sources.includes(e.source) || e.start < a.validFrom || e.end > a.validUntil))
        throw new TerminalCodecError('held.entry', 'source or window');
      this.active = { ...a, entries };
      this.state = HELD_STATES.active;
    } catch (e) {
      if (!(e instanceof TerminalCodecError)) throw e;
      this.state = HELD_STATES.invalidEntry;
    }
  }

  header(): number[] {
    const a = this.announced;
    return encodeHeldHeader({
      state: this.state,
      tableId: a?.tableId ?? 0,
      entryCount: a?.entryCount ?? 0,
      entriesWritten: this.written.size,
      validFrom: a?.validFrom ?? 0,
      validUntil: a?.validUntil ?? 0,
      holdOffSeconds: a?.holdOffSeconds ?? 0,
      digest: this.computedDigest || '0'.repeat(64),
    });
  }

  record(tableId: number, entryIndex: number, outcome: HeldOutcome, start: number, end: number): void {
    this.sequence += 1;
    this.log.push({ sequence: this.sequence, tableId, entryIndex, outcome, start, end });
    if (this.log.length > H.logCapacity) {
      this.log.shift();
      this.dropped += 1;
    }
  }

  /** §9.5: header and the oldest records. */
  logRegisters(): number[] {
    return encodeHeldLog({ count: this.log.length, dropped: this.dropped, newest: this.sequence, records: this.log });
  }

  /** §9.5: records up to `sequence` are dropped; the overflow count restarts. */
  acknowledge(sequence: number): void {
    while (this.log.length > 0 && this.log[0].sequence <= sequence) this.log.shift();
    this.dropped = 0;
  }
}
