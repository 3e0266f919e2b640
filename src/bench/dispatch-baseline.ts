/**
 * The naive baselines of `npm run bench -- alert-tone | alert-clip` (src/bench/dispatch.ts): the same start, and the
 * clip, done the way modbus-serial's README would write it — unicast, one terminal after the other, awaiting each
 * request (buses in parallel).
 */
import { performance } from 'node:perf_hooks';
import type { BusTarget } from '../../device-drivers/bench/sweep';
import type { ModbusTerminalBus } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import { chunkCount, encodeChunkFrame, encodeCommit, REGISTERS } from '../../firmware-protocols/terminal-modbus';

/**
 * The clip the naive way: to each terminal in turn, unicast, awaiting each request — prepare, every chunk, commit, then
 * play and a status read (buses in parallel). A dead terminal costs its time-outs, as it does to such code.
 */
export async function sequentialClipBaseline(
  targets: BusTarget[],
  buses: ModbusTerminalBus[],
  clip: { clipId: number; digest: string; data: Uint8Array },
  broadcastId: string,
): Promise<number> {
  const t0 = performance.now();
  const chunks = chunkCount(clip.data.length);
  const id = `${broadcastId.slice(0, -1)}3`;
  await Promise.all(
    buses.map(async (bus, i) => {
      for (const unit of targets[i].units) {
        try {
          const prepare = bus.sign({
            code: 'prepare-clip',
            clipId: clip.clipId,
            codec: 'opus-16k',
            size: clip.data.length,
            digest: clip.digest,
          });
          await bus.writeSigned(unit, prepare, 'FC16 clip prepare', { priority: 'command' });
          for (let c = 0; c < chunks; c++)
            await bus.write(
              unit,
              REGISTERS.chunk.address,
              encodeChunkFrame(clip.clipId, c, clip.data),
              `FC16 clip chunk ${c}`,
              { priority: 'command' },
            );
          await bus.write(unit, REGISTERS.commit.address, encodeCommit(clip.clipId), 'FC16 clip commit', {
            priority: 'command',
          });
          await bus.command(
            unit,
            {
              code: 'play',
              source: 'stored',
              clipId: clip.clipId,
              priority: 0,
              broadcastClass: 4,
              repeat: 1,
              volume: 80,
              broadcastId: id,
            },
            { priority: 'command' },
          );
          await bus.readStatus(unit, { priority: 'command' });
        } catch {
          // a dead unit or a lost frame: such code moves on to the next terminal
        }
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** Unicast play then a status read, one terminal after the other on each bus (buses in parallel). */
export async function sequentialBaseline(
  targets: BusTarget[],
  buses: ModbusTerminalBus[],
  clipId: number,
  broadcastId: string,
): Promise<number> {
  const t0 = performance.now();
  const id = `${broadcastId.slice(0, -1)}2`;
  await Promise.all(
    buses.map(async (bus, i) => {
      for (const unit of targets[i].units) {
        try {
          await bus.command(
            unit,
            {
              code: 'play',
              source: 'stored',
              clipId,
              priority: 0,
              broadcastClass: 4,
              repeat: 1,
              volume: 80,
              broadcastId: id,
            },
            { priority: 'command' },
          );
          await bus.readStatus(unit, { priority: 'command' });
        } catch {
          // a dead unit costs its timeout, as it does to such code
        }
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}
