/**
 * One piece of work that runs once in the cluster (docs/cluster.md, "Singletons"): the relay planner, the upstream
 * outbox, the upstream heartbeats and status reports, the CAP feed polls, the alert expiry sweep. The service makes
 * one when its work is to run on this instance (the singleton is registered with the LeaseManager then, and taken at
 * the next renewal when nobody holds it), asks `holds()` before each pass and before each step that acts, and writes
 * what must not be written twice in a transaction that calls `fence(tx)` first. `watch` tells it when it gained the
 * lease (take the work up from the database) and when it lost it (stop at once: `lost` comes before anyone else may
 * take it).
 *
 * Not clustered (DALABA_CLUSTER=off): `holds()` is always true, `fence` checks nothing and `watch` never calls back,
 * so the work runs exactly as on a single instance.
 */
import type { Subscription } from 'rxjs';
import type { Tx } from '../database/transactions';
import type { LeaseManager } from './lease-manager';

export interface SingletonHandlers {
  /** This instance took the singleton (at `epoch`): pick the work up from the database. */
  gained?: (epoch: number) => void;
  /** It lost it (released, refused, or no longer trusted): start nothing more. */
  lost?: (epoch: number) => void;
}

export class SingletonLease {
  /** `singleton:<name>` */
  readonly key: string;

  constructor(
    private readonly leases: LeaseManager,
    readonly name: string,
  ) {
    this.key = leases.addSingleton(name);
  }

  get clustered(): boolean {
    return this.leases.clustered;
  }

  /** Whether this instance may run the work now (always, when not clustered). */
  holds(): boolean {
    return this.leases.holds(this.key);
  }

  /** Inside a transaction that writes the work's results: throws StaleLeaseError (rolling it back) unless held. */
  fence(tx: Tx): Promise<void> {
    return this.leases.fence(tx, this.key);
  }

  /** Calls back, synchronously in the LeaseManager's event, when this singleton is gained or lost here. */
  watch(handlers: SingletonHandlers): Subscription {
    return this.leases.events.subscribe((e) => {
      if (e.key !== this.key) return;
      if (e.kind === 'gained') handlers.gained?.(e.epoch);
      else handlers.lost?.(e.epoch);
    });
  }
}
