/**
 * The alert's lifecycle as data (docs/architecture.md, "Rules of the house"): the state an event leads to from each state; everything else is an
 * illegal transition (409 `illegal_transition`).
 *
 *   draft → submitted → approved → scheduled → dispatching → completed | partially-completed | failed | cancelled
 *   draft | submitted → dispatching (emergency, confirmed afterwards); submitted → draft (rejected, or edited: an edit
 *   needs a new submission)
 *   draft … scheduled → cancelled | expired
 *
 * Composition and review (update, submit, reject, approve, emergency, cancel, expire) belong to the alerts service;
 * schedule, start and the outcomes belong to the dispatch engine, which reports them through AlertsService.advance.
 * A cancel of a dispatching alert is a request to the engine (the alert stays dispatching, marked, until the engine has
 * stopped every terminal and reports `cancel`).
 */
import { ConflictError } from '../common/errors';

export const ALERT_STATES = [
  'draft',
  'submitted',
  'approved',
  'scheduled',
  'dispatching',
  'completed',
  'partially-completed',
  'failed',
  'cancelled',
  'expired',
] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_EVENTS = [
  'update',
  'submit',
  'reject',
  'approve',
  'emergency',
  'schedule',
  'start',
  'complete',
  'complete-partially',
  'fail',
  'cancel',
  'expire',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const ALERT_LIFECYCLE: Readonly<Record<AlertState, Readonly<Partial<Record<AlertEvent, AlertState>>>>> = {
  draft: { update: 'draft', submit: 'submitted', emergency: 'dispatching', cancel: 'cancelled', expire: 'expired' },
  submitted: {
    update: 'draft',
    reject: 'draft',
    approve: 'approved',
    emergency: 'dispatching',
    cancel: 'cancelled',
    expire: 'expired',
  },
  approved: { schedule: 'scheduled', cancel: 'cancelled', expire: 'expired' },
  scheduled: { start: 'dispatching', cancel: 'cancelled', expire: 'expired' },
  dispatching: {
    complete: 'completed',
    'complete-partially': 'partially-completed',
    fail: 'failed',
    cancel: 'cancelled',
  },
  completed: {},
  'partially-completed': {},
  failed: {},
  cancelled: {},
  expired: {},
};

/** States the dispatch engine owns: a broadcast exists and has not finished. */
export const DISPATCH_OPEN_STATES: readonly AlertState[] = ['approved', 'scheduled', 'dispatching'];

export function isFinalAlertState(state: AlertState): boolean {
  return Object.keys(ALERT_LIFECYCLE[state]).length === 0;
}

export function canTransition(from: AlertState, event: AlertEvent): boolean {
  return ALERT_LIFECYCLE[from][event] !== undefined;
}

/** The state `event` leads to from `from`; 409 `illegal_transition` when the table has no such step. */
export function nextAlertState(from: AlertState, event: AlertEvent): AlertState {
  const to = ALERT_LIFECYCLE[from][event];
  if (to === undefined) {
    const allowed = Object.keys(ALERT_LIFECYCLE[from]);
    throw new ConflictError(
      'illegal_transition',
      `an alert that is ${from} cannot ${event}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (it is final)'}`,
      {
        from,
        event,
        allowed,
      },
    );
  }
  return to;
}
