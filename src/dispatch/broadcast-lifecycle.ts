/**
 * A broadcast's lifecycle as data (docs/architecture.md, "Rules of the house"):
 *
 *   planned → running → completed | partial | failed | cancelled
 *
 * planned may be cancelled before it runs; the outcome follows from its deliveries (outcomeOf).
 */
import { ConflictError } from '../common/errors';
import type { StateCounts } from './delivery-lifecycle';

export const BROADCAST_STATES = ['planned', 'running', 'completed', 'partial', 'failed', 'cancelled'] as const;
export type BroadcastState = (typeof BROADCAST_STATES)[number];

export const BROADCAST_LIFECYCLE: Readonly<Record<BroadcastState, readonly BroadcastState[]>> = {
  planned: ['running', 'cancelled', 'failed'],
  running: ['completed', 'partial', 'failed', 'cancelled'],
  completed: [],
  partial: [],
  failed: [],
  cancelled: [],
};

/** What a report calls each state (播发报告). */
export const BROADCAST_STATE_NAMES: Readonly<Record<BroadcastState, string>> = {
  planned: '待播',
  running: '播发中',
  completed: '已完成',
  partial: '部分完成',
  failed: '失败',
  cancelled: '已取消',
};

export function isFinalBroadcastState(s: BroadcastState): boolean {
  return BROADCAST_LIFECYCLE[s].length === 0;
}

export function assertBroadcastTransition(from: BroadcastState, to: BroadcastState, broadcastId?: string): void {
  if (!BROADCAST_LIFECYCLE[from].includes(to)) {
    throw new ConflictError(
      'illegal_broadcast_transition',
      `broadcast${broadcastId ? ` ${broadcastId}` : ''} cannot go from ${from} to ${to}`,
      { broadcastId, from, to },
    );
  }
}

/** The end state of a broadcast whose deliveries are all settled: every one played, some, or none. */
export function outcomeOf(counts: StateCounts): 'completed' | 'partial' | 'failed' {
  const targeted = Object.values(counts).reduce((a, b) => a + b, 0);
  if (targeted > 0 && counts.played === targeted) return 'completed';
  return counts.played > 0 ? 'partial' : 'failed';
}
