/**
 * What the live channel sends, in compact shapes: one terminal's live state, one gateway's connection, one region's
 * online rate, one alarm event. `at` is when the change happened on the server (ms since epoch), so a client can tell
 * how fresh it is.
 */
import type { AudioJob } from '../audio/jobs/audio-jobs';
import type { AlertView } from '../alerts/alert-view';
import type { ToneProvisioningView } from '../dispatch/tone-provisioning';
import type { PublishedAlarmEvent } from '../monitoring/alarms.service';
import type { Connectivity } from '../monitoring/connectivity';
import type { GatewayStatus } from '../monitoring/monitoring.service';
import type { OnlineRate } from '../monitoring/online-rate';
import type { LiveStatus } from '../monitoring/status-store';
import type { AsRunView, ProgrammeView, ScheduleView } from '../relay/relay-view';
import type { SelfTestView } from '../selftest/self-test.service';

/**
 * A relay change: a schedule as GET /api/relay/schedules/:id shows it, an as-run row as the as-run report does, or a
 * programme as GET /api/relay/programmes/:id shows it — `programme: null` when an edit took it out of the client's
 * view (a target outside its scope now).
 */
export type LiveRelay =
  | { kind: 'schedule'; schedule: ScheduleView }
  | { kind: 'asRun'; asRun: AsRunView }
  | { kind: 'programme'; programmeId: number; programme: ProgrammeView | null };

export interface LiveTerminal {
  id: number;
  areaCode: string;
  gatewayId: number;
  connectivity: Connectivity;
  online: boolean;
  /** When its connectivity last changed. */
  since: number;
  lastSeen: number | null;
  /** When this state was reached (the latest change folded into this batch). */
  at: number;
  failures: number;
  lastError: string | null;
  state: number | null;
  priority: number | null;
  source: string | null;
  broadcastId: string | null;
  broadcastClass: number | null;
  volume: number | null;
  faults: string[];
  supplyVoltage: number | null;
  temperature: number | null;
  signalQuality: number | null;
}

/** A broadcast's progress as one client may see it: counts over the deliveries inside its scopes. */
export interface LiveBroadcast {
  broadcastId: string;
  alertId: number;
  /** Drills and tests are marked as such everywhere. */
  drill: boolean;
  state: string;
  counts: Record<string, number>;
  /** Deliveries that changed since the last batch (the latest state of each). */
  changes: { terminalId: number; areaCode: string; state: string; reason: string | null }[];
}

export interface LiveGateway {
  id: number;
  areaCode: string;
  connection: GatewayStatus['connection'];
  since: number;
  detail: string | null;
}

/** One batch of changes for one client: the latest state of each terminal and gateway that changed since the last. */
export interface LiveDelta {
  seq: number;
  sentAt: number;
  terminals: LiveTerminal[];
  gateways: LiveGateway[];
  rates: OnlineRate[];
  alarms: PublishedAlarmEvent[];
  broadcasts: LiveBroadcast[];
  /** Alerts that changed (created, edited, reviewed, on air, finished), as GET /api/alerts/:id shows them. */
  alerts: AlertView[];
  /** Tone provisioning as GET /api/provisioning/tones shows it, per subscribed area (at most one a second). */
  provisioning: { areaCode: string | null; view: ToneProvisioningView }[];
  /** Audio jobs (synthesis, transcoding) that moved, as GET /api/audio/jobs/:id shows them, to those following them. */
  audioJobs: AudioJob[];
  /** Relay changes (kind `relay`): schedules published, edited, reviewed or withdrawn; as-run rows written. */
  relay: LiveRelay[];
  /** Self-test results stored (kind `selfTests`), as GET /api/terminals/:id/self-tests shows them. */
  selfTests: SelfTestView[];
  /** Alarm events left out because the client fell behind (it should reload the alarm list). */
  alarmsDropped: number;
}

export function liveTerminal(s: LiveStatus, at: number): LiveTerminal {
  const r = s.reading;
  return {
    id: s.terminalId,
    areaCode: s.areaCode,
    gatewayId: s.gatewayId,
    connectivity: s.connectivity,
    online: s.online,
    since: s.since,
    lastSeen: s.lastSeen,
    at,
    failures: s.failures,
    lastError: s.lastError,
    state: r?.state ?? null,
    priority: r?.priority ?? null,
    source: r?.source ?? null,
    broadcastId: r?.broadcastId ?? null,
    broadcastClass: r?.broadcastClass ?? null,
    volume: r?.volume ?? null,
    faults: r?.faults ?? [],
    supplyVoltage: r?.supplyVoltage ?? null,
    temperature: r?.temperature ?? null,
    signalQuality: r?.signalQuality ?? null,
  };
}

export function liveGateway(g: GatewayStatus): LiveGateway {
  return { id: g.gatewayId, areaCode: g.areaCode, connection: g.connection, since: g.since, detail: g.detail };
}
