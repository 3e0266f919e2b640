/**
 * One delivery = one targeted terminal of one broadcast. Its lifecycle as data (docs/architecture.md, "Rules of the house"):
 *
 *   pending → transferring → ready → playing → played | failed (reason) | unreachable | preempted | cancelled
 *
 * A clip already stored (or a pre-stored tone) goes pending → ready; one believed stored that the terminal turns out
 * to lack goes ready → transferring. A failed or unreachable delivery may be retried
 * (→ pending) while the alert's window is open; a preempted one resumes (→ playing) when what preempted it has ended.
 * `played` and `cancelled` are final. Coverage = played / targeted (docs/domain.md), two decimals as a percentage.
 */
import { ConflictError } from '../common/errors';

export const DELIVERY_STATES = [
  'pending',
  'transferring',
  'ready',
  'playing',
  'played',
  'failed',
  'unreachable',
  'preempted',
  'cancelled',
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const DELIVERY_LIFECYCLE: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = {
  pending: ['transferring', 'ready', 'failed', 'unreachable', 'cancelled'],
  transferring: ['ready', 'failed', 'unreachable', 'cancelled'],
  ready: ['playing', 'transferring', 'failed', 'unreachable', 'cancelled'],
  playing: ['played', 'failed', 'unreachable', 'preempted', 'cancelled'],
  played: [],
  failed: ['pending', 'cancelled'],
  unreachable: ['pending', 'cancelled'],
  preempted: ['playing', 'cancelled'],
  cancelled: [],
};

/** What a report calls each state (播发报告). */
export const DELIVERY_STATE_NAMES: Readonly<Record<DeliveryState, string>> = {
  pending: '待发',
  transferring: '传输中',
  ready: '就绪',
  playing: '播放中',
  played: '已播放',
  failed: '失败',
  unreachable: '不可达',
  preempted: '被抢占',
  cancelled: '已取消',
};

/** States in which the engine still has work for the delivery. */
export const ACTIVE_DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'transferring', 'ready', 'playing'];

export function isFinalDeliveryState(state: DeliveryState): boolean {
  return DELIVERY_LIFECYCLE[state].length === 0;
}

export function canDeliveryTransition(from: DeliveryState, to: DeliveryState): boolean {
  return DELIVERY_LIFECYCLE[from].includes(to);
}

/** 409 `illegal_delivery_transition` unless the table allows from → to; `failed` needs a reason. */
export function assertDeliveryTransition(
  from: DeliveryState,
  to: DeliveryState,
  reason?: string | null,
  deliveryId?: number,
): void {
  if (!canDeliveryTransition(from, to)) {
    throw new ConflictError(
      'illegal_delivery_transition',
      `delivery${deliveryId === undefined ? '' : ` ${deliveryId}`} cannot go from ${from} to ${to}`,
      { deliveryId, from, to, allowed: DELIVERY_LIFECYCLE[from] },
    );
  }
  if (to === 'failed' && !reason) {
    throw new ConflictError(
      'delivery_reason_required',
      `delivery${deliveryId === undefined ? '' : ` ${deliveryId}`} cannot fail without a reason`,
      { deliveryId, to },
    );
  }
}

export interface Coverage {
  played: number;
  targeted: number;
  /** played / targeted, 0 when nothing was targeted. */
  rate: number;
  /** The rate as a percentage with two decimals (93.12). */
  percent: number;
}

export function coverageOf(played: number, targeted: number): Coverage {
  const rate = targeted === 0 ? 0 : played / targeted;
  return { played, targeted, rate: Math.round(rate * 10_000) / 10_000, percent: Math.round(rate * 10_000) / 100 };
}

export type StateCounts = Record<DeliveryState, number>;

export function emptyCounts(): StateCounts {
  return Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as StateCounts;
}
