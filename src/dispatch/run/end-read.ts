/**
 * The end read: each terminal read when its play should have ended. Still playing ours (a late start, a clock a
 * little behind) → read again a second later, for at most the policy's overtime; booted since the read that verified
 * it (or, after a restart of ours, up for less time than it has been playing) → it restarted during the play (power
 * cut, watchdog) and did not play it through: failed with that reason; otherwise played. One that does not answer two
 * reads was verified playing and its time is over: played, with that said.
 */
import { failureOf, type TerminalStatus } from '../../field/field-port';
import { isBroadcasting, showsOurs } from '../bus-plan';
import type { LedgerRow } from '../delivery-ledger';
import type { RunState } from './run-state';

export interface EndReadOutcome {
  /** By reason (null: played through). */
  played: Map<string | null, LedgerRow[]>;
  restarted: { row: LedgerRow; reason: string }[];
}

/** Two reads at most; the status, or why there is none. */
async function readEnd(run: RunState, r: LedgerRow): Promise<{ status: TerminalStatus | null; error: string }> {
  const where = run.ctx.locate(r.terminalId);
  let status: TerminalStatus | null = null;
  let error = 'its bus is closed';
  for (let i = 0; where && i < 2 && status === null; i++) {
    status = await run.ctx
      .link(where.gatewayId)
      .status(r.terminalId, 'command')
      .catch((e: unknown) => ((error = failureOf(e).message), null));
  }
  return { status, error };
}

/** Booted since the read that verified it (known in this process), or up for less time than it has been playing. */
function restartedDuringPlay(run: RunState, r: LedgerRow, s: TerminalStatus, now: number): string | null {
  const playedFor = r.verifiedAt ? now - r.verifiedAt.getTime() : 0;
  const booted = s.uptimeSeconds === null ? null : now - s.uptimeSeconds * 1000;
  const before = run.bootAt.get(r.id);
  const slack = run.ctx.policy.restartSlackMs;
  if (booted === null || !(before !== undefined ? booted > before + slack : booted > now - playedFor + slack))
    return null;
  return `restarted during the play: up ${s.uptimeSeconds} s at its end, verified playing ${Math.round(playedFor / 1000)} s before`;
}

export async function endRead(run: RunState, rows: LedgerRow[]): Promise<EndReadOutcome> {
  const played = new Map<string | null, LedgerRow[]>();
  const restarted: { row: LedgerRow; reason: string }[] = [];
  const add = (reason: string | null, r: LedgerRow): void =>
    void played.set(reason, [...(played.get(reason) ?? []), r]);
  await Promise.all(
    rows.map(async (r) => {
      const { status: s, error } = await readEnd(run, r);
      const now = run.ctx.clock.now();
      if (s === null) return add(`played as verified; its end was not read: ${error}`.slice(0, 255), r);
      const end = run.endsAt.get(r.id) ?? now;
      const first = run.overtime.get(r.id) ?? end;
      const stillOurs = isBroadcasting(s) && showsOurs(s, { ...run.ours(r.terminalClipId ?? null), startAt: 0 });
      if (stillOurs && now < run.broadcast.endAt.getTime() && now - first < run.ctx.policy.overtimeMs) {
        run.overtime.set(r.id, first);
        run.endsAt.set(r.id, now + 1000);
        return;
      }
      const reason = restartedDuringPlay(run, r, s, now);
      if (reason !== null) restarted.push({ row: r, reason });
      else add(null, r);
    }),
  );
  return { played, restarted };
}
