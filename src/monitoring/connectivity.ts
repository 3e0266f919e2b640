/**
 * Terminal connectivity as a transition table (docs/architecture.md: lifecycles are data, tested as tables).
 * Field practice (docs/domain.md): on RS-485 a heartbeat is a successful poll; a terminal is offline after N failed polls
 * (default 3) or T seconds without a good read (default 20 s). One good read brings it back online. A terminal not yet
 * heard from since start stays unknown through its first failed reads (never counted online) until it answers or is
 * found offline.
 */
export type Connectivity = 'unknown' | 'online' | 'suspect' | 'offline';

export type ConnectivityEvent = 'read-ok' | 'read-failed' | 'failures-exhausted' | 'silence' | 'disabled';

/** next state for (state, event); absent = the event does not change the state. */
export const CONNECTIVITY_TRANSITIONS: Record<Connectivity, Partial<Record<ConnectivityEvent, Connectivity>>> = {
  unknown: { 'read-ok': 'online', 'failures-exhausted': 'offline', silence: 'offline' },
  online: { 'read-failed': 'suspect', 'failures-exhausted': 'offline', silence: 'offline', disabled: 'unknown' },
  suspect: { 'read-ok': 'online', 'failures-exhausted': 'offline', silence: 'offline', disabled: 'unknown' },
  offline: { 'read-ok': 'online', disabled: 'unknown' },
};

export function nextConnectivity(state: Connectivity, event: ConnectivityEvent): Connectivity {
  return CONNECTIVITY_TRANSITIONS[state][event] ?? state;
}

/** Whether a state counts as online for the online rate: a suspect terminal has not yet missed enough polls. */
export function countsOnline(state: Connectivity): boolean {
  return state === 'online' || state === 'suspect';
}

export interface ConnectivityPolicy {
  /** Consecutive failed polls before offline. */
  offlineAfterFailures: number;
  /** Milliseconds without a good read before offline. */
  offlineAfterSilenceMs: number;
}

export const DEFAULT_CONNECTIVITY_POLICY: ConnectivityPolicy = {
  offlineAfterFailures: 3,
  offlineAfterSilenceMs: 20_000,
};
