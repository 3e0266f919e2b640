/**
 * Requests for the holders of other buses (docs/cluster.md, "Requests for the other holders"). The relay planner and
 * its watch run on one instance (a singleton), yet two of their actions concern terminals of every bus, and a bus is
 * driven by its holder only: the late start of a terminal that missed a slot's start, and the stop at a slot's end.
 * For a bus held elsewhere they are written to the shared database (`dispatch_request`), as a cancel is: every
 * holder's dispatch pass reads the requests of the buses it holds and has open, acts on them in the background, and
 * deletes each one once its action is over. Nothing travels through Redis, and a request outlives its asker.
 *
 * Once: a request under way here is not taken again by a later pass, and it is deleted when its action is over. One
 * left behind by a holder that stopped or lost the bus before deleting it is handled again by the bus's next holder,
 * which is harmless: a late start reads the terminal first and starts only deliveries still unreachable or failed
 * (never a terminal twice), and a stop is idempotent. A request no holder took within REQUEST_TTL_MS is dropped.
 */
import { Logger } from '@nestjs/common';
import { busKey, type LeaseManager } from '../cluster/lease-manager';
import type { Clock } from '../common/clock';
import type { DispatchRepository } from './dispatch.repository';
import type { DispatchRequestEntity } from './dispatch-request.entity';
import type { DispatchShards } from './dispatch-shards';
import type { FieldCommands } from '../field/field-commands';
import type { LiveStatus } from '../monitoring/status-store';
import { stopOnBuses } from './broadcast-stops';
import { startableLate } from './late-start-rule';

/**
 * A request nobody took this long after it was written is dropped, ms: a late start still wanted is asked again (the
 * watch asks every few seconds), and a play ends at the end time its play command carried.
 */
export const REQUEST_TTL_MS = 60_000;

export interface RequestHost {
  /** This instance's monitoring of a terminal (of its buses). */
  status(terminalId: number): LiveStatus | undefined;
  startShard(broadcastId: string, buses: Map<number, number>): void;
  halted(): boolean;
}

export class HolderRequests {
  private readonly log = new Logger('Dispatch');
  /** The requests being handled here, by id, until deleted. */
  private readonly handling = new Map<number, Promise<void>>();

  constructor(
    private readonly repo: DispatchRepository,
    private readonly shards: DispatchShards,
    private readonly field: FieldCommands,
    private readonly leases: LeaseManager,
    private readonly clock: Clock,
    private readonly host: RequestHost,
  ) {}

  /**
   * Asks the holders of their buses to start these terminals late: one request per terminal still not started, on a
   * bus some instance holds, none while one of it waits.
   */
  async askLateStart(broadcastId: string, terminalIds: number[]): Promise<void> {
    const wanted = new Set(terminalIds);
    const waiting = new Set((await this.repo.requestsOf(broadcastId, 'start-late')).map((r) => r.terminalId));
    const rows = (await this.repo.notStarted(broadcastId)).filter(
      (d): d is { terminalId: number; gatewayId: number } =>
        wanted.has(d.terminalId) &&
        !waiting.has(d.terminalId) &&
        d.gatewayId !== null &&
        this.leases.ownerOf(busKey(d.gatewayId)) !== null,
    );
    await this.repo.addRequests(rows.map((d) => this.request('start-late', broadcastId, d.gatewayId, d.terminalId)));
  }

  /**
   * The terminals of the broadcast not started (unreachable, failed) whose delivery no run here holds, i.e. on other
   * instances' buses: the relay watch asks their late start of their holder, which judges them by its own monitoring.
   */
  async notStartedElsewhere(broadcastId: string): Promise<number[]> {
    const rows = await this.repo.notStarted(broadcastId);
    return rows
      .filter((d) => d.gatewayId !== null && !this.shards.runOf(broadcastId, d.terminalId))
      .map((d) => d.terminalId);
  }

  /** Asks the holders of the buses not held here on which the broadcast was started to stop it there. */
  async askStop(broadcastId: string): Promise<void> {
    const buses = (await this.repo.startedBuses(broadcastId)).filter((g) => !this.leases.holds(busKey(g)));
    await this.repo.addRequests(buses.map((g) => this.request('stop', broadcastId, g, null)));
  }

  /**
   * In every dispatch pass: the requests of the buses held and open here are acted on, in the background; those nobody
   * took for REQUEST_TTL_MS are dropped.
   */
  async serve(open: (gatewayId: number) => boolean): Promise<void> {
    const now = this.clock.now();
    const rows = (await this.repo.requests()).filter((r) => !this.handling.has(r.id));
    const stale = rows.filter((r) => now - r.requestedAt.getTime() >= REQUEST_TTL_MS);
    if (stale.length > 0) await this.repo.deleteRequests(stale.map((r) => r.id));
    const groups = new Map<string, DispatchRequestEntity[]>();
    for (const r of rows) {
      if (stale.includes(r) || !this.leases.holds(busKey(r.gatewayId)) || !open(r.gatewayId)) continue;
      const key = `${r.kind} ${r.broadcastId} ${r.gatewayId}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const group of groups.values()) {
      if (this.host.halted()) return;
      const { kind, broadcastId, gatewayId } = group[0];
      if (kind === 'stop')
        this.handle(group, () => stopOnBuses(this.shards, this.repo, this.field, broadcastId, (g) => g === gatewayId));
      else if (this.running(broadcastId, gatewayId)) {
        const ids = group.flatMap((r) => (r.terminalId === null ? [] : [r.terminalId]));
        this.handle(group, () => this.startLate(broadcastId, ids));
      } else await this.claim(group);
    }
  }

  /** Resolves once every request being handled here is over (tests). */
  async settled(): Promise<void> {
    while (this.handling.size > 0) await Promise.all([...this.handling.values()]);
  }

  private request(
    kind: DispatchRequestEntity['kind'],
    broadcastId: string,
    gatewayId: number,
    terminalId: number | null,
  ): Omit<DispatchRequestEntity, 'id'> {
    const requestedBy = this.leases.options.instanceId;
    return { kind, broadcastId, gatewayId, terminalId, requestedBy, requestedAt: this.clock.date() };
  }

  /** A late start asked of this instance: of the terminals its monitoring shows ready for it (late-start-rule.ts). */
  private async startLate(broadcastId: string, terminalIds: number[]): Promise<void> {
    const runs = this.shards.runsOf(broadcastId);
    if (runs.length === 0) return;
    const priority = runs[0].broadcast.priority;
    const ready = terminalIds.filter((id) => startableLate(this.host.status(id), broadcastId, priority));
    if (ready.length > 0) await Promise.all(runs.map((run) => run.startLate(ready)));
  }

  /** Whether a run here drives the broadcast on the bus. */
  private running(broadcastId: string, gatewayId: number): boolean {
    return this.shards.shardsOf(broadcastId).some((s) => s.run && s.buses?.has(gatewayId));
  }

  /**
   * A late start on a bus no run here drives for the broadcast: taken over after its deliveries there had all left the
   * open states, so no pass claimed it. A run of it starts (and gives the unreachable terminals their chance, as any
   * takeover does); the requests wait for it, to the next pass. For a broadcast over, they are dropped.
   */
  private async claim(group: DispatchRequestEntity[]): Promise<void> {
    const { broadcastId, gatewayId } = group[0];
    if (this.shards.covered(broadcastId).has(gatewayId)) return; // its run is starting
    const b = await this.repo.findBroadcast(broadcastId);
    if (!b || b.state !== 'running' || b.cancelRequestedAt || b.endAt.getTime() <= this.clock.now()) {
      if (!b || b.state !== 'planned') await this.repo.deleteRequests(group.map((r) => r.id));
      return;
    }
    const epoch = this.leases.epochOf(busKey(gatewayId));
    if (epoch !== null && !this.shards.covered(broadcastId).has(gatewayId))
      this.host.startShard(broadcastId, new Map([[gatewayId, epoch]]));
  }

  /** Acts on a group of requests of one bus in the background, then deletes them. */
  private handle(group: DispatchRequestEntity[], action: () => Promise<void>): void {
    const { kind, broadcastId, gatewayId } = group[0];
    const done = action()
      .catch((e: unknown) => {
        if (!this.host.halted())
          this.log.warn(`broadcast ${broadcastId}: ${kind} on gateway ${gatewayId} failed: ${(e as Error).message}`);
      })
      .then(() =>
        // a bus lost meanwhile (or a shutdown under way) leaves them to the bus's next holder
        !this.host.halted() && this.leases.holds(busKey(gatewayId))
          ? this.repo.deleteRequests(group.map((r) => r.id))
          : undefined,
      )
      .catch((e: unknown) => this.log.warn(`broadcast ${broadcastId}: requests not deleted: ${(e as Error).message}`))
      .finally(() => {
        for (const r of group) this.handling.delete(r.id);
      });
    for (const r of group) this.handling.set(r.id, done);
  }
}
