/**
 * Starts in doubt: a start sent (or recorded as sent by the server that ran the row before: an earlier process, or in
 * a cluster the previous holder of the bus) and not verified. A terminal that took such a start and is idle again (a
 * short tone ends within seconds) is told from one that never took it by its last accepted sequence alone
 * (start-phase.ts, SentStarts). The first command signed to it afterwards moves that sequence past the start for good,
 * and the terminal would be started a second time. A clip's prepare is such a command: broadcast to every unit of the
 * bus to store the clip on those that lack it, or sent to a terminal a bus-wide start reached while it was still
 * being transferred to (one that had the clip by then played it). So:
 *
 * - a run taking over rows reads the terminals whose start is in doubt before it signs anything on their bus
 *   (`readInDoubt`);
 * - a transfer beside the run's start waits until that start phase is over on the bus (`transferLink`): until then
 *   the start may still go out, late behind the bus's queue or as the copy of a bus-wide start lost on the line, and
 *   reach the terminals the transfer is for. It then reads first those whose start is in doubt, leaves out those
 *   that took it (and those another round of the run has stored meanwhile), and withdraws the others' start
 *   sequences before their prepare goes out (the prepare is not a start);
 * - while any start on the bus is in doubt, the prepare goes to each terminal on its own, never to the whole bus
 *   (`prepareEach`, device-drivers/terminal-bus.ts).
 *
 * A terminal found to have taken the start is `playing`, ending when that start's play ends. One that does not answer
 * (read as often as the start phase would) is left as it was.
 */
import type { TerminalStatus } from '../../field/field-port';
import { SentStarts, showsOurs, type BusLink } from '../bus-plan';
import type { LedgerRow } from '../delivery-ledger';
import type { RunState } from './run-state';

/** The terminals of one bus that one clip variant goes to (run-transfers.ts, BusPlan). */
type BusPlan = { gatewayId: number; rows: LedgerRow[]; clip: { clipId: number; durationMs: number } };

const IN_DOUBT: readonly LedgerRow['state'][] = ['pending', 'transferring', 'ready'];

const inDoubtRow = (r: LedgerRow): boolean => Boolean(r.startSentAt) && IN_DOUBT.includes(r.state);

/** The rows of a bus plan whose start is in doubt. */
export function inDoubt(p: BusPlan): LedgerRow[] {
  return p.rows.filter(inDoubtRow);
}

/** Reads the terminals whose start is in doubt, bus by bus in parallel; those that took it are `playing`. */
export async function readInDoubt(run: RunState, plan: BusPlan[]): Promise<void> {
  await Promise.all(
    plan.map((p) => {
      for (const r of p.rows) run.durationMs.set(r.id, p.clip.durationMs);
      return readBus(run, p.gatewayId, inDoubt(p), p.clip.clipId);
    }),
  );
  await run.flush();
}

/** A start sent on the bus (or recorded as sent before) is not verified yet. */
export function startInDoubt(run: RunState, gatewayId: number): boolean {
  return run.ledger.rows().some((r) => inDoubtRow(r) && busOf(run, r) === gatewayId);
}

/**
 * The bus for a transfer of the run (see the file's head). Every transfer through it but the first round's (`first`:
 * the synchronised start waits for that one) waits until the run's start phase on the bus is over. A terminal read
 * before then may take the start after the read (a bus-wide start lost on the line goes out again, and reaches the
 * terminals still being transferred to); its prepare would then withdraw a start it took, and it would be started a
 * second time.
 */
export function transferLink(run: RunState, gatewayId: number, first = false): BusLink {
  const link = run.ctx.link(gatewayId);
  let calls = 0;
  return {
    ...link,
    transfer: async (keys, clip, priority, opts) => {
      if (!first || calls++ > 0) await run.startPhaseOn(gatewayId);
      const doubt = run.rowsOf(keys).filter((r) => inDoubtRow(r) && hasSequences(r));
      const took = await readBus(run, gatewayId, doubt, clip.clipId);
      await run.flush();
      // a terminal stored and started meanwhile by another round of the run is not prepared again
      const rest = keys.filter(
        (k) => !took.has(k) && ['pending', 'transferring'].includes(run.ledger.ofTerminal(k)?.state ?? ''),
      );
      if (rest.length === 0) return { stored: [], alreadyStored: [], failed: [] };
      await withdrawSequences(run, rest);
      return link.transfer(rest, clip, priority, {
        ...opts,
        prepareEach: opts?.prepareEach || startInDoubt(run, gatewayId),
      });
    },
  };
}

const hasSequences = (r: LedgerRow): boolean => (r.startFloor ?? null) !== null || (r.startSequence ?? null) !== null;

const busOf = (run: RunState, r: LedgerRow): number | undefined =>
  r.gatewayId ?? run.ctx.locate(r.terminalId)?.gatewayId;

/**
 * Before a prepare goes out to them: the floor and sequence of the terminals' start records are withdrawn, and
 * written; `startSentAt` stays, so that a terminal is still read before it is started (found playing ours, it took
 * that start all the same).
 */
async function withdrawSequences(run: RunState, keys: number[]): Promise<void> {
  const rows = run.rowsOf(keys).filter(hasSequences);
  if (rows.length === 0) return;
  run.ledger.patch(
    rows.map((r) => r.id),
    { startFloor: null, startSequence: null },
  );
  if (!(await run.flush()))
    throw new Error('the start records of the terminals could not be withdrawn (database): clip transfer not sent');
}

/** Reads the rows of one bus whose start is in doubt; returns the terminals that took it (now `playing`). */
async function readBus(run: RunState, gatewayId: number, rows: LedgerRow[], clipId: number): Promise<Set<number>> {
  const took = new Set<number>();
  if (rows.length === 0) return took;
  // a start is recognised once it has begun (start times are whole seconds on the wire)
  const sent = Math.max(...rows.map((r) => (r.startSentAt as Date).getTime()));
  await run.ctx.clock.sleep(sent + run.ctx.policy.startLeadMs + 1000 - run.ctx.clock.now());
  run.checkpoint();
  const link = run.ctx.link(gatewayId);
  const priority = run.broadcast.emergency ? 'emergency' : 'command';
  const sentStarts = new SentStarts(
    (t) => run.ledger.ofTerminal(t)?.startSequence ?? null,
    (t) => run.signedBefore(t, gatewayId),
  );
  const ours = run.ours(clipId);
  await Promise.all(
    rows.map(async (r) => {
      let s: TerminalStatus | null = null;
      for (let i = 0; s === null && i < run.ctx.policy.maxSilences; i++)
        s = await link.status(r.terminalId, priority).catch(() => null);
      if (!s || !(showsOurs(s, ours) || sentStarts.tookOurs(r.terminalId, s))) return;
      playing(run, r, s, clipId);
      took.add(r.terminalId);
    }),
  );
  return took;
}

/** The terminal took the start recorded for it: it plays (or played) from that start's time. */
function playing(run: RunState, r: LedgerRow, s: TerminalStatus, clipId: number): void {
  const now = run.ctx.clock.now();
  if (r.state !== 'ready') run.ledger.move([r.id], 'ready', null, { terminalClipId: clipId });
  run.ledger.move([r.id], 'playing', null, { verifiedAt: new Date(now) });
  if (s.uptimeSeconds !== null) run.bootAt.set(r.id, now - s.uptimeSeconds * 1000);
  // the start went out after its record, and began its lead later
  const from = (r.startSentAt as Date).getTime() + run.ctx.policy.startLeadMs;
  run.endsAt.set(r.id, run.endOf(from, run.durationMs.get(r.id) ?? 0));
  // it played the stored clip: it holds it
  if (!run.broadcast.source) run.ctx.stored?.(r.terminalId, clipId);
}
