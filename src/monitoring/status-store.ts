/**
 * The current status of every terminal, held in memory (reads of "current status" never go to SQL). Pure: callers
 * pass the time of each event, so it is tested without timers. Every change it reports is what `live` pushes and
 * what the history writer batches to the database.
 */
import {
  Connectivity,
  ConnectivityPolicy,
  countsOnline,
  DEFAULT_CONNECTIVITY_POLICY,
  nextConnectivity,
} from './connectivity';
import { OnlineRate, OnlineRateCounters } from './online-rate';
import { readingDiff, TerminalReading } from './terminal-reading';

export interface MonitoredTerminal {
  terminalId: number;
  areaCode: string;
  gatewayId: number;
}

export interface LiveStatus extends MonitoredTerminal {
  connectivity: Connectivity;
  online: boolean;
  /** When the connectivity last changed (ms since epoch). */
  since: number;
  lastSeen: number | null;
  /** Consecutive failed polls. */
  failures: number;
  lastError: string | null;
  /** Communication errors seen by the controller, by kind (timeout, crc, …), since start. */
  errorCounts: Record<string, number>;
  reading: TerminalReading | null;
}

/** What the database remembers of a terminal from before a restart: shown, but not taken as proof it is online. */
export interface KnownStatus {
  lastSeen: number | null;
  lastError: string | null;
  errorCounts: Record<string, number>;
  reading: TerminalReading | null;
}

export interface StatusChange {
  at: number;
  previous: Connectivity;
  /** Which parts changed: 'connectivity', 'reading', or reading fields such as 'state', 'faults'. */
  fields: string[];
  status: LiveStatus;
}

export class StatusStore {
  private readonly terminals = new Map<number, LiveStatus>();
  private readonly rates = new OnlineRateCounters();

  constructor(private readonly policy: ConnectivityPolicy = DEFAULT_CONNECTIVITY_POLICY) {}

  /** Tracks a terminal from `at`, as unknown until read; `known` carries what was remembered from before a restart. */
  register(terminal: MonitoredTerminal, at: number, known?: KnownStatus): void {
    const existing = this.terminals.get(terminal.terminalId);
    if (existing) {
      if (existing.areaCode === terminal.areaCode && existing.gatewayId === terminal.gatewayId) return;
      this.unregister(terminal.terminalId);
    }
    this.terminals.set(terminal.terminalId, {
      ...terminal,
      connectivity: 'unknown',
      online: false,
      since: at,
      lastSeen: known?.lastSeen ?? null,
      failures: 0,
      lastError: known?.lastError ?? null,
      errorCounts: { ...known?.errorCounts },
      reading: known?.reading ?? null,
    });
    this.rates.add(terminal.areaCode, { online: false, unknown: true });
  }

  unregister(terminalId: number): void {
    const live = this.terminals.get(terminalId);
    if (!live) return;
    this.rates.remove(live.areaCode, { online: live.online, unknown: live.connectivity === 'unknown' });
    this.terminals.delete(terminalId);
  }

  get(terminalId: number): LiveStatus | undefined {
    return this.terminals.get(terminalId);
  }

  all(): IterableIterator<LiveStatus> {
    return this.terminals.values();
  }

  onlineRate(areaCode: string): OnlineRate {
    return this.rates.rate(areaCode);
  }

  onlineRates(): IterableIterator<OnlineRate> {
    return this.rates.areas();
  }

  readOk(terminalId: number, reading: TerminalReading, at: number): StatusChange | null {
    const live = this.terminals.get(terminalId);
    if (!live) return null;
    const fields = readingDiff(live.reading, reading);
    live.reading = reading;
    live.lastSeen = at;
    live.failures = 0;
    live.lastError = null;
    const previous = live.connectivity;
    if (this.transition(live, 'read-ok', at)) fields.unshift('connectivity');
    return fields.length > 0 ? { at, previous, fields, status: live } : null;
  }

  readFailed(terminalId: number, errorKind: string, at: number): StatusChange | null {
    const live = this.terminals.get(terminalId);
    if (!live) return null;
    live.failures += 1;
    live.lastError = errorKind;
    live.errorCounts[errorKind] = (live.errorCounts[errorKind] ?? 0) + 1;
    const previous = live.connectivity;
    const event = live.failures >= this.policy.offlineAfterFailures ? 'failures-exhausted' : 'read-failed';
    return this.transition(live, event, at) ? { at, previous, fields: ['connectivity'], status: live } : null;
  }

  /** Marks offline every terminal not heard from within the silence window; returns the changes. */
  sweepSilence(at: number): StatusChange[] {
    const changes: StatusChange[] = [];
    for (const live of this.terminals.values()) {
      if (live.connectivity === 'offline') continue;
      // silence counts from the last good read or from when tracking began, whichever is later
      const heard = Math.max(live.lastSeen ?? 0, live.since);
      if (at - heard < this.policy.offlineAfterSilenceMs) continue;
      const previous = live.connectivity;
      if (this.transition(live, 'silence', at)) changes.push({ at, previous, fields: ['connectivity'], status: live });
    }
    return changes;
  }

  private transition(
    live: LiveStatus,
    event: 'read-ok' | 'read-failed' | 'failures-exhausted' | 'silence',
    at: number,
  ): boolean {
    const next = nextConnectivity(live.connectivity, event);
    if (next === live.connectivity) return false;
    const before = { online: live.online, unknown: live.connectivity === 'unknown' };
    live.connectivity = next;
    live.online = countsOnline(next);
    live.since = at;
    this.rates.change(live.areaCode, before, { online: live.online, unknown: next === 'unknown' });
    return true;
  }
}
