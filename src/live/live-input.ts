/**
 * The changes the live hub turns into deltas, as one stream of plain data: made on this instance (monitoring, alarms,
 * dispatch progress, alerts, the relay, self-tests), or received from another instance through Redis (live-fanout.ts).
 * Both kinds are routed by the same code, against each client's scopes; only local ones are published.
 *
 * Tone provisioning and audio jobs are not among them: their views are computed from the in-memory state of the
 * instance doing the work (a client follows them on that instance).
 */
import { type Observable, map, merge } from 'rxjs';
import type { AlertChange } from '../alerts/alert-input';
import type { BroadcastProgress } from '../dispatch/dispatch.service';
import type { PublishedAlarmEvent } from '../monitoring/alarms.service';
import type { GatewayStatus } from '../monitoring/monitoring.service';
import type { LiveStatus, StatusChange } from '../monitoring/status-store';
import type { RelayChange } from '../relay/relay-view';
import type { SelfTestEntity } from '../selftest/self-test.entities';
import { type SelfTestView, selfTestView } from '../selftest/self-test.service';

export type LiveInput =
  /** `rateChanged`: the terminal's connectivity changed, so the online rates of its areas did. */
  | { kind: 'terminal'; status: LiveStatus; at: number; rateChanged: boolean }
  | { kind: 'gateway'; status: GatewayStatus }
  | { kind: 'alarm'; event: PublishedAlarmEvent }
  | { kind: 'broadcast'; progress: BroadcastProgress }
  | { kind: 'alert'; change: AlertChange }
  | { kind: 'relay'; change: RelayChange }
  | { kind: 'selfTest'; view: SelfTestView };

const KINDS: ReadonlySet<string> = new Set<LiveInput['kind']>([
  'terminal',
  'gateway',
  'alarm',
  'broadcast',
  'alert',
  'relay',
  'selfTest',
]);

/** Where this instance's changes come from. */
export interface LiveSources {
  terminals: Observable<StatusChange>;
  gateways: Observable<{ status: GatewayStatus }>;
  alarms: Observable<PublishedAlarmEvent>;
  broadcasts: Observable<BroadcastProgress>;
  alerts: Observable<AlertChange>;
  relay: Observable<RelayChange>;
  selfTests: Observable<SelfTestEntity>;
}

/** This instance's changes, in the order they happen. */
export function localInputs(s: LiveSources): Observable<LiveInput> {
  return merge(
    s.terminals.pipe(
      map((c): LiveInput => ({
        kind: 'terminal',
        status: c.status,
        at: c.at,
        rateChanged: c.fields.includes('connectivity'),
      })),
    ),
    s.gateways.pipe(map((g): LiveInput => ({ kind: 'gateway', status: g.status }))),
    s.alarms.pipe(map((event): LiveInput => ({ kind: 'alarm', event }))),
    s.broadcasts.pipe(map((progress): LiveInput => ({ kind: 'broadcast', progress }))),
    s.alerts.pipe(map((change): LiveInput => ({ kind: 'alert', change }))),
    s.relay.pipe(map((change): LiveInput => ({ kind: 'relay', change }))),
    s.selfTests.pipe(map((r): LiveInput => ({ kind: 'selfTest', view: selfTestView(r) }))),
  );
}

/** One change between instances: who published it, and the change as JSON (exactly what a client would be sent). */
export interface WireInput {
  from: string;
  input: string;
}

export function toWire(from: string, input: LiveInput): WireInput {
  return { from, input: JSON.stringify(input) };
}

/** A change received from another instance; null when it is not one (another version's, or garbage). */
export function fromWire(wire: unknown): { from: string; input: LiveInput } | null {
  const w = wire as Partial<WireInput> | null;
  if (!w || typeof w.from !== 'string' || typeof w.input !== 'string') return null;
  try {
    const input = JSON.parse(w.input) as { kind?: unknown } | null;
    if (!input || typeof input.kind !== 'string' || !KINDS.has(input.kind)) return null;
    return { from: w.from, input: input as LiveInput };
  } catch {
    return null;
  }
}
