/** How an alert is shown to API clients (pure mapping from the row). */
import { findEventType, isDrillMessage, SEVERITIES } from '../../firmware-protocols/codes';
import type {
  AlertAudio,
  AlertEntity,
  AlertRevisionEntity,
  AlertTargets,
  FieldChanges,
  RevisionAction,
} from './alert.entities';
import type { AlertState } from './alert-lifecycle';

export interface AlertView {
  id: number;
  broadcastId: string | null;
  state: AlertState;
  eventType: string;
  eventName: string | null;
  severity: number;
  severityName: string;
  messageType: string;
  drill: boolean;
  title: string;
  text: string;
  language: string;
  targets: AlertTargets;
  audio: AlertAudio;
  clipId: string | null;
  repeat: number;
  volume: number;
  startAt: string | null;
  endAt: string;
  terminalCount: number | null;
  createdById: number;
  createdByName: string;
  submittedById: number | null;
  submittedAt: string | null;
  approvedById: number | null;
  approvedAt: string | null;
  rejectedById: number | null;
  rejectedAt: string | null;
  rejectionReason: string | null;
  emergency: boolean;
  emergencyReason: string | null;
  confirmedById: number | null;
  confirmedAt: string | null;
  cancelRequested: boolean;
  cancelledById: number | null;
  outcomeDetail: string | null;
  createdAt: string;
  updatedAt: string;
  source: 'ebd' | 'cap' | null;
  upstreamId: string | null;
}

export interface AlertDetailView extends AlertView {
  /** Enabled terminals the targets resolve to now (before air), or the terminals planned (once on air). */
  targetCount: number;
  /** Every step of the alert so far, oldest first; an edit lists the fields it changed. */
  revisions: RevisionView[];
}

export interface RevisionView {
  action: RevisionAction;
  at: string;
  userId: number;
  userName: string;
  /** Edits only: `{field: {from, to}}`. */
  changes?: FieldChanges;
}

export function revisionView(r: AlertRevisionEntity): RevisionView {
  const out: RevisionView = { action: r.action, at: r.at.toISOString(), userId: r.userId, userName: r.userName };
  if (r.changes) out.changes = r.changes;
  return out;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function alertView(a: AlertEntity): AlertView {
  const severity = SEVERITIES.find((s) => s.code === a.severity);
  return {
    id: a.id,
    broadcastId: a.broadcastId,
    state: a.state,
    eventType: a.eventType,
    eventName: findEventType(a.eventType)?.name ?? null,
    severity: a.severity,
    severityName: severity ? `${severity.roman}级 ${severity.name} ${severity.color}`.trim() : '',
    messageType: a.messageType,
    drill: isDrillMessage(a.messageType),
    title: a.title,
    text: a.text,
    language: a.language,
    targets: a.targets,
    audio: a.audio,
    clipId: a.clipId,
    repeat: a.repeat,
    volume: a.volume,
    startAt: iso(a.startAt),
    endAt: a.endAt.toISOString(),
    terminalCount: a.terminalCount,
    createdById: a.createdById,
    createdByName: a.createdByName,
    submittedById: a.submittedById,
    submittedAt: iso(a.submittedAt),
    approvedById: a.approvedById,
    approvedAt: iso(a.approvedAt),
    rejectedById: a.rejectedById,
    rejectedAt: iso(a.rejectedAt),
    rejectionReason: a.rejectionReason,
    emergency: a.emergencyReason !== null,
    emergencyReason: a.emergencyReason,
    confirmedById: a.confirmedById,
    confirmedAt: iso(a.confirmedAt),
    cancelRequested: a.cancelRequested,
    cancelledById: a.cancelledById,
    outcomeDetail: a.outcomeDetail,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    source: a.source ?? null,
    upstreamId: a.upstreamId ?? null,
  };
}
