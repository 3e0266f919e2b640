/**
 * Stored-clip transfer as PROTOCOL.md §6.6 describes: broadcast the signed prepare; read each unit's receive header
 * (already stored → skipped, not prepared → unicast prepare); broadcast every chunk some unit still misses once (all of
 * them on a fresh transfer; only the rest when the units kept part of an interrupted one, §6.1); read each unit's
 * bitmap; re-broadcast a chunk many units miss, unicast a chunk to the few that miss it; broadcast the commit; verify.
 * An aborted `signal` stops it between frames with a BusError of kind 'cancelled'.
 */
import {
  chunkCount, CODECS, decodeReceiveBlock, encodeChunkFrame, encodeCommit, receiveReadCount, REGISTERS, type CodecName, type ReceiveRecord,
} from '../../firmware-protocols/terminal-modbus';
import { BusError, type ClipToTransfer, type ClipTransferResult, type RequestOptions } from '../terminal-bus';
import type { ModbusTerminalBus } from './modbus-terminal-bus';

export const REPAIR_ROUNDS = 3;
/** Frames to one unit lost in a row before its transfer is given up (the unit has most likely gone). */
export const LOST_IN_A_ROW = 3;

/** Chunks missed by at least this many units are re-broadcast; the rest go unicast (§6.6). */
export function broadcastThreshold(units: number): number {
  return Math.max(2, Math.ceil(units / 4));
}

/** Splits the missing chunks of each unit into re-broadcasts and unicasts. */
export function planRepair(missing: ReadonlyMap<number, readonly number[]>): { broadcast: number[]; unicast: Map<number, number[]> } {
  const count = new Map<number, number>();
  for (const list of missing.values()) for (const i of list) count.set(i, (count.get(i) ?? 0) + 1);
  const threshold = broadcastThreshold(missing.size);
  const broadcast = [...count].filter(([, n]) => missing.size > 1 && n >= threshold).map(([i]) => i).sort((a, b) => a - b);
  const again = new Set(broadcast);
  const unicast = new Map<number, number[]>();
  for (const [unit, list] of missing) {
    const rest = list.filter((i) => !again.has(i));
    if (rest.length > 0) unicast.set(unit, rest);
  }
  return { broadcast, unicast };
}

/** A frame lost to noise (the unit may well be there), as opposed to a refusal or a closed link. */
function isLostFrame(e: unknown): boolean {
  return e instanceof BusError && (e.kind === 'timeout' || e.kind === 'crc' || e.kind === 'short-reply');
}

function isCodec(c: string): c is CodecName {
  return CODECS.some((k) => k.name === c);
}

export async function transferClip(bus: ModbusTerminalBus, units: number[], clip: ClipToTransfer, opts: RequestOptions): Promise<ClipTransferResult> {
  if (!isCodec(clip.codec)) throw new BusError('protocol', bus.id, null, 'clip prepare', `codec "${clip.codec}" is not in the register map (PROTOCOL.md §2.1)`);
  const chunks = chunkCount(clip.data.length);
  const prio = opts.priority ?? 'transfer';
  const req = { priority: prio, deadline: opts.deadline, signal: opts.signal, tryBackedOff: opts.tryBackedOff };
  const cancelled = (e: unknown): boolean => e instanceof BusError && e.kind === 'cancelled';
  const stopIfCancelled = (): void => {
    if (opts.signal?.aborted) throw new BusError('cancelled', bus.id, null, `clip ${clip.clipId} transfer`, 'cancelled between frames');
  };
  const result: ClipTransferResult = { stored: [], alreadyStored: [], failed: [], framesSent: { broadcast: 0, unicast: 0 } };
  const fail = (unit: number, reason: string): void => void result.failed.push({ unit, reason });
  /**
   * One FC03 of header + bitmap; a failure is recorded against the unit unless `quiet`. A unit already known to be
   * alive (`retry`) is read once more after a lost frame, so that noise does not cost it the broadcast.
   */
  const readReceive = async (unit: number, quiet = false, retry = !quiet): Promise<ReceiveRecord | null> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const regs = await bus.read(unit, REGISTERS.receive.address, receiveReadCount(chunks), 'FC03 clip receive', req);
        return decodeReceiveBlock(regs);
      } catch (e) {
        if (cancelled(e)) throw e;
        if (retry && attempt === 0 && isLostFrame(e)) continue;
        if (!quiet) fail(unit, e instanceof Error ? e.message : String(e));
        return null;
      }
    }
  };
  const sendChunk = (unit: number | 'all', i: number): Promise<void> => {
    if (unit === 'all') result.framesSent.broadcast++;
    else result.framesSent.unicast++;
    return bus.write(unit, REGISTERS.chunk.address, encodeChunkFrame(clip.clipId, i, clip.data), `FC16 clip chunk ${i}`, req);
  };
  /**
   * A broadcast chunk has no answer to lose: one that "times out" went out late (the controller was slow to hand it
   * over) or not at all. Either way the bitmap read shows what is missing and the repair sends it again; only a link
   * that is down, or a transfer cancelled, ends the transfer here.
   */
  const broadcastChunk = (i: number): Promise<void> =>
    sendChunk('all', i).catch((e: unknown) => {
      if (!isLostFrame(e)) throw e;
    });
  /**
   * Chunks to one unit: a frame lost to noise only leaves its chunk missing (the next bitmap read shows it and the
   * repair sends it again); a unit that loses LOST_IN_A_ROW frames in a row, or refuses one, fails alone — never the
   * other units of the bus.
   */
  const lostInARow = new Map<number, number>();
  const sendChunks = async (unit: number, list: readonly number[]): Promise<boolean> => {
    for (const i of list) {
      try {
        await sendChunk(unit, i);
        lostInARow.delete(unit);
      } catch (e) {
        if (cancelled(e)) throw e;
        const n = (lostInARow.get(unit) ?? 0) + 1;
        lostInARow.set(unit, n);
        if (!isLostFrame(e) || n >= LOST_IN_A_ROW) {
          fail(unit, e instanceof Error ? e.message : String(e));
          return false;
        }
      }
    }
    return true;
  };

  const prepare = bus.sign({ code: 'prepare-clip', clipId: clip.clipId, codec: clip.codec, size: clip.data.length, digest: clip.digest });
  if (units.length > 1) {
    await bus.writeSigned('all', prepare, 'FC16 clip prepare', req);
    result.framesSent.broadcast++;
  }
  const pending = new Map<number, number[]>();
  for (const unit of units) {
    stopIfCancelled();
    // after a broadcast prepare: did this unit get it? (a lone unit is prepared unicast at once). A lost answer is
    // asked again once: a unit missing here gets the whole clip frame by frame on its own later
    let r = units.length > 1 ? await readReceive(unit, true, true) : null;
    if (r === null || r.clipId !== clip.clipId || r.state === 'idle') {
      const answered = r !== null;
      try {
        const send = () => bus.writeSigned(unit, prepare, 'FC16 clip prepare', req);
        try {
          await send();
        } catch (e) {
          // a unit that just answered is there: a prepare lost to noise is sent again once
          if (!answered || !isLostFrame(e)) throw e;
          await send();
        }
        result.framesSent.unicast++;
        r = await readReceive(unit);
      } catch (e) {
        if (cancelled(e)) throw e;
        // refused as a replay: the unit took this very block already (the broadcast reached it, our read did not)
        if (!(e instanceof BusError && e.kind === 'refused' && /0x43/.test(e.message))) {
          fail(unit, e instanceof Error ? e.message : String(e));
          continue;
        }
        r = await readReceive(unit);
      }
    }
    if (r === null) continue;
    if (r.state === 'stored') result.alreadyStored.push(unit);
    else if (r.state === 'receiving') pending.set(unit, r.missing);
    else fail(unit, `receive state ${r.state}`);
  }
  if (pending.size === 0) return result;

  if (pending.size > 1) {
    // a fresh transfer misses every chunk; units that kept part of an interrupted one (§6.1) only need the rest
    const union = [...new Set([...pending.values()].flat())].sort((a, b) => a - b);
    for (const i of union) {
      stopIfCancelled();
      await broadcastChunk(i);
    }
  } else for (const [unit, missing] of pending) if (!(await sendChunks(unit, missing))) pending.delete(unit);

  const done = new Set<number>();
  for (let round = 0; round <= REPAIR_ROUNDS; round++) {
    stopIfCancelled();
    const missing = new Map<number, number[]>();
    for (const unit of pending.keys()) {
      if (done.has(unit)) continue;
      const r = await readReceive(unit);
      if (r === null) pending.delete(unit);
      else if (r.missingCount === 0) done.add(unit);
      else missing.set(unit, r.missing);
    }
    if (missing.size === 0 || round === REPAIR_ROUNDS) {
      for (const [unit, list] of missing) fail(unit, `${list.length} chunks still missing after ${REPAIR_ROUNDS} repair rounds`);
      break;
    }
    const plan = planRepair(missing);
    for (const i of plan.broadcast) {
      stopIfCancelled();
      await broadcastChunk(i);
    }
    for (const [unit, list] of plan.unicast) if (!(await sendChunks(unit, list))) pending.delete(unit);
  }
  if (done.size === 0) return result;

  const commit = encodeCommit(clip.clipId);
  stopIfCancelled();
  if (done.size > 1) await bus.write('all', REGISTERS.commit.address, commit, 'FC16 clip commit', req);
  // a lone unit's commit lost to noise is repaired below, as a lost broadcast commit is
  else for (const unit of done) await bus.write(unit, REGISTERS.commit.address, commit, 'FC16 clip commit', req).catch((e: unknown) => {
    if (!isLostFrame(e)) throw e;
  });
  for (const unit of done) {
    let r = await readReceive(unit);
    if (r === null) continue;
    if (r.state === 'receiving' && r.missingCount === 0) {
      // the broadcast commit was lost on the way to this unit: commit it alone
      try {
        await bus.write(unit, REGISTERS.commit.address, commit, 'FC16 clip commit', req);
        r = await readReceive(unit);
      } catch (e) {
        if (cancelled(e)) throw e;
        fail(unit, e instanceof Error ? e.message : String(e));
        continue;
      }
      if (r === null) continue;
    }
    if (r.state === 'stored') result.stored.push(unit);
    else fail(unit, r.state === 'digestMismatch' ? 'SM3 digest mismatch at commit' : `receive state ${r.state} after commit`);
  }
  return result;
}
