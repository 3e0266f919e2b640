/**
 * The narrow contract the adapter driver needs from a transaction scheduler; device-drivers/bus's BusScheduler
 * fulfils it (its spec checks that), and the driver runs every transaction through that scheduler.
 */
import type { PriorityClass } from '../terminal-bus';

export interface TransactionSpec {
  unit: number | null;
  operation: string;
  priority: PriorityClass;
  /** Absolute, on the clock; the transaction fails with 'deadline' if it cannot start before it. */
  deadline?: number;
  timeoutMs?: number;
}

export interface TransactionRunner {
  run<T>(spec: TransactionSpec, fn: () => Promise<T>): Promise<T>;
  queueDepth(): Record<PriorityClass, number>;
}
