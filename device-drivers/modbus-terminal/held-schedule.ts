/**
 * The held schedule on Modbus terminals (firmware-protocols/terminal-modbus PROTOCOL.md §9), driver side: a table is
 * announced by a signed command 17 (entry count, validity window, hold-off, SM3 of the entries), filled by FC16 writes
 * of up to 15 entries, committed, and read back: it counts as held only when the header says active with the table id
 * and the digest announced. The play log is read with FC03 and acknowledged up to the newest record taken.
 */
import {
  decodeHeldHeader,
  decodeHeldLog,
  encodeHeldAck,
  heldDigest,
  heldEntryWrites,
  heldLogReadCount,
  heldTableId,
  HELD_STATES,
  REGISTERS,
  TERMINAL_EXCEPTIONS,
  type HeldHeader,
  type HeldLog,
  type CommandRecord,
} from '../../firmware-protocols/terminal-modbus';
import {
  BusError,
  type HeldScheduleAccess,
  type HeldTable,
  type PriorityClass,
  type RequestOptions,
} from '../terminal-bus';
import type { ClipWire } from './clip-wire';
import type { SignedBlock } from './signed-blocks';

/** What the held schedule needs of a Modbus bus (ModbusTerminalBus provides it). */
export type HeldWire = Omit<ClipWire, 'sign' | 'mapVersion' | 'read'> & {
  sign(command: CommandRecord, fresh: boolean): ReturnType<ClipWire['sign']>;
  read(
    unit: number,
    address: number,
    count: number,
    operation: string,
    opts?: RequestOptions,
    fallback?: PriorityClass,
  ): Promise<number[]>;
};

const H = REGISTERS.held;
const STATE_NAMES: Record<number, string> = {
  [HELD_STATES.none]: 'no table',
  [HELD_STATES.filling]: 'still filling (entries missing)',
  [HELD_STATES.digestMismatch]: 'digest mismatch',
  [HELD_STATES.invalidEntry]: 'an entry it cannot play',
};

/** How long one signed announce is written to further units (a unit never gets the same block twice). */
const SHARED_ANNOUNCE_MS = 10_000;

export class ModbusHeldSchedule implements HeldScheduleAccess {
  /**
   * The last announce signed, shared by the units that get the same table (sign once, verify once: docs/domain.md,
   * "Signatures"); a unit that has accepted a later command since refuses it as a replay (0x43) and gets a fresh one.
   */
  private shared: { key: string; block: SignedBlock; units: Set<number>; at: number } | null = null;

  constructor(
    private readonly bus: HeldWire,
    private readonly now: () => number,
  ) {}

  private announceFor(unit: number, command: CommandRecord): SignedBlock {
    const key = JSON.stringify(command);
    // the controller's shared cache: one signature for every bus within its window (as a broadcast's steps)
    const block = this.bus.sign(command, false);
    const s = this.shared;
    if (!s || s.key !== key || s.block !== block || this.now() - s.at >= SHARED_ANNOUNCE_MS) {
      this.shared = { key, block, units: new Set([unit]), at: this.now() };
      return block;
    }
    if (!s.units.has(unit)) {
      s.units.add(unit);
      return block;
    }
    return this.bus.sign(command, true);
  }

  async header(unit: number, opts: RequestOptions = {}): Promise<HeldHeader> {
    const regs = await this.bus.read(unit, H.headerAddress, H.headerCount, 'FC03 held header', opts, 'command');
    return decodeHeldHeader(regs);
  }

  async write(unit: number, table: HeldTable, opts: RequestOptions = {}): Promise<{ tableId: number; digest: string }> {
    const digest = heldDigest(table.entries);
    const tableId = heldTableId(digest);
    const announce: CommandRecord = {
      code: 'hold-schedule',
      tableId,
      entryCount: table.entries.length,
      validFrom: table.validFrom,
      validUntil: table.validUntil,
      holdOffSeconds: table.holdOffSeconds,
      digest,
    };
    const o = { ...opts, priority: opts.priority ?? ('command' as const) };
    const op = 'FC16 command hold-schedule';
    const block = this.announceFor(unit, announce);
    try {
      await this.bus.writeSigned(unit, block, op, o);
    } catch (e) {
      if (!(e instanceof BusError) || e.exceptionCode !== TERMINAL_EXCEPTIONS.replay || block !== this.shared?.block)
        throw e;
      await this.bus.writeSigned(unit, this.bus.sign(announce, true), op, o);
    }
    if (table.entries.length === 0) return { tableId, digest };
    for (const [address, regs] of heldEntryWrites(table.entries))
      await this.bus.write(unit, address, regs, 'FC16 held entries', o);
    await this.bus.write(unit, H.commitAddress, [tableId], 'FC16 held commit', o);
    const h = await this.header(unit, o);
    if (h.state !== HELD_STATES.active || h.tableId !== tableId || h.digest !== digest)
      throw new BusError(
        'protocol',
        this.bus.id,
        unit,
        'FC03 held header',
        `held table ${tableId} not active: ${STATE_NAMES[h.state] ?? `state ${h.state}`}, table ${h.tableId}, ` +
          `${h.entriesWritten}/${h.entryCount} entries`,
      );
    return { tableId, digest };
  }

  /**
   * One table for several units of the bus (PROTOCOL.md §9.7): announce, entries and commit broadcast once, then each
   * unit's header read back. Resolves with the units holding it; the others are for `write` one by one.
   */
  async writeAll(units: number[], table: HeldTable, opts: RequestOptions = {}): Promise<number[]> {
    const digest = heldDigest(table.entries);
    const tableId = heldTableId(digest);
    const o = { ...opts, priority: opts.priority ?? ('command' as const) };
    const announce: CommandRecord = {
      code: 'hold-schedule',
      tableId,
      entryCount: table.entries.length,
      validFrom: table.validFrom,
      validUntil: table.validUntil,
      holdOffSeconds: table.holdOffSeconds,
      digest,
    };
    await this.bus.writeSigned('all', this.bus.sign(announce, false), 'FC16 command hold-schedule', o);
    for (const [address, regs] of heldEntryWrites(table.entries))
      await this.bus.write('all', address, regs, 'FC16 held entries', o);
    await this.bus.write('all', H.commitAddress, [tableId], 'FC16 held commit', o);
    const holding: number[] = [];
    for (const unit of units) {
      try {
        const h = await this.header(unit, o);
        if (h.state === HELD_STATES.active && h.tableId === tableId && h.digest === digest) holding.push(unit);
      } catch {
        // not holding it (an older terminal answers 0x02, a dead one nothing): `write` tells which
      }
    }
    return holding;
  }

  async plays(unit: number, opts: RequestOptions = {}): Promise<HeldLog> {
    // the header and one record in one read; the rest (up to 15) only when more are waiting
    const first = decodeHeldLog(await this.bus.read(unit, H.logAddress, heldLogReadCount(1), 'FC03 held log', opts));
    if (first.count <= 1) return first;
    return decodeHeldLog(await this.bus.read(unit, H.logAddress, heldLogReadCount(first.count), 'FC03 held log', opts));
  }

  acknowledge(unit: number, sequence: number, opts: RequestOptions = {}): Promise<void> {
    return this.bus.write(unit, H.ackAddress, encodeHeldAck(sequence), 'FC16 held acknowledge', {
      ...opts,
      priority: opts.priority ?? 'poll',
    });
  }
}
