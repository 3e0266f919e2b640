/**
 * What a clip transfer (clip-transfer.ts) reads of each unit: the receive header and its whole bitmap, page by page
 * (PROTOCOL.md §6.3), whether that block is the transfer under way, and after the commit whether the unit stored the
 * clip (clip-verify.ts).
 */
import {
  bitmapPageReads,
  decodeReceiveBlock,
  FIRST_READ_CHUNKS,
  missingFromBitmap,
  receiveReadCount,
  REGISTERS,
  type MapVersion,
  type ReceiveRecord,
} from '../../firmware-protocols/terminal-modbus';
import type { ClipToTransfer } from '../terminal-bus';
import { directoryVerdict, headerVerdict, type ReadRegisters, type StoredVerdict } from './clip-verify';
import { isCancelled, isLostFrame, type ClipWire, type Req } from './clip-wire';

/** The reads of one clip transfer to the units of one bus. */
export class ReceiveReads {
  /** Map versions of the units, known for every unit when the clip needs more than the first bitmap read. */
  readonly versions = new Map<number, MapVersion>();
  /** Why a unit's last receive read failed (read). */
  private readonly lastReadError = new Map<number, unknown>();

  constructor(
    private readonly bus: ClipWire,
    private readonly clip: ClipToTransfer,
    private readonly chunks: number,
    private readonly req: Req,
  ) {}

  /** Why the unit's last receive read failed. */
  lastError(unit: number): unknown {
    return this.lastReadError.get(unit);
  }

  /** One FC03; a unit already known to be alive (`retry`) is asked once more after a lost frame. */
  async readOnce(unit: number, address: number, count: number, op: string, retry: boolean): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bus.read(unit, address, count, op, this.req);
      } catch (e) {
        if (retry && attempt === 0 && isLostFrame(e)) continue;
        throw e;
      }
    }
  }

  /**
   * The receive header and the whole bitmap (§6.3): the first read at 0x0500, then the bitmap pages while the header
   * counts more missing chunks than the pages read so far mark. Null when a read failed (lastError says why); a
   * cancelled transfer throws. A unit already known to be alive (`retry`) is read once more after a lost frame, so
   * that noise does not cost it the broadcast.
   */
  async receive(unit: number, retry: boolean): Promise<ReceiveRecord | null> {
    try {
      const first = await this.readOnce(
        unit,
        REGISTERS.receive.address,
        receiveReadCount(this.chunks),
        'FC03 clip receive',
        retry,
      );
      const r = decodeReceiveBlock(first);
      if (r.clipId !== this.clip.clipId || r.state !== 'receiving' || this.chunks <= FIRST_READ_CHUNKS) return r;
      // a unit of unknown version never gets a clip this long (checkVersions)
      for (const page of bitmapPageReads(this.versions.get(unit) ?? 2, this.chunks)) {
        if (r.missing.length >= r.missingCount) break;
        const regs = await this.readOnce(unit, page.address, page.count, `FC03 clip bitmap @${page.address}`, true);
        r.missing.push(...missingFromBitmap(regs, this.chunks, page.first * 16));
      }
      return r;
    } catch (e) {
      if (isCancelled(e)) throw e;
      this.lastReadError.set(unit, e);
      return null;
    }
  }

  /** Why a unit's receive block is not the transfer under way, or null when it is. */
  notReceiving(r: ReceiveRecord): string | null {
    if (r.clipId !== this.clip.clipId || r.state !== 'receiving')
      return `the receive header reads clip ${r.clipId}, state ${r.state} while clip ${this.clip.clipId} was being sent`;
    if (r.chunkCount !== this.chunks)
      return `the unit counts ${r.chunkCount} chunks for clip ${r.clipId}; the clip has ${this.chunks}`;
    if (r.missingCount > 0 && r.missing.length === 0)
      return `the receive header counts ${r.missingCount} missing chunks but its bitmap marks none`;
    return null;
  }

  /** After the commit: whether the unit stored the clip, committing it alone when the broadcast commit missed it. */
  async verify(unit: number, commit: number[]): Promise<StoredVerdict> {
    const header = async (): Promise<ReceiveRecord> =>
      decodeReceiveBlock(
        await this.readOnce(
          unit,
          REGISTERS.receive.address,
          REGISTERS.receive.headerCount,
          'FC03 clip receive header',
          true,
        ),
      );
    const directory: ReadRegisters = (a, n, op) => this.readOnce(unit, a, n, op, true);
    // the directory listing the clip with its digest settles it in one short read: the SM3 digest covers every byte, so
    // the size and content are the prepared ones; otherwise the receive header says why (or that the commit was lost)
    const listed = await directoryVerdict(directory, this.clip.clipId, this.clip.digest);
    if (listed.stored) return listed;
    let r = await header();
    if (r.clipId === this.clip.clipId && r.state === 'receiving' && r.missingCount === 0) {
      // the broadcast commit was lost on the way to this unit: commit it alone
      await this.bus.write(unit, REGISTERS.commit.address, commit, 'FC16 clip commit', this.req);
      r = await header();
    }
    return (
      headerVerdict(r, this.clip.clipId, this.chunks) ?? directoryVerdict(directory, this.clip.clipId, this.clip.digest)
    );
  }
}
