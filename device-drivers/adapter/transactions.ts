/**
 * One transaction in flight on an adapter line, by priority class then first-in first-out, each under a deadline
 * (issue "Field layer" §7). The adapter driver only needs this narrow contract, so the shared bus scheduler
 * (device-drivers/bus) can stand in for it.
 */
import { BusError, type BusErrorKind, type PriorityClass } from '../terminal-bus';
import type { Clock } from './ports';

export interface TransactionSpec {
  unit: number | null;
  operation: string;
  priority: PriorityClass;
  /** Absolute, on the clock; the transaction fails with 'deadline' if it cannot start before it. */
  deadline?: number;
}

export interface TransactionRunner {
  run<T>(spec: TransactionSpec, fn: () => Promise<T>): Promise<T>;
  queueDepth(): Record<PriorityClass, number>;
}

const CLASSES: PriorityClass[] = ['emergency', 'command', 'transfer', 'poll'];

interface Queued {
  spec: TransactionSpec;
  start: () => void;
  fail: (e: Error) => void;
}

export class SerialTransactions implements TransactionRunner {
  private readonly queues: Record<PriorityClass, Queued[]> = { emergency: [], command: [], transfer: [], poll: [] };
  private busy = false;
  private busySince = 0;
  private busyTotal = 0;
  private readonly startedAt: number;
  transactions = 0;
  readonly errors: Partial<Record<BusErrorKind, number>> = {};

  constructor(
    private readonly busId: string,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  run<T>(spec: TransactionSpec, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        this.busy = false;
        this.busyTotal += this.clock.now() - this.busySince;
        this.next();
      };
      this.queues[spec.priority].push({
        spec,
        start: () => {
          fn().then(
            (v) => {
              finish();
              resolve(v);
            },
            (e: unknown) => {
              if (e instanceof BusError) this.count(e.kind);
              finish();
              reject(e instanceof Error ? e : new Error(String(e)));
            },
          );
        },
        fail: reject,
      });
      this.next();
    });
  }

  queueDepth(): Record<PriorityClass, number> {
    return { emergency: this.queues.emergency.length, command: this.queues.command.length, transfer: this.queues.transfer.length, poll: this.queues.poll.length };
  }

  utilisation(): number {
    const elapsed = this.clock.now() - this.startedAt;
    const busyNow = this.busy ? this.clock.now() - this.busySince : 0;
    return elapsed <= 0 ? 0 : Math.min(1, (this.busyTotal + busyNow) / elapsed);
  }

  /** Fails everything still queued (the line is stopped). */
  failAll(kind: BusErrorKind, detail: string): void {
    for (const c of CLASSES) {
      for (const q of this.queues[c].splice(0)) {
        this.count(kind);
        q.fail(new BusError(kind, this.busId, q.spec.unit, q.spec.operation, detail));
      }
    }
  }

  count(kind: BusErrorKind): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  private next(): void {
    if (this.busy) return;
    for (const c of CLASSES) {
      const q = this.queues[c].shift();
      if (q === undefined) continue;
      const now = this.clock.now();
      if (q.spec.deadline !== undefined && now >= q.spec.deadline) {
        this.count('deadline');
        q.fail(new BusError('deadline', this.busId, q.spec.unit, q.spec.operation, `deadline passed ${now - q.spec.deadline} ms before it could start`));
        return this.next();
      }
      this.busy = true;
      this.busySince = now;
      this.transactions++;
      q.start();
      return;
    }
  }
}
