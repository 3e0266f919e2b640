/**
 * This instance's leases (docs/cluster.md): every third of DALABA_LEASE_MS it records its heartbeat, renews what it
 * holds, gives up buses above its share and takes free or expired ones below it, and takes the singletons nobody
 * holds. It says what it gained and lost on `events`, so that the field layer can start or stop driving a bus.
 *
 * A lease is trusted locally only until `TRUST` of its term has passed since the renewal was sent: the holder stops
 * using a bus before any other instance may take it, by a margin that absorbs clock skew between machines. A lease
 * that lapsed is reported lost at that moment (a timer, so even while the database does not answer), or, after a
 * pause of the process, before anything else; it is never renewed.
 * `lost` is emitted before a lease is released, so its user has stopped before another instance can start.
 *
 * Off (the default, DALABA_CLUSTER=off): a single instance owns every bus; no database work at all.
 */
import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';
import { Clock, TimerHandle } from '../common/clock';
import type { Tx } from '../database/transactions';
import { isFree, planBalance } from './balance';
import { fence, StaleLeaseError } from './lease-fence';
import type { ClusterInstance, Lease, LeaseStore } from './lease-store';

/** The share of a lease's term its holder trusts: the rest is the margin for clock skew (0.8 s at the default 4 s). */
export const TRUST = 0.8;
export const BUS_PREFIX = 'bus:';
export const SINGLETON_PREFIX = 'singleton:';

export const busKey = (gatewayId: number): string => `${BUS_PREFIX}${gatewayId}`;
export const singletonKey = (name: string): string => `${SINGLETON_PREFIX}${name}`;

export type LeaseEvent = { kind: 'gained'; key: string; epoch: number } | { kind: 'lost'; key: string; epoch: number };

export interface LeaseManagerOptions {
  /** false: a single instance, owning every bus, with no database work. */
  clustered: boolean;
  instanceId: string;
  /** Where it runs, for operators (host name and process id). */
  label: string;
  leaseMs: number;
}

interface Held {
  epoch: number;
  /** Local time until which the lease is used; after it, it is lost. */
  trustedUntil: number;
}

export class LeaseManager implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Cluster');
  private readonly subject = new Subject<LeaseEvent>();
  /** Every lease gained or lost, in order. */
  readonly events: Observable<LeaseEvent> = this.subject.asObservable();
  readonly gained = this.events.pipe(filter((e) => e.kind === 'gained'));
  readonly lost = this.events.pipe(filter((e) => e.kind === 'lost'));
  private readonly membersSubject = new Subject<string[]>();
  /**
   * The live instances (heartbeat within one term), this one included, by id, as each renewal reads them: an instance
   * missing from it has stopped, as far as the cluster is concerned (its leases are taken over). Never when not
   * clustered.
   */
  readonly members: Observable<string[]> = this.membersSubject.asObservable();

  private readonly held = new Map<string, Held>();
  private buses: string[] = [];
  private busSet = new Set<string>();
  private readonly singletons = new Set<string>();
  /** The leases as last read by a renewal: who holds what, as far as this instance knows. */
  private seen = new Map<string, Lease>();
  private timer: TimerHandle | null = null;
  /** When the last renewal was sent: the next one is due a third of the term after it, however long the tick took. */
  private renewalSent: number | null = null;
  /** Fires when the first held lease stops being trusted, even if no renewal runs (database unreachable). */
  private expiryTimer: TimerHandle | null = null;
  private running: Promise<void> = Promise.resolve();
  private started = false;

  constructor(
    private readonly store: LeaseStore | null,
    private readonly clock: Clock,
    readonly options: LeaseManagerOptions,
  ) {
    if (options.clustered && !store) throw new Error('a clustered LeaseManager needs a LeaseStore');
  }

  get clustered(): boolean {
    return this.options.clustered;
  }

  /** Leases are renewed (and buses balanced) this often: a third of the term. */
  get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.options.leaseMs / 3));
  }

  describe(): string {
    if (!this.clustered) return 'single instance: owns every bus';
    const buses = this.heldKeys().filter((k) => k.startsWith(BUS_PREFIX)).length;
    return `cluster member ${this.options.instanceId}: holds ${buses} of ${this.buses.length} buses (lease ${this.options.leaseMs} ms)`;
  }

  /** The buses the cluster shares (`bus:<gatewayId>`), the same list on every instance; balanced at the next renewal. */
  setBuses(keys: readonly string[]): void {
    this.busSet = new Set(keys);
    this.buses = [...this.busSet];
  }

  /** Whether `key` is one of the buses the cluster shares now (an enabled gateway's). */
  isBus(key: string): boolean {
    return this.busSet.has(key);
  }

  /** Work that runs once in the cluster (e.g. 'relay-planner'): this instance takes it when nobody holds it. */
  addSingleton(name: string): string {
    const key = singletonKey(name);
    this.singletons.add(key);
    return key;
  }

  /** Whether this instance may act for `key` now (always, when not clustered). */
  holds(key: string): boolean {
    if (!this.clustered) return true;
    const h = this.held.get(key);
    return h !== undefined && this.clock.now() < h.trustedUntil;
  }

  /** The fencing epoch this instance holds `key` at; 0 when not clustered; null when not held. */
  epochOf(key: string): number | null {
    if (!this.clustered) return 0;
    return this.holds(key) ? (this.held.get(key)?.epoch ?? null) : null;
  }

  /** The keys held now, sorted. */
  heldKeys(): string[] {
    return [...this.held.keys()].filter((k) => this.holds(k)).sort();
  }

  /**
   * The instance holding `key` as of the last renewal (this one's id when it holds it); null when nobody held it
   * then, when it had lapsed, or when not clustered.
   */
  ownerOf(key: string): string | null {
    if (!this.clustered) return null;
    if (this.holds(key)) return this.options.instanceId;
    const lease = this.seen.get(key);
    return lease && lease.owner !== this.options.instanceId && !isFree(lease, this.clock.now()) ? lease.owner : null;
  }

  /** The other live instances of the cluster (heartbeat within one term), by id; none when not clustered. */
  async peers(): Promise<ClusterInstance[]> {
    if (!this.store) return [];
    const live = await this.store.instances(this.clock.now() - this.options.leaseMs);
    return live.filter((i) => i.id !== this.options.instanceId);
  }

  /**
   * Inside a transaction that writes on behalf of `key`: passes while this instance still holds it at its epoch,
   * else throws StaleLeaseError (the transaction rolls back). Nothing to check when not clustered.
   */
  async fence(tx: Tx, key: string): Promise<void> {
    if (!this.clustered) return;
    const h = this.held.get(key);
    if (!h || !this.holds(key)) throw new StaleLeaseError(key, h?.epoch ?? 0);
    await fence(tx, key, h.epoch);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.clustered) {
      this.log.log(this.describe());
      return;
    }
    this.log.log(`cluster member ${this.options.instanceId} (${this.options.label}), lease ${this.options.leaseMs} ms`);
    this.loop();
  }

  /** Resolves once the renewal under way (if any) has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  /** Stops renewing, gives every lease up (each reported lost first) and leaves the cluster. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    if (!this.store) return;
    const now = this.clock.now();
    for (const [key, h] of [...this.held]) {
      this.drop(key);
      await this.store.release(key, this.options.instanceId, h.epoch, now).catch(() => false);
    }
    await this.store.leave(this.options.instanceId).catch(() => undefined);
  }

  private loop(): void {
    this.running = this.tick()
      .catch((e: unknown) => this.log.warn(`lease renewal failed: ${(e as Error).message}`))
      .finally(() => {
        if (!this.started) return;
        this.armExpiry();
        this.timer = this.clock.setTimeout(() => this.loop(), this.nextTickIn());
      });
  }

  /**
   * The next renewal comes a third of the term after the last one was sent (at once when the tick took longer: a
   * renewal waiting on locked rows must not eat into the next one's margin), or sooner, just after the earliest expiry
   * of a lease another instance holds, when that falls before it: a live holder renews long before (its leases run a
   * term ahead), so this only moves the takeover of a stopped instance's buses up to the moment its leases lapse.
   */
  private nextTickIn(): number {
    const now = this.clock.now();
    let next = Math.max(0, (this.renewalSent ?? now) + this.renewEveryMs - now);
    for (const lease of this.seen.values())
      if (lease.owner !== null && lease.owner !== this.options.instanceId && lease.expiresAt > now)
        next = Math.min(next, lease.expiresAt - now + 1);
    return next;
  }

  /** Drops, reporting lost, every lease no longer trusted at this moment. */
  private expire(): void {
    const now = this.clock.now();
    for (const [key, h] of [...this.held]) if (now >= h.trustedUntil) this.drop(key);
  }

  private armExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    if (this.held.size === 0) return;
    const first = Math.min(...[...this.held.values()].map((h) => h.trustedUntil));
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = null;
      this.expire();
      if (this.started) this.armExpiry();
    }, first - this.clock.now());
  }

  private trustFrom(now: number): number {
    return now + Math.floor(this.options.leaseMs * TRUST);
  }

  private drop(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    this.held.delete(key);
    this.subject.next({ kind: 'lost', key, epoch: h.epoch });
  }

  private async take(store: LeaseStore, key: string, seen: Lease | null): Promise<boolean> {
    const sent = this.clock.now();
    const epoch = await store.acquire(key, this.options.instanceId, sent, this.options.leaseMs, seen);
    if (epoch === null) return false;
    this.held.set(key, { epoch, trustedUntil: this.trustFrom(sent) });
    this.subject.next({ kind: 'gained', key, epoch });
    return true;
  }

  /** Renews every lease held in a statement or two, each trusted from the time read just before they were sent. */
  private async renewHeld(store: LeaseStore): Promise<void> {
    const renewing = [...this.held].map(([key, h]) => ({ key, epoch: h.epoch }));
    const sent = this.clock.now();
    this.renewalSent = sent;
    const renewed = await store.renewMany(this.options.instanceId, renewing, sent, this.options.leaseMs);
    for (const { key, epoch } of renewing) {
      const h = this.held.get(key);
      if (h?.epoch !== epoch) continue;
      if (renewed.has(key)) h.trustedUntil = this.trustFrom(sent);
      else this.drop(key);
    }
  }

  /**
   * Between the steps of a long tick (a slow database, many keys to take): a renewal that has come due goes out
   * before the next step, so the leases held never wait for the balancing to finish.
   */
  private async renewIfDue(store: LeaseStore): Promise<void> {
    if (this.renewalSent === null || this.clock.now() - this.renewalSent < this.renewEveryMs) return;
    this.expire();
    await this.renewHeld(store);
  }

  private async tick(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const { instanceId: me, label, leaseMs } = this.options;
    const now = this.clock.now();
    // a lease no longer trusted (this process was paused, or the database too slow) is lost before anything else
    this.expire();
    await this.renewHeld(store);
    await store.heartbeat(me, label, now);
    if (!this.started) return;

    const leases = new Map((await store.list()).map((l) => [l.key, l]));
    this.seen = leases;
    await this.renewIfDue(store);
    const live = (await store.instances(now - leaseMs)).map((i) => i.id);
    this.membersSubject.next(live.includes(me) ? live : [...live, me].sort());
    const plan = planBalance({
      me,
      now,
      buses: this.buses,
      held: [...this.held.keys()].filter((k) => k.startsWith(BUS_PREFIX)),
      live: live.includes(me) ? live : [...live, me],
      leases,
    });
    for (const key of plan.release) {
      const h = this.held.get(key);
      if (!h) continue;
      this.drop(key); // its user stops before anyone else may start
      await store.release(key, me, h.epoch, now);
    }
    let want = plan.want;
    // rows that exist are taken together (a stopped instance's buses in one statement), then new keys likewise (the
    // other instances try the same rows: what they won, the next rows make up for, in the same tick)
    const existing = plan.candidates.flatMap((k) => leases.get(k) ?? []);
    for (let from = 0; want > 0 && from < existing.length && this.started;) {
      const batch = existing.slice(from, from + want);
      from += batch.length;
      await this.renewIfDue(store);
      const at = this.clock.now();
      for (const [key, epoch] of await store.acquireMany(me, batch, at, leaseMs)) {
        this.held.set(key, { epoch, trustedUntil: this.trustFrom(at) });
        this.subject.next({ kind: 'gained', key, epoch });
        want--;
      }
    }
    // keys without a row yet (a registry just imported), up to the share still wanted, inserted 200 a statement
    const fresh = plan.candidates.filter((k) => !leases.has(k));
    for (let from = 0; want > 0 && from < fresh.length && this.started;) {
      const batch = fresh.slice(from, from + want);
      from += batch.length;
      await this.renewIfDue(store);
      const at = this.clock.now();
      for (const key of await store.acquireNew(me, batch, at, leaseMs)) {
        this.held.set(key, { epoch: 1, trustedUntil: this.trustFrom(at) });
        this.subject.next({ kind: 'gained', key, epoch: 1 });
        want--;
      }
    }
    for (const key of this.singletons) {
      if (this.held.has(key) || !isFree(leases.get(key), now) || !this.started) continue;
      await this.take(store, key, leases.get(key) ?? null);
    }
  }
}
