/**
 * The clip's way onto the terminals of a run: the first transfer round on every bus, which the synchronised start
 * waits for, and what each round did to the rows of its terminals.
 */
import { firstTransfer, type TransferOutcome } from '../bus-plan';
import type { LedgerRow } from '../delivery-ledger';
import { transferLink } from './in-doubt';
import type { ClipVariant } from './run-context';
import type { RunState } from './run-state';

/** The terminals of one bus that one clip variant goes to. */
export interface BusPlan {
  gatewayId: number;
  rows: LedgerRow[];
  clip: ClipVariant;
}

/** The retries of a bus's terminals that the first transfer round could not reach. */
export interface LateTransfer {
  gatewayId: number;
  clip: ClipVariant;
  retry: Awaited<ReturnType<typeof firstTransfer>>['late'];
}

/** What a transfer round did to the rows of its terminals. */
export function recordRound(run: RunState, clip: ClipVariant): (out: TransferOutcome, last: boolean) => Promise<void> {
  return async (out, last) => {
    run.checkpoint();
    run.ledger.move(
      out.ready.map((t) => run.idOf(t)),
      'ready',
      null,
      { terminalClipId: clip.clipId },
    );
    for (const t of out.ready) run.ctx.stored?.(t, clip.clipId);
    for (const f of out.failed) run.ledger.move([run.idOf(f.key)], 'failed', f.reason.slice(0, 255));
    if (last)
      for (const f of out.unreachable) run.ledger.move([run.idOf(f.key)], 'unreachable', f.reason.slice(0, 255));
    await run.flush();
  };
}

/**
 * The first transfer round on every bus, which the synchronised start waits for — unless most terminals hold the
 * clip already (a provisioned tone): then they do not wait minutes for a long signal's transfer to the few that lack
 * it, which `storeLate` stores beside their play and starts on its own. Returns, per bus, the retries of the
 * terminals the first round could not reach.
 */
export async function firstRounds(
  run: RunState,
  plan: BusPlan[],
  storeLate: (p: BusPlan) => void,
): Promise<LateTransfer[]> {
  const { priority } = run.transferPriority();
  // a terminal known to hold the clip (a tone stored beforehand) is ready at once: not even the driver's check
  const held = (p: BusPlan, r: LedgerRow): boolean =>
    (r.state === 'pending' || r.state === 'transferring') && (run.ctx.holds?.(r.terminalId, p.clip.clipId) ?? false);
  for (const p of plan)
    run.ledger.move(
      p.rows.filter((r) => held(p, r)).map((r) => r.id),
      'ready',
      null,
      { terminalClipId: p.clip.clipId },
    );
  const todo = plan.map((p) => ({
    ...p,
    rows: p.rows.filter((r) => r.state === 'pending' || r.state === 'transferring'),
    othersWait: p.rows.some((r) => r.state === 'ready'),
  }));
  run.ledger.move(
    todo.flatMap((p) => p.rows.map((r) => r.id)),
    'transferring',
  );
  await run.flush();
  const waiting = todo.reduce((n, p) => n + p.rows.length, 0);
  const ready = plan.reduce((n, p) => n + p.rows.filter((r) => r.state === 'ready').length, 0);
  if (ready > 0 && ready >= waiting) {
    for (const p of todo) if (p.rows.length > 0) storeLate(p);
    return [];
  }
  const lates = await Promise.all(
    todo.map(async (p) => {
      const first = await firstTransfer(
        transferLink(run, p.gatewayId, true),
        p.rows.map((r) => r.terminalId),
        p.clip,
        priority,
        run.ctx.policy.backoffMs,
        recordRound(run, p.clip),
        (t) => run.ctx.offline(t),
        p.othersWait,
      );
      run.checkpoint();
      return { gatewayId: p.gatewayId, clip: p.clip, retry: first.late };
    }),
  );
  run.checkpoint();
  return lates;
}
