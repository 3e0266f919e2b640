/**
 * What the wire forces for `npm run bench -- alert-tone | alert-clip` (src/bench/dispatch.ts): the frames a start and a
 * clip transfer put on each bus, as a Bound (device-drivers/transport/line-timing.ts) of the bus's line timing.
 */
import type { BusTarget } from '../../device-drivers/bench/sweep';
import { Bound } from '../../device-drivers/transport/line-timing';
import { chunkCount, encodeChunkFrame, receiveReadCount, REGISTERS } from '../../firmware-protocols/terminal-modbus';

export const COMMAND_BYTES = 9 + 2 * REGISTERS.command.count;
export const STATUS_REQUEST = 8;
export const STATUS_REPLY = 5 + 2 * REGISTERS.status.count;

/** What the wire forces for a start: one broadcast play, a status read per live unit, one unanswered request per dead unit. */
function startBound(t: BusTarget, live: number, dead: number): Bound {
  return new Bound(t.timing)
    .broadcast(COMMAND_BYTES)
    .transaction(STATUS_REQUEST, STATUS_REPLY, live)
    .unanswered(STATUS_REQUEST, dead);
}

/** ... and for storing a clip before it: prepare, every chunk once and commit, all broadcast; one receive read per live unit. */
export function transferBound(t: BusTarget, bytes: number, live: number, dead: number): Bound {
  const chunks = chunkCount(bytes);
  const chunkBytes = 9 + 2 * encodeChunkFrame(1, 0, new Uint8Array(bytes)).length;
  return new Bound(t.timing)
    .broadcast(COMMAND_BYTES, 1)
    .broadcast(chunkBytes, chunks)
    .broadcast(9 + 2 * REGISTERS.commit.count)
    .transaction(8, 5 + 2 * receiveReadCount(chunks), live)
    .unanswered(8, dead);
}

/** What the wire forces on the slowest bus, s: the start, and the transfer first when `clipBytes` are to be stored. */
export function alertBound(targets: BusTarget[], deadOf: (i: number) => Set<number>, clipBytes: number | null): number {
  const boundsMs = targets.map((t, i) => {
    const dead = deadOf(i).size;
    return (
      startBound(t, t.units.length - dead, dead).ms +
      (clipBytes === null ? 0 : transferBound(t, clipBytes, t.units.length - dead, dead).ms)
    );
  });
  return Math.max(...boundsMs) / 1000;
}
