/**
 * Stored-clip transfer as PROTOCOL.md §6.6 describes: know each unit's register map version when the clip needs more
 * than the first bitmap read (§6.3; a version 1 unit that cannot report the clip's chunks is refused alone); broadcast
 * the signed prepare; read each unit's receive header and its whole bitmap, page by page (already stored → skipped,
 * not prepared → unicast prepare); broadcast every chunk some unit still misses once (all of them on a fresh transfer;
 * only the rest when the units kept part of an interrupted one, §6.1); read each unit's bitmap again; re-broadcast a
 * chunk many units miss, unicast a chunk to the few that miss it, while the rounds make progress; broadcast the commit
 * once no chunk is missing; verify state 2, the chunk count and the directory's digest (clip-verify.ts).
 * An aborted `signal` stops it between frames with a BusError of kind 'cancelled'.
 */
import {
  chunkCount,
  CODECS,
  encodeChunkFrame,
  encodeCommit,
  FIRST_READ_CHUNKS,
  REGISTERS,
  TERMINAL_EXCEPTIONS,
  type CodecName,
  type MapVersion,
  type ReceiveRecord,
} from '../../firmware-protocols/terminal-modbus';
import {
  BusError,
  type ClipToTransfer,
  type ClipTransferResult,
  type CommandResult,
  type RequestOptions,
  type TransferFailureKind,
} from '../terminal-bus';
import { ReceiveReads } from './clip-receive';
import { MAX_REPAIR_ROUNDS, planRepair, REPAIR_ROUNDS } from './clip-repair-plan';
import { mapVersionRefusal } from './clip-verify';
import { isCancelled, isLostFrame, isReplay, type ClipWire, type Req } from './clip-wire';
import type { SignedBlock } from './signed-blocks';

/** Broadcast chunks between two pacing reads (see broadcastChunks). */
export const PACE_EVERY = 100;
/** Frames to one unit lost in a row before its transfer is given up (the unit has most likely gone). */
export const LOST_IN_A_ROW = 3;

function isCodec(c: string): c is CodecName {
  return CODECS.some((k) => k.name === c);
}

/** One transfer of one clip to some units of one bus; `run` does it (see the file's head). */
class ClipTransfer {
  private readonly chunks: number;
  private readonly req: Req;
  readonly result: ClipTransferResult = {
    stored: [],
    alreadyStored: [],
    failed: [],
    framesSent: { broadcast: 0, unicast: 0 },
  };
  private readonly lostInARow = new Map<number, number>();
  private readonly reads: ReceiveReads;

  constructor(
    private readonly bus: ClipWire,
    private readonly clip: ClipToTransfer,
    private readonly opts: RequestOptions,
  ) {
    this.chunks = chunkCount(clip.data.length);
    this.req = {
      priority: opts.priority ?? 'transfer',
      deadline: opts.deadline,
      signal: opts.signal,
      tryBackedOff: opts.tryBackedOff,
    };
    this.reads = new ReceiveReads(bus, clip, this.chunks, this.req);
  }

  async run(units: number[]): Promise<ClipTransferResult> {
    const pending = await this.prepare(await this.checkVersions(units));
    if (pending.size === 0) return this.result;
    await this.sendMissing(pending);
    const done = await this.repair(pending);
    if (done.size > 0) await this.commit(done);
    return this.result;
  }

  private stopIfCancelled(): void {
    if (this.opts.signal?.aborted)
      throw new BusError(
        'cancelled',
        this.bus.id,
        null,
        `clip ${this.clip.clipId} transfer`,
        'cancelled between frames',
      );
  }

  private fail(unit: number, e: unknown): void {
    const kind = e instanceof BusError ? e.kind : 'protocol';
    this.failWith(
      unit,
      kind,
      e instanceof Error ? e.message : String(e),
      e instanceof BusError ? e.exceptionCode : null,
    );
  }

  private failWith(unit: number, kind: TransferFailureKind, reason: string, exceptionCode: number | null = null): void {
    this.result.failed.push({ unit, reason, kind, exceptionCode });
  }

  /**
   * §6.3: the units whose register map version lets them take this clip; the others fail, each saying why. The version
   * is read (once per unit, then remembered by the bus) only when the clip needs bitmap pages past the first read.
   */
  private async checkVersions(units: number[]): Promise<number[]> {
    const read = this.chunks > FIRST_READ_CHUNKS;
    const ok: number[] = [];
    for (const unit of units) {
      this.stopIfCancelled();
      let v: number | null;
      try {
        v = await this.bus.mapVersion(unit, this.req, read).catch((e: unknown) => {
          if (!isLostFrame(e)) throw e;
          return this.bus.mapVersion(unit, this.req, read);
        });
      } catch (e) {
        if (isCancelled(e)) throw e;
        this.fail(unit, e);
        continue;
      }
      const refusal = v === null ? null : mapVersionRefusal(unit, v, this.chunks);
      if (refusal !== null) {
        this.failWith(unit, 'protocol', `bus ${this.bus.id} clip ${this.clip.clipId} transfer: ${refusal}`);
        continue;
      }
      if (v !== null) this.reads.versions.set(unit, v as MapVersion);
      ok.push(unit);
    }
    return ok;
  }

  /**
   * The receive header and the whole bitmap (clip-receive.ts). A failure is recorded against the unit unless `quiet`.
   * A unit already known to be alive (`retry`) is read once more after a lost frame, so that noise does not cost it
   * the broadcast.
   */
  private async readReceive(unit: number, quiet = false, retry = !quiet): Promise<ReceiveRecord | null> {
    const r = await this.reads.receive(unit, retry);
    if (r === null && !quiet) this.fail(unit, this.reads.lastError(unit));
    return r;
  }

  private sendChunk(unit: number | 'all', i: number): Promise<void> {
    if (unit === 'all') this.result.framesSent.broadcast++;
    else this.result.framesSent.unicast++;
    return this.bus.write(
      unit,
      REGISTERS.chunk.address,
      encodeChunkFrame(this.clip.clipId, i, this.clip.data),
      `FC16 clip chunk ${i}`,
      this.req,
    );
  }

  /**
   * A broadcast chunk has no answer to lose: one that "times out" went out late (the controller was slow to hand it
   * over) or not at all. Either way the bitmap read shows what is missing and the repair sends it again; only a link
   * that is down, or a transfer cancelled, ends the transfer here. Every PACE_EVERY chunks a short read of `pacer` (a
   * unit that answered) waits until the gateway has put out what it queued: one that works through broadcasts slower
   * than the line model says would otherwise pile up seconds of them before the next read, which then times out.
   */
  private async broadcastChunks(list: readonly number[], pacer?: number): Promise<void> {
    let sent = 0;
    for (const i of list) {
      this.stopIfCancelled();
      await this.sendChunk('all', i).catch((e: unknown) => {
        if (!isLostFrame(e)) throw e;
      });
      if (pacer !== undefined && ++sent % PACE_EVERY === 0 && sent < list.length)
        await this.bus
          .read(pacer, REGISTERS.receive.address, REGISTERS.receive.headerCount, 'FC03 clip receive (pacing)', this.req)
          .catch((e: unknown) => {
            if (isCancelled(e)) throw e;
          });
    }
  }

  /**
   * Chunks to one unit: a frame lost to noise only leaves its chunk missing (the next bitmap read shows it and the
   * repair sends it again); a unit that loses LOST_IN_A_ROW frames in a row, or refuses one, fails alone — never the
   * other units of the bus.
   */
  private async sendChunks(unit: number, list: readonly number[]): Promise<boolean> {
    for (const i of list) {
      try {
        await this.sendChunk(unit, i);
        this.lostInARow.delete(unit);
      } catch (e) {
        if (isCancelled(e)) throw e;
        const n = (this.lostInARow.get(unit) ?? 0) + 1;
        this.lostInARow.set(unit, n);
        if (!isLostFrame(e) || n >= LOST_IN_A_ROW) {
          this.fail(unit, e);
          return false;
        }
      }
    }
    return true;
  }

  /** The signed prepare, broadcast to several units; returns the units receiving, with the chunks each misses. */
  private async prepare(units: number[]): Promise<Map<number, number[]>> {
    const clip = this.clip;
    const prepare = this.bus.sign({
      code: 'prepare-clip',
      clipId: clip.clipId,
      codec: clip.codec as CodecName,
      size: clip.data.length,
      digest: clip.digest,
    });
    const broadcast = units.length > 1 && !this.opts.prepareEach;
    if (broadcast) {
      await this.bus.writeSigned('all', prepare, 'FC16 clip prepare', this.req);
      this.result.framesSent.broadcast++;
    }
    const pending = new Map<number, number[]>();
    for (const unit of units) {
      this.stopIfCancelled();
      // after a broadcast prepare: did this unit get it? (a lone unit, or each unit with
      // `prepareEach`, is prepared unicast at once). A lost answer is
      // asked again once: a unit missing here gets the whole clip frame by frame on its own later
      let r = broadcast ? await this.readReceive(unit, true, true) : null;
      if (r === null || r.clipId !== clip.clipId || r.state === 'idle') {
        const prepared = await this.prepareOne(unit, prepare, r !== null);
        if (!prepared) continue;
        r = await this.readReceive(unit);
      }
      if (r === null) continue;
      const why = r.state === 'stored' && r.clipId === clip.clipId ? null : this.reads.notReceiving(r);
      if (r.state === 'refused' && r.clipId === clip.clipId)
        this.failWith(
          unit,
          'refused',
          `refused the prepare: no room for ${clip.data.length} bytes or codec ${clip.codec} not supported (receive state 4)`,
          TERMINAL_EXCEPTIONS.storageRefused,
        );
      else if (why !== null) this.failWith(unit, 'unexpected-state', why);
      else if (r.state === 'stored') this.result.alreadyStored.push(unit);
      else pending.set(unit, r.missing);
    }
    return pending;
  }

  /** The prepare to one unit; false when it failed (recorded). `answered`: the unit answered a read just before. */
  private async prepareOne(unit: number, prepare: SignedBlock, answered: boolean): Promise<boolean> {
    try {
      const send = (): Promise<CommandResult> => this.bus.writeSigned(unit, prepare, 'FC16 clip prepare', this.req);
      try {
        await send();
      } catch (e) {
        // a unit that just answered is there: a prepare lost to noise is sent again once
        if (!answered || !isLostFrame(e)) throw e;
        await send();
      }
      this.result.framesSent.unicast++;
      return true;
    } catch (e) {
      if (isCancelled(e)) throw e;
      if (isReplay(e)) return true;
      this.fail(unit, e);
      return false;
    }
  }

  /** Every chunk some unit misses, broadcast once (a lone unit: unicast). */
  private async sendMissing(pending: Map<number, number[]>): Promise<void> {
    if (pending.size > 1) {
      // a fresh transfer misses every chunk; units that kept part of an interrupted one (§6.1) only need the rest
      await this.broadcastChunks(
        [...new Set([...pending.values()].flat())].sort((a, b) => a - b),
        pending.keys().next().value,
      );
    } else for (const [unit, missing] of pending) if (!(await this.sendChunks(unit, missing))) pending.delete(unit);
  }

  /**
   * Bitmap reads and repair rounds; returns the units that hold every chunk. A unit is given up when REPAIR_ROUNDS
   * rounds in a row leave it missing as many chunks as before, or after MAX_REPAIR_ROUNDS rounds.
   */
  private async repair(pending: Map<number, number[]>): Promise<Set<number>> {
    const done = new Set<number>();
    const fewest = new Map<number, number>();
    const stalled = new Map<number, number>();
    for (let round = 0; ; round++) {
      this.stopIfCancelled();
      const missing = new Map<number, number[]>();
      let unread = 0;
      for (const unit of pending.keys()) {
        if (done.has(unit)) continue;
        // a unit that has answered this transfer keeps its place through reads lost to noise, as through a round
        // without progress
        const r = await this.readReceive(unit, true, true);
        const why = r === null ? null : this.reads.notReceiving(r);
        if (why !== null) {
          this.failWith(unit, 'unexpected-state', why);
          pending.delete(unit);
          continue;
        }
        if (r !== null && r.missingCount === 0) {
          done.add(unit);
          continue;
        }
        const before = fewest.get(unit);
        const progress = r !== null && (before === undefined || r.missingCount < before);
        const stall = progress ? 0 : (stalled.get(unit) ?? 0) + 1;
        stalled.set(unit, stall);
        if (r !== null) fewest.set(unit, Math.min(before ?? Infinity, r.missingCount));
        if (stall < REPAIR_ROUNDS && round < MAX_REPAIR_ROUNDS) {
          if (r === null) unread++;
          else missing.set(unit, r.missing);
        } else {
          this.giveUp(unit, r, round, stall);
          pending.delete(unit);
        }
      }
      if (missing.size === 0 && unread === 0) break;
      const plan = planRepair(missing);
      await this.broadcastChunks(plan.broadcast, missing.keys().next().value);
      for (const [unit, list] of plan.unicast) if (!(await this.sendChunks(unit, list))) pending.delete(unit);
    }
    return done;
  }

  /** A unit the repair cannot finish: the chunks it still misses, or why its bitmap could not be read. */
  private giveUp(unit: number, r: ReceiveRecord | null, round: number, stall: number): void {
    if (r === null) {
      this.fail(unit, this.reads.lastError(unit));
      return;
    }
    this.failWith(
      unit,
      'incomplete',
      `${r.missingCount} of ${this.chunks} chunks still missing (from chunk ${r.missing.slice(0, 4).join(', ')}) ` +
        `after ${round} repair rounds, the last ${stall} without progress`,
    );
  }

  /**
   * The commit, then each unit checked (clip-verify.ts): stored with the clip's chunk count and digest, or committed
   * again alone when the broadcast commit missed it.
   */
  private async commit(done: Set<number>): Promise<void> {
    const commit = encodeCommit(this.clip.clipId);
    this.stopIfCancelled();
    if (done.size > 1) await this.bus.write('all', REGISTERS.commit.address, commit, 'FC16 clip commit', this.req);
    // a lone unit's commit lost to noise is repaired below, as a lost broadcast commit is
    else
      for (const unit of done)
        await this.bus
          .write(unit, REGISTERS.commit.address, commit, 'FC16 clip commit', this.req)
          .catch((e: unknown) => {
            if (!isLostFrame(e)) throw e;
          });
    for (const unit of done) {
      this.stopIfCancelled();
      try {
        const verdict = await this.reads.verify(unit, commit);
        if (verdict.stored) this.result.stored.push(unit);
        else this.failWith(unit, verdict.kind, verdict.reason);
      } catch (e) {
        if (isCancelled(e)) throw e;
        this.fail(unit, e);
      }
    }
  }
}

export function transferClip(
  bus: ClipWire,
  units: number[],
  clip: ClipToTransfer,
  opts: RequestOptions,
): Promise<ClipTransferResult> {
  if (!isCodec(clip.codec))
    return Promise.reject(
      new BusError(
        'protocol',
        bus.id,
        null,
        'clip prepare',
        `codec "${clip.codec}" is not in the register map (PROTOCOL.md §2.1)`,
      ),
    );
  return new ClipTransfer(bus, clip, opts).run(units);
}
