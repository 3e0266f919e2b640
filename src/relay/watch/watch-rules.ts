/**
 * The safe-broadcast watch's judgement (安全播出, docs/relay.md "Watch"), pure: what a terminal's latest status says
 * about the slot it should be playing. Silent (not playing, nothing stronger playing either), on another source (or
 * playing something else at no higher priority), or on the programme's source with a signal below its threshold.
 */
import { isBroadcasting } from '../../dispatch/bus-plan';
import type { TerminalReading } from '../../monitoring/terminal-reading';

export type WatchKind = 'relay-silent' | 'relay-source' | 'relay-signal';

export interface WatchExpectation {
  broadcastId: string;
  priority: number;
  /** The source the terminal should report (status §3 names: fm, line-in, ip, stored). */
  source: string;
  minSignalQuality: number | null;
}

export interface WatchFinding {
  kind: WatchKind;
  /** For the as-run log and the alarm (short). */
  detail: string;
  /**
   * A fallback source may mend it: the main source fails on the terminal (weak, silent, or our broadcast on another
   * source). Not for another broadcast at no higher priority: that is not the source's fault.
   */
  fallback: boolean;
}

/** A silent terminal, or ours on another source, falls back only once the finding has lasted this long (no flapping). */
export const FALLBACK_AFTER_MS = 3000;

/** Whether a finding that has lasted since `since` switches the terminal to the programme's fallback now. */
export function fallsBack(f: WatchFinding, since: number, now: number): boolean {
  if (!f.fallback) return false;
  return f.kind === 'relay-signal' || now - since >= FALLBACK_AFTER_MS;
}

/** Sources whose signal quality the terminal measures (FM field strength, the IP link). */
const MEASURED = new Set(['fm', 'ip']);

export function judge(r: TerminalReading, e: WatchExpectation): WatchFinding | null {
  if (isBroadcasting(r) && r.broadcastId === e.broadcastId) {
    if (r.source !== e.source)
      return { kind: 'relay-source', detail: `plays ${r.source} instead of ${e.source}`, fallback: true };
    if (e.minSignalQuality !== null && r.signalQuality !== null && MEASURED.has(e.source))
      if (r.signalQuality < e.minSignalQuality)
        return {
          kind: 'relay-signal',
          detail: `signal ${r.signalQuality} below ${e.minSignalQuality} on ${e.source}`,
          fallback: true,
        };
    return null;
  }
  // a stronger broadcast (an alert) has the terminal: the engine preempted the slot there, nothing to alarm
  if (isBroadcasting(r) && r.priority < e.priority) return null;
  if (isBroadcasting(r))
    return {
      kind: 'relay-source',
      detail: `plays ${r.broadcastId ?? r.source} instead of the programme`,
      fallback: false,
    };
  return { kind: 'relay-silent', detail: `silent (state ${r.state})`, fallback: true };
}
