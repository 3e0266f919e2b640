/**
 * A stop of a broadcast on the buses it was started on (bus-wide, then to each terminal still playing it): the backstop
 * of a play's own end time (a relay slot's end, a window shortened through another instance). The deliveries are left
 * to the run's end read.
 */
import type { FieldCommands } from '../field/field-commands';
import { stopPhase } from './bus-plan';
import type { DispatchRepository } from './dispatch.repository';
import type { DispatchShards } from './dispatch-shards';
import { fieldLink } from './field-link';

/**
 * Stops the broadcast on the buses `where` accepts, where its runs here (else its rows) say a start went out: the
 * runs know the starts they sent before writing them.
 */
export async function stopOnBuses(
  shards: DispatchShards,
  repo: DispatchRepository,
  field: FieldCommands,
  broadcastId: string,
  where: (gatewayId: number) => boolean,
): Promise<void> {
  const runs = shards.runsOf(broadcastId);
  const b = runs[0]?.broadcast ?? (await repo.findBroadcast(broadcastId));
  if (!b) return;
  const rows = runs.flatMap((r) => r.ledger.rows());
  if (rows.length === 0 || shards.clustered) {
    // in a cluster the runs here may cover some buses of the broadcast and not others (a run over, a bus just taken)
    const known = new Set(rows.map((r) => r.terminalId));
    rows.push(...(await repo.ledgerRows(broadcastId)).filter((r) => !known.has(r.terminalId)));
  }
  const byBus = new Map<number, number[]>();
  for (const r of rows.filter((x) => x.startSentAt)) {
    const g = field.locate(r.terminalId)?.gatewayId;
    if (g !== undefined && where(g)) byBus.set(g, [...(byBus.get(g) ?? []), r.terminalId]);
  }
  const stop = { code: 'stop' as const, broadcastId, priority: b.priority };
  const ours = { broadcastId, clipId: null, priority: b.priority, broadcastClass: b.broadcastClass, startAt: 0 };
  await Promise.all([...byBus].map(([g, keys]) => stopPhase(fieldLink(field, g), keys, stop, ours)));
}
