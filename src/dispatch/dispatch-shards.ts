/**
 * Dispatch across the instances of a cluster (docs/cluster.md, "Dispatch across instances"). A broadcast is run in
 * shards: each instance runs the deliveries of the buses it holds, from their rows, and nothing else. A shard names
 * its buses with the epoch of each lease when it took them; every write of a delivery is a transaction fenced by its
 * bus's lease at that epoch, so a holder that lost a bus (paused past its lease, partitioned) cannot record a result
 * for it: the database refuses the write, the bus leaves the shard, and the new holder's shard continues from the rows.
 *
 * Not clustered there is one shard per broadcast, over every delivery, written as one transaction without a fence:
 * the engine behaves as it always has.
 */
import { Logger } from '@nestjs/common';
import { busKey, type LeaseManager } from '../cluster/lease-manager';
import { StaleLeaseError } from '../cluster/lease-fence';
import { FieldError } from '../field/field-commands';
import type { BroadcastRun } from './broadcast-run';
import type { BusLink } from './bus-plan';
import type { DeliveryChange, DeliveryUpdate, LedgerRow } from './delivery-ledger';
import type { DispatchRepository } from './dispatch.repository';
import type { RunView } from './run/run-context';

/** One run of a broadcast on this instance. */
export interface Shard {
  readonly broadcastId: string;
  /** Gateway id → the epoch its lease had when the shard took the bus; null: every delivery (not clustered). */
  readonly buses: Map<number, number> | null;
  run: BroadcastRun | null;
  done: Promise<void>;
}

/** How many fenced per-bus transactions a flush keeps open at once. */
const WRITE_PARALLEL = 4;

export class DispatchShards {
  private readonly log = new Logger('Dispatch');
  private readonly byBroadcast = new Map<string, Shard[]>();
  private readonly byRun = new WeakMap<RunView, Shard>();
  /** Delivery writes refused by a bus lease's fence (the bus had moved to another holder). */
  refused = 0;

  constructor(
    private readonly leases: LeaseManager,
    private readonly repo: DispatchRepository,
  ) {}

  get clustered(): boolean {
    return this.leases.clustered;
  }

  shardsOf(broadcastId: string): Shard[] {
    return this.byBroadcast.get(broadcastId) ?? [];
  }

  has(broadcastId: string): boolean {
    return this.shardsOf(broadcastId).length > 0;
  }

  /** Every run under way here. */
  runs(): BroadcastRun[] {
    return [...this.byBroadcast.values()].flat().flatMap((s) => (s.run ? [s.run] : []));
  }

  runsOf(broadcastId: string): BroadcastRun[] {
    return this.shardsOf(broadcastId).flatMap((s) => (s.run ? [s.run] : []));
  }

  /** The run here that holds the terminal's delivery of the broadcast, on a bus it still runs. */
  runOf(broadcastId: string, terminalId: number): BroadcastRun | undefined {
    for (const s of this.shardsOf(broadcastId)) {
      const row = s.run?.ledger.ofTerminal(terminalId);
      if (row && (!s.buses || (row.gatewayId !== null && s.buses.has(row.gatewayId)))) return s.run ?? undefined;
    }
    return undefined;
  }

  /**
   * A shard's way onto a bus: refused at once, before anything is sent, once the bus has left the shard (its lease was
   * lost; if this instance gains it again, a new shard runs it from the rows, never this one from memory).
   */
  guard(shard: Shard, gatewayId: number, link: BusLink): BusLink {
    const buses = shard.buses;
    if (!buses) return link;
    const check = (operation: string): void => {
      if (!buses.has(gatewayId))
        throw new FieldError(
          {
            kind: 'disconnected',
            exceptionCode: null,
            message: `gateway ${gatewayId}: its lease has moved, this run of broadcast ${shard.broadcastId} no longer drives it: ${operation} not sent`,
          },
          `gateway ${gatewayId}`,
          null,
          operation,
        );
    };
    return {
      id: link.id,
      transfer: async (keys, clip, priority, opts) => (check('transfer'), link.transfer(keys, clip, priority, opts)),
      commandAll: async (command, priority) => (check('bus-wide command'), link.commandAll(command, priority)),
      command: async (key, command, priority) => (check('command'), link.command(key, command, priority)),
      status: async (key, priority) => (check('status read'), link.status(key, priority)),
    };
  }

  add(shard: Shard): void {
    this.byBroadcast.set(shard.broadcastId, [...this.shardsOf(shard.broadcastId), shard]);
  }

  remove(shard: Shard): void {
    const left = this.shardsOf(shard.broadcastId).filter((s) => s !== shard);
    if (left.length > 0) this.byBroadcast.set(shard.broadcastId, left);
    else this.byBroadcast.delete(shard.broadcastId);
  }

  attach(shard: Shard, run: BroadcastRun): void {
    shard.run = run;
    this.byRun.set(run, shard);
  }

  /** The deliveries a shard runs: all of them, or those of its buses. */
  rowsFor(shard: Shard, rows: LedgerRow[]): LedgerRow[] {
    const buses = shard.buses;
    return buses ? rows.filter((r) => r.gatewayId !== null && buses.has(r.gatewayId)) : rows;
  }

  /** The buses a broadcast's shards here run (clustered). */
  covered(broadcastId: string): Set<number> {
    return new Set(this.shardsOf(broadcastId).flatMap((s) => [...(s.buses?.keys() ?? [])]));
  }

  /**
   * Of `gateways` (where the broadcast has open deliveries), those this instance holds, has open (`open`), and runs
   * in no shard yet, with the epoch of each lease now.
   */
  claimable(
    broadcastId: string,
    gateways: readonly (number | null)[],
    open: (g: number) => boolean,
  ): Map<number, number> {
    const covered = this.covered(broadcastId);
    const out = new Map<number, number>();
    for (const g of gateways) {
      if (g === null || covered.has(g) || !open(g)) continue;
      const epoch = this.leases.epochOf(busKey(g));
      if (epoch !== null) out.set(g, epoch);
    }
    return out;
  }

  /** A bus lease lost: no shard here acts for that bus any more (its runs' writes for it are dropped). */
  drop(gatewayId: number): void {
    for (const s of [...this.byBroadcast.values()].flat()) s.buses?.delete(gatewayId);
  }

  /**
   * Writes a run's batch. Not clustered: one transaction, as always; every change written. Clustered: per bus, a
   * transaction fenced by its lease at the shard's epoch; the changes of a bus whose write was refused (or that the
   * shard no longer holds) are left out of what is returned, and the bus leaves the shard.
   */
  async write(run: RunView, changes: DeliveryChange[], updates: DeliveryUpdate[]): Promise<DeliveryChange[]> {
    const shard = this.byRun.get(run);
    if (!shard?.buses) {
      await this.repo.write(updates);
      return changes;
    }
    const buses = shard.buses;
    const busOf = new Map(run.ledger.rows().map((r) => [r.id, r.gatewayId]));
    const perBus = new Map<number, DeliveryUpdate[]>();
    for (const u of updates) {
      const ids = new Map<number, number[]>();
      for (const id of u.ids) {
        const g = busOf.get(id);
        if (g === null || g === undefined || !buses.has(g)) continue;
        ids.set(g, [...(ids.get(g) ?? []), id]);
      }
      for (const [g, some] of ids) perBus.set(g, [...(perBus.get(g) ?? []), { ids: some, set: u.set }]);
    }
    const written = new Set<number>();
    const queue = [...perBus];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [g, batch] = next;
        const epoch = buses.get(g);
        if (epoch === undefined) continue;
        try {
          await this.repo.writeFenced(busKey(g), epoch, batch);
          for (const u of batch) for (const id of u.ids) written.add(id);
        } catch (e) {
          if (!(e instanceof StaleLeaseError)) throw e;
          this.refused += batch.reduce((n, u) => n + u.ids.length, 0);
          buses.delete(g);
          this.log.warn(
            `broadcast ${run.broadcastId}: gateway ${g} has moved to another instance (epoch ${epoch} is stale): ` +
              `its delivery results here are not written, its new holder continues from the rows`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_PARALLEL, queue.length) }, worker));
    return changes.filter((c) => written.has(c.deliveryId));
  }
}
