/**
 * The timed part of `npm run bench -- alert-tone | alert-clip` (src/bench/dispatch.ts), as the dispatch engine runs it
 * (src/dispatch/bus-plan.ts): the clip stored in a first round on every bus, then one synchronised start for all buses
 * with the terminals the first round missed tried again and started on their own, what it collects as it goes.
 */
import { performance } from 'node:perf_hooks';
import { sm3 } from 'sm-crypto-v2';
import type { BusTarget } from '../../device-drivers/bench/sweep';
import type { ModbusTerminalBus } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import { SIGNED_BLOCK_TTL_MS } from '../../device-drivers/modbus-terminal/signed-blocks';
import { SystemClock } from '../common/clock';
import {
  firstTransfer,
  startPhase,
  transferWithRetries,
  type BusLink,
  type PlayCommand,
  type StartOutcome,
} from '../dispatch/bus-plan';
import { sameBlockWindow } from '../dispatch/dispatch-policy';
import { transferFailure, withFieldErrors } from '../field/driver-failures';
import { transferBound } from './dispatch-bounds';
import { traced } from './dispatch-trace';

export const BROADCAST_ID = '43415230000000101010101202612010001';
const LEAD_MS = 300;
/** The server's pauses between retries (src/dispatch/dispatch.service.ts). */
const RETRY_MS = [200, 500, 1000, 2000];

/** The per-bus plan's view of a driver bus: terminals keyed by unit. */
export function linkOf(bus: ModbusTerminalBus): BusLink {
  return {
    id: bus.id,
    transfer: async (units, clip, priority) => {
      const r = await withFieldErrors(() => bus.transferClip(units, clip, { priority }));
      return {
        stored: r.stored,
        alreadyStored: r.alreadyStored,
        failed: r.failed.map((f) => ({ key: f.unit, failure: transferFailure(f) })),
      };
    },
    // the buses share a SignedBlockCache: a bus-wide command is one signed block for the whole county
    commandAll: async (c, priority) =>
      (await traced(bus.id, 'play', 'all', () => withFieldErrors(() => bus.command('all', c, { priority })))).sequence,
    command: async (unit, c, priority) =>
      (await traced(bus.id, 'play', unit, () => withFieldErrors(() => bus.command(unit, c, { priority })))).sequence,
    status: (unit, priority) =>
      traced(bus.id, 'status', unit, () => withFieldErrors(() => bus.readStatus(unit, { priority }))),
  };
}

const clock = new SystemClock();

/** A clip of `bytes` pseudo-random bytes, the same on every run. */
export function clipOf(
  bytes: number,
  clipId: number,
): { clipId: number; codec: string; digest: string; data: Uint8Array } {
  const data = new Uint8Array(bytes);
  let x = 12345;
  for (let i = 0; i < bytes; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return { clipId, codec: 'opus-16k', digest: sm3(data), data };
}

/** What a timed alert run collects as it goes, from its start `t0` (performance.now()). */
export interface AlertTally {
  t0: number;
  lastLive: number;
  transferred: number;
  verifiedAt: number[];
  transferS: { bus: number; s: number; bound: number }[];
  transferFailed: string[];
}

export type Clip = ReturnType<typeof clipOf>;
export type FirstRound = { ready: number[]; late: Awaited<ReturnType<typeof firstTransfer>>['late'] | null };

/** alert-tone: the tone is stored on every terminal before the clock starts, as the built-in tones are. */
export async function storeTone(
  links: BusLink[],
  targets: BusTarget[],
  clip: Clip,
  say: (l: string) => void,
): Promise<void> {
  say('storing the tone on every terminal first (not timed)');
  const stored = await Promise.all(
    links.map((l, i) => transferWithRetries(l, targets[i].units, clip, 'transfer', 'command', RETRY_MS, clock)),
  );
  say(`stored on ${stored.reduce((n, r) => n + r.ready.length, 0)} terminals`);
}

/** As the engine does: every bus stores the clip in a first round (nothing to store for a tone, already there). */
export function firstRounds(
  links: BusLink[],
  targets: BusTarget[],
  clip: Clip,
  bytes: number,
  tone: boolean,
  deadOf: (i: number) => Set<number>,
  tally: AlertTally,
): Promise<FirstRound[]> {
  return Promise.all(
    links.map(async (link, i) => {
      if (tone) return { ready: targets[i].units, late: null };
      const first = await firstTransfer(link, targets[i].units, clip, 'emergency', RETRY_MS, undefined, (unit) =>
        deadOf(i).has(unit),
      );
      tally.transferred += first.out.ready.length;
      if (first.out.failed.length > 0)
        tally.transferFailed.push(...first.out.failed.map((f) => `bus ${i} unit ${f.key}: ${f.reason}`));
      tally.transferS.push({
        bus: i,
        s: (performance.now() - tally.t0) / 1000,
        bound: transferBound(targets[i], bytes, targets[i].units.length - deadOf(i).size, deadOf(i).size).ms / 1000,
      });
      return { ready: first.out.ready, late: first.late };
    }),
  );
}

/**
 * All buses start together (one start time, one signed block); the terminals the first round could not reach are
 * tried again meanwhile and started on their own. The outcomes: the synchronised starts, then the late ones.
 */
export async function startAll(
  links: BusLink[],
  firsts: FirstRound[],
  clipId: number,
  deadOf: (i: number) => Set<number>,
  tally: AlertTally,
): Promise<StartOutcome[]> {
  const startAt = Date.now() + LEAD_MS;
  const command: PlayCommand = {
    code: 'play',
    source: 'stored',
    clipId,
    priority: 1,
    broadcastClass: 4,
    repeat: 1,
    volume: 80,
    startAt: new Date(Math.ceil(startAt / 1000) * 1000),
    broadcastId: BROADCAST_ID,
  };
  const ours = { broadcastId: BROADCAST_ID, clipId, priority: 1, broadcastClass: 4, startAt };
  const start = (link: BusLink, i: number, toStart: number[], readFirst: number[]): Promise<StartOutcome> =>
    startPhase(
      link,
      {
        command,
        ours,
        priority: 'emergency',
        toStart,
        wholeBus: readFirst.length === 0,
        readFirst,
        deadline: Date.now() + 10_000,
        backoffMs: [100, 300, 600],
        sameBlockWindowMs: sameBlockWindow(SIGNED_BLOCK_TTL_MS),
        // what the server learns from monitoring: terminals that did not answer lately are read last
        suspect: (unit) => deadOf(i).has(unit),
        onPlaying: () => {
          tally.lastLive = Math.max(tally.lastLive, performance.now());
          tally.verifiedAt.push(performance.now() - tally.t0);
        },
      },
      clock,
    );
  const outs: StartOutcome[] = [];
  const outcomes = await Promise.all(
    links.map(async (link, i) => {
      const synchronised = await start(link, i, firsts[i].ready, []);
      // the retries one class below the start, as the engine does, so they never hold up its verification
      await firsts[i].late?.('command', clock, async (r) => {
        tally.transferred += r.ready.length;
        const lost = [...r.failed, ...r.unreachable].filter((f) => !deadOf(i).has(f.key));
        if (lost.length > 0)
          tally.transferFailed.push(...lost.map((f) => `bus ${i} unit ${f.key} (late): ${f.reason}`));
        if (r.ready.length > 0) outs.push(await start(link, i, [], r.ready));
      });
      return synchronised;
    }),
  );
  outcomes.push(...outs);
  return outcomes;
}
