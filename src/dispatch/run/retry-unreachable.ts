/**
 * A broadcast continued after a restart or a takeover gives the terminals that did not answer another chance inside
 * its window: `unreachable → pending`. One of them may have heard a start all the same: a bus-wide start reaches
 * every unit of its bus, answering or not (a transfer whose replies were lost on the line can still have stored the
 * clip). Such a terminal is given the record of the earliest start sent on its bus (when, its sequence floor, its
 * sequence), so that it is read before it is started and, found playing ours or idle after taking it, not started a
 * second time (bus-start.ts, bus/start-phase.ts).
 */
import type { DeliveryLedger, LedgerRow } from '../delivery-ledger';

export function retryUnreachable(ledger: DeliveryLedger): void {
  const unreachable = ledger.inState('unreachable');
  if (unreachable.length === 0) return;
  const earliest = new Map<number, LedgerRow>();
  for (const r of ledger.rows()) {
    if (!r.startSentAt || r.gatewayId === null) continue;
    const e = earliest.get(r.gatewayId);
    if (!e || (r.startFloor ?? 0) < (e.startFloor ?? 0)) earliest.set(r.gatewayId, r);
  }
  ledger.move(
    unreachable.map((r) => r.id),
    'pending',
  );
  for (const r of unreachable) {
    const sibling = r.startSentAt || r.gatewayId === null ? undefined : earliest.get(r.gatewayId);
    if (sibling)
      ledger.patch([r.id], {
        startSentAt: sibling.startSentAt,
        startFloor: sibling.startFloor ?? null,
        startSequence: sibling.startSequence ?? null,
      });
  }
}
