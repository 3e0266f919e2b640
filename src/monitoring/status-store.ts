/**
 * The current status of every terminal, held in memory (reads of "current status" never go to SQL). Pure: callers
 * pass the time of each event, so it is tested without timers. Every change it reports is what `live` pushes and
 * what the history writer batches to the database.
 */
import { Connectivity, ConnectivityPolicy, countsOnline, DEFAULT_CONNECTIVITY_POLICY, nextConnectivity } from './connectivity';
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
  register(t: MonitoredTerminal, at: number, known?: KnownStatus): void {
    const existing = this.terminals.get(t.terminalId);
    if (existing) {
      if (existing.areaCode === t.areaCode && existing.gatewayId === t.gatewayId) return;
      this.unregister(t.terminalId);
    }
    this.terminals.set(t.terminalId, {
      ...t,
      connectivity: 'unknown',
      online: false,
      since: at,
      lastSeen: known?.lastSeen ?? null,
      failures: 0,
      lastError: known?.lastError ?? null,
      errorCounts: { ...known?.errorCounts },
      reading: known?.reading ?? null,
    });
    this.rates.add(t.areaCode, { online: false, unknown: true });
  }

  unregister(terminalId: number): void {
    const s = this.terminals.get(terminalId);
    if (!s) return;
    this.rates.remove(s.areaCode, { online: s.online, unknown: s.connectivity === 'unknown' });
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
    const s = this.terminals.get(terminalId);
    if (!s) return null;
    const fields = readingDiff(s.reading, reading);
    s.reading = reading;
    s.lastSeen = at;
    s.failures = 0;
    s.lastError = null;
    const previous = s.connectivity;
    if (this.transition(s, 'read-ok', at)) fields.unshift('connectivity');
    return fields.length > 0 ? { at, previous, fields, status: s } : null;
  }

  readFailed(terminalId: number, errorKind: string, at: number): StatusChange | null {
    const s = this.terminals.get(terminalId);
    if (!s) return null;
    s.failures += 1;
    s.lastError = errorKind;
    s.errorCounts[errorKind] = (s.errorCounts[errorKind] ?? 0) + 1;
    const previous = s.connectivity;
    const event = s.failures >= this.policy.offlineAfterFailures ? 'failures-exhausted' : 'read-failed';
    return this.transition(s, event, at) ? { at, previous, fields: ['connectivity'], status: s } : null;
  }

  /** Marks offline every terminal not heard from within the silence window; returns the changes. */
  sweepSilence(at: number): StatusChange[] {
    const changes: StatusChange[] = [];
    for (const s of this.terminals.values()) {
      if (s.connectivity === 'offline') continue;
      // silence counts from the last good read or from when tracking began, whichever is later
      const heard = Math.max(s.lastSeen ?? 0, s.since);
      if (at - heard < this.policy.offlineAfterSilenceMs) continue;
      const previous = s.connectivity;
      if (this.transition(s, 'silence', at)) changes.push({ at, previous, fields: ['connectivity'], status: s });
    }
    return changes;
  }

  private transition(s: LiveStatus, event: 'read-ok' | 'read-failed' | 'failures-exhausted' | 'silence', at: number): boolean {
    const next = nextConnectivity(s.connectivity, event);
    if (next === s.connectivity) return false;
    const before = { online: s.online, unknown: s.connectivity === 'unknown' };
    s.connectivity = next;
    s.online = countsOnline(next);
    s.since = at;
    this.rates.change(s.areaCode, before, { online: s.online, unknown: next === 'unknown' });
    return true;
  }
}
