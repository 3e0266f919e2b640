/**
 * The bus scheduler (docs/protocols.md, docs/performance.md): exactly one transaction in flight per bus; priority
 * classes emergency > command > transfer > poll, first-in first-out within a class; a queued request past its deadline
 * fails with 'deadline' without touching the wire; a running one is bounded by its timeout; an emergency waits at most
 * for the transaction in flight; units that keep failing are backed off exponentially (their polls fail fast with
 * 'backoff'; emergencies, commands and clip transfers always try — they are asked for on purpose, and whoever asks
 * decides how often to retry); the connection is kept open with reconnect + backoff.
 * Both terminal families run their transactions through it (it fulfils adapter/transactions.ts's TransactionRunner).
 */
import type { Observable } from 'rxjs';
import { BusError, type BusErrorKind, type BusMetrics, type PriorityClass } from '../terminal-bus';
import type { Clock, TimerHandle } from '../transport/clock';
import {
  DEFAULT_RECONNECT_BACKOFF,
  DEFAULT_UNIT_BACKOFF,
  isUnitFailure,
  UnitBackoff,
  type BackoffPolicy,
} from './backoff';
import { ConnectionSupervisor, type BusConnection, type ConnectionChange, type Connector } from './connection';

export const PRIORITY_CLASSES: readonly PriorityClass[] = ['emergency', 'command', 'transfer', 'poll'];

export interface TransactionSpec {
  /** Unit addressed; null or 0 for the whole bus (broadcast) — never backed off. */
  unit: number | null;
  /** What is done, for errors (e.g. "FC03 status"). */
  operation: string;
  priority: PriorityClass;
  /** Absolute, on the clock: the transaction fails with 'deadline' if it has not started by then. */
  deadline?: number;
  /** Bound on the running transaction; the scheduler's default when absent. */
  timeoutMs?: number;
  /** Aborted: the transaction fails with 'cancelled' if it has not started (the one in flight finishes). */
  signal?: AbortSignal;
  /** A 'poll' that is tried even when its unit is backed off (as commands and transfers are). */
  tryBackedOff?: boolean;
}

/** The work of one transaction: it gets the open connection and a signal aborted when its timeout passes. */
export type TransactionWork<C, T> = (connection: C, signal: AbortSignal) => Promise<T>;

export interface BusSchedulerOptions<C extends BusConnection> {
  busId: string;
  clock: Clock;
  connect: Connector<C>;
  /** Default bound on a running transaction. */
  timeoutMs?: number;
  /** After a timeout, how long a transaction that ignores its abort signal may hold the bus before the connection is dropped. */
  abandonAfterMs?: number;
  unitBackoff?: BackoffPolicy;
  reconnectBackoff?: BackoffPolicy;
  /** Queue cap per class (house rule: every buffer a cap); a request beyond it fails with 'backoff'. */
  maxQueuePerClass?: number;
  /**
   * Asked just before each transaction goes on the wire: false fails it as 'disconnected', unsent. A controller of a
   * cluster answers whether it still holds the bus, so that a process resumed after a pause sends nothing on a bus
   * another instance may drive by now, even before it has heard that its lease is gone.
   */
  mayTransmit?: () => boolean;
}

interface Queued {
  spec: TransactionSpec;
  run: () => void;
  fail: (e: BusError) => void;
  deadlineTimer: TimerHandle | null;
}

export class BusScheduler<C extends BusConnection> {
  readonly busId: string;
  private readonly clock: Clock;
  private readonly queues: Record<PriorityClass, Queued[]> = { emergency: [], command: [], transfer: [], poll: [] };
  private readonly backoff: UnitBackoff;
  private readonly supervisor: ConnectionSupervisor<C>;
  private readonly timeoutMs: number;
  private readonly abandonAfterMs: number;
  private readonly maxQueue: number;
  private readonly mayTransmit: (() => boolean) | undefined;
  private inFlight = false;
  private busySince = 0;
  private busyTotal = 0;
  private readonly startedAt: number;
  private transactionCount = 0;
  private readonly errorCounts: Partial<Record<BusErrorKind, number>> = {};

  constructor(opts: BusSchedulerOptions<C>) {
    this.busId = opts.busId;
    this.clock = opts.clock;
    this.timeoutMs = opts.timeoutMs ?? 1_000;
    this.abandonAfterMs = opts.abandonAfterMs ?? this.timeoutMs;
    this.maxQueue = opts.maxQueuePerClass ?? 10_000;
    this.mayTransmit = opts.mayTransmit;
    this.backoff = new UnitBackoff(opts.unitBackoff ?? DEFAULT_UNIT_BACKOFF);
    this.supervisor = new ConnectionSupervisor(
      opts.connect,
      opts.clock,
      opts.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF,
      () => this.next(),
    );
    this.startedAt = opts.clock.now();
  }

  /** Connection state changes (connecting, connected, disconnected, stopped), the current one first. */
  get connectionChanges(): Observable<ConnectionChange> {
    return this.supervisor.changes;
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  /** Closes the connection and fails everything queued with 'disconnected'. */
  stop(): void {
    this.supervisor.stop();
    for (const c of PRIORITY_CLASSES)
      for (const q of this.queues[c].splice(0)) this.reject(q, 'disconnected', 'bus stopped');
  }

  run<T>(spec: TransactionSpec, work: TransactionWork<C, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const q: Queued = {
        spec,
        run: () => this.execute(spec, work, resolve, reject),
        fail: reject,
        deadlineTimer: null,
      };
      const now = this.clock.now();
      if (this.supervisor.state() === 'stopped') return this.reject(q, 'disconnected', 'bus stopped');
      if (this.isBackedOff(spec, now)) return this.reject(q, 'backoff', this.backoffDetail(spec));
      if (spec.deadline !== undefined && now >= spec.deadline)
        return this.reject(q, 'deadline', `deadline passed ${now - spec.deadline} ms before it was queued`);
      if (spec.signal?.aborted) return this.reject(q, 'cancelled', 'cancelled before it was queued');
      const queue = this.queues[spec.priority];
      if (queue.length >= this.maxQueue)
        return this.reject(q, 'backoff', `${spec.priority} queue full (${this.maxQueue})`);
      if (spec.signal) {
        const signal = spec.signal;
        const onAbort = (): void => {
          const i = queue.indexOf(q);
          if (i < 0) return;
          queue.splice(i, 1);
          this.reject(q, 'cancelled', 'cancelled while queued');
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const run = q.run;
        const fail = q.fail;
        q.run = () => {
          signal.removeEventListener('abort', onAbort);
          run();
        };
        q.fail = (e) => {
          signal.removeEventListener('abort', onAbort);
          fail(e);
        };
      }
      if (spec.deadline !== undefined) {
        q.deadlineTimer = this.clock.setTimeout(() => {
          const i = queue.indexOf(q);
          if (i < 0) return;
          queue.splice(i, 1);
          this.reject(q, 'deadline', `deadline passed while queued behind ${this.depth()} requests`);
        }, spec.deadline - now);
      }
      queue.push(q);
      this.next();
    });
  }

  queueDepth(): Record<PriorityClass, number> {
    return {
      emergency: this.queues.emergency.length,
      command: this.queues.command.length,
      transfer: this.queues.transfer.length,
      poll: this.queues.poll.length,
    };
  }

  /** Whether a unit's polls and transfers currently fail fast. */
  isUnitBackedOff(unit: number): boolean {
    return this.backoff.isBackedOff(unit, this.clock.now());
  }

  metrics(): BusMetrics {
    const now = this.clock.now();
    const elapsed = now - this.startedAt;
    const busy = this.busyTotal + (this.inFlight ? now - this.busySince : 0);
    return {
      busId: this.busId,
      connection: this.supervisor.state(),
      utilisation: elapsed <= 0 ? 0 : Math.min(1, busy / elapsed),
      queueDepth: this.queueDepth(),
      transactions: this.transactionCount,
      errors: { ...this.errorCounts },
      backedOff: this.backoff.list().filter((u) => u.nextTryAt > now),
    };
  }

  private depth(): number {
    return PRIORITY_CLASSES.reduce((n, c) => n + this.queues[c].length, 0);
  }

  private isBackedOff(spec: TransactionSpec, now: number): boolean {
    if (spec.unit === null || spec.unit === 0 || spec.priority !== 'poll' || spec.tryBackedOff) return false;
    return this.backoff.isBackedOff(spec.unit, now);
  }

  private backoffDetail(spec: TransactionSpec): string {
    return `unit backed off after failures until ${new Date(this.backoff.nextTryAt(spec.unit ?? 0) ?? 0).toISOString()}`;
  }

  private reject(q: Queued, kind: BusErrorKind, detail: string): void {
    q.deadlineTimer?.cancel();
    this.count(kind);
    q.fail(new BusError(kind, this.busId, q.spec.unit, q.spec.operation, detail));
  }

  private count(kind: BusErrorKind): void {
    this.errorCounts[kind] = (this.errorCounts[kind] ?? 0) + 1;
  }

  private next(): void {
    if (this.inFlight || this.supervisor.state() !== 'connected') return;
    for (const c of PRIORITY_CLASSES) {
      const q = this.queues[c].shift();
      if (q === undefined) continue;
      q.deadlineTimer?.cancel();
      const now = this.clock.now();
      if (q.spec.deadline !== undefined && now >= q.spec.deadline) {
        this.reject(q, 'deadline', `deadline passed ${now - q.spec.deadline} ms before it could start`);
        return this.next();
      }
      if (this.isBackedOff(q.spec, now)) {
        this.reject(q, 'backoff', this.backoffDetail(q.spec));
        return this.next();
      }
      q.run();
      return;
    }
  }

  private execute<T>(
    spec: TransactionSpec,
    work: TransactionWork<C, T>,
    resolve: (v: T) => void,
    reject: (e: Error) => void,
  ): void {
    const connection = this.supervisor.connection();
    if (connection === null) {
      this.count('disconnected');
      reject(new BusError('disconnected', this.busId, spec.unit, spec.operation, 'no connection'));
      return;
    }
    if (this.mayTransmit && !this.mayTransmit()) {
      const detail = 'this controller no longer drives the bus';
      this.count('disconnected');
      reject(new BusError('disconnected', this.busId, spec.unit, spec.operation, detail));
      // nor anything queued behind it
      for (const c of PRIORITY_CLASSES)
        for (const q of this.queues[c].splice(0)) this.reject(q, 'disconnected', detail);
      return;
    }
    this.inFlight = true;
    const began = this.clock.now();
    this.busySince = began;
    this.transactionCount++;
    const unit = spec.unit !== null && spec.unit !== 0 ? spec.unit : null;
    const abort = new AbortController();
    let answered = false;
    let released = false;
    let abandonTimer: TimerHandle | null = null;
    const release = (): void => {
      if (released) return;
      released = true;
      abandonTimer?.cancel();
      this.inFlight = false;
      this.busyTotal += this.clock.now() - this.busySince;
      this.next();
    };
    const fail = (kind: BusErrorKind, error: Error): void => {
      answered = true;
      this.count(kind);
      if (unit !== null) {
        if (isUnitFailure(kind)) this.backoff.failure(unit, this.clock.now(), this.clock.now() - began);
        else if (kind === 'exception' || kind === 'refused') this.backoff.success(unit);
      }
      reject(error);
    };
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const timeout = this.clock.setTimeout(() => {
      if (answered) return;
      abort.abort();
      fail(
        'timeout',
        new BusError('timeout', this.busId, spec.unit, spec.operation, `no answer within ${timeoutMs} ms`),
      );
      abandonTimer = this.clock.setTimeout(() => {
        this.supervisor.drop(`${spec.operation} still running ${this.abandonAfterMs} ms after its timeout`, connection);
        release();
      }, this.abandonAfterMs);
    }, timeoutMs);
    this.begin(work, connection, abort.signal).then(
      (value) => {
        timeout.cancel();
        if (!answered) {
          answered = true;
          if (unit !== null) this.backoff.success(unit);
          resolve(value);
        }
        release();
      },
      (e: unknown) => {
        timeout.cancel();
        if (!answered) {
          const err = this.asBusError(spec, e);
          fail(err.kind, err);
        }
        release();
      },
    );
  }

  /** The work on the wire as a promise, also when it throws before it has one. */
  private begin<T>(work: TransactionWork<C, T>, connection: C, signal: AbortSignal): Promise<T> {
    try {
      return work(connection, signal);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** A failure of the work as a BusError: its own, or a protocol error naming what it said. */
  private asBusError(spec: TransactionSpec, e: unknown): BusError {
    if (e instanceof BusError) return e;
    return new BusError('protocol', this.busId, spec.unit, spec.operation, e instanceof Error ? e.message : String(e));
  }
}
