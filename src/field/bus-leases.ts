/**
 * The field's side of the cluster (docs/cluster.md): every enabled gateway of the registry is a bus key
 * (`bus:<gatewayId>`) the LeaseManager shares among the instances, and the field drives a gateway's bus only while this
 * instance holds its lease. FieldBuses opens a bus on `gained` and closes it on `lost` (bus-lifecycle.ts; the manager
 * reports a loss before it releases the lease, and at 80 % of its term, so the bus is closed before another instance may
 * take it).
 *
 * Not clustered (DALABA_CLUSTER=off): this instance holds every bus, no event ever comes, nothing changes.
 */
import type { Subscription } from 'rxjs';
import { BUS_PREFIX, busKey, type LeaseEvent, type LeaseManager } from '../cluster/lease-manager';
import { FieldError } from './field-port';

/**
 * A request for a terminal or gateway whose bus another instance of the cluster drives: refused at once, never sent
 * and never waited for. Kind `disconnected` (this instance has no link to that bus), with a message naming the bus and
 * the instance that holds it (when known).
 */
export class BusElsewhereError extends FieldError {
  constructor(
    readonly gatewayId: number,
    readonly owner: string | null,
    operation: string,
    unit: number | null = null,
  ) {
    super(
      {
        kind: 'disconnected',
        exceptionCode: null,
        message:
          `${busKey(gatewayId)} (gateway ${gatewayId}) is driven by ` +
          `${owner === null ? 'another instance' : `instance ${owner}`} of the cluster, not this one: ${operation} not sent`,
      },
      `gateway ${gatewayId}`,
      unit,
      operation,
    );
    this.name = 'BusElsewhereError';
  }
}

/** The gateway id of a bus key, or null for another key (a singleton). */
export function gatewayOfKey(key: string): number | null {
  if (!key.startsWith(BUS_PREFIX)) return null;
  const id = Number(key.slice(BUS_PREFIX.length));
  return Number.isInteger(id) ? id : null;
}

export interface BusLeaseHandlers {
  /** This instance now holds the gateway's bus: open it. */
  gained(gatewayId: number, epoch: number): void;
  /** It no longer does: close it now, before another instance may take it. */
  lost(gatewayId: number, epoch: number): void;
}

/** The enabled gateways as bus keys, and whether this instance drives each. */
export class BusLeases {
  private enabled = new Set<number>();
  private subscription: Subscription | null = null;

  constructor(private readonly leases: LeaseManager) {}

  get clustered(): boolean {
    return this.leases.clustered;
  }

  /** Passes this instance's bus lease events on, by gateway id. */
  follow(handlers: BusLeaseHandlers): void {
    this.subscription?.unsubscribe();
    this.subscription = this.leases.events.subscribe((e: LeaseEvent) => {
      const gatewayId = gatewayOfKey(e.key);
      if (gatewayId === null) return;
      if (e.kind === 'gained') handlers.gained(gatewayId, e.epoch);
      else handlers.lost(gatewayId, e.epoch);
    });
  }

  unfollow(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  /** The registry's enabled gateways: the buses the cluster shares (balanced at the next renewal). */
  setGateways(gatewayIds: Iterable<number>): void {
    this.enabled = new Set(gatewayIds);
    this.publish();
  }

  /** A gateway enabled, disabled or removed in the registry. */
  setEnabled(gatewayId: number, enabled: boolean): void {
    if (this.enabled.has(gatewayId) === enabled) return;
    if (enabled) this.enabled.add(gatewayId);
    else this.enabled.delete(gatewayId);
    this.publish();
  }

  /** Whether this instance may drive the gateway's bus now (always, when not clustered). */
  owns(gatewayId: number): boolean {
    return this.leases.holds(busKey(gatewayId));
  }

  /** An enabled gateway whose bus another instance drives: the error to fail a request with at once; else null. */
  elsewhere(gatewayId: number, operation: string, unit: number | null = null): BusElsewhereError | null {
    if (!this.clustered || !this.enabled.has(gatewayId) || this.owns(gatewayId)) return null;
    return new BusElsewhereError(gatewayId, this.leases.ownerOf(busKey(gatewayId)), operation, unit);
  }

  private publish(): void {
    this.leases.setBuses([...this.enabled].sort((a, b) => a - b).map(busKey));
  }
}
