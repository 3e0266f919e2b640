/**
 * What an alert is made of before it is stored (AlertInput, from the API or an upstream platform), how a new alert row
 * is built from it and read back into it, a revision row, and the shapes the alerts' services share.
 */
import type { MessageTypeKey } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { areaIndexOf } from './alert-rules';
import {
  AlertEntity,
  type AlertAudio,
  type AlertRevisionEntity,
  type FieldChanges,
  type RevisionAction,
} from './alert.entities';
import type { AlertState } from './alert-lifecycle';
import type { AlertView } from './alert-view';

export interface AlertInput {
  eventType: string;
  severity: number;
  messageType: MessageTypeKey;
  title: string;
  text: string;
  language: string;
  targets: { areaCodes: string[]; terminalIds: number[] };
  audio: AlertAudio;
  repeat: number;
  volume: number;
  startAt: Date | null;
  endAt: Date;
}

export interface AlertListQuery {
  states?: AlertState[];
  areaCode?: string;
  messageType?: string;
  eventType?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** Where an upstream alert comes from (src/upstream): the kind, the upstream's id of it and the sender's name. */
export interface UpstreamOrigin {
  source: 'ebd' | 'cap';
  /** The EBMID (used as the broadcast id on air) or the CAP identifier. */
  upstreamId: string | null;
  senderName: string;
}

/** The audit actor of an upstream sender's decisions. */
export function upstreamActor(senderName: string): AuthUser {
  return { id: 0, username: `upstream:${senderName}`.slice(0, 64), roles: ['admin'], scopes: [] };
}

/** An alert as it is after a committed change, with the area codes it reaches (who may see it). */
export interface AlertChange {
  alert: AlertView;
  areaCodes: string[];
}

/** A new draft alert row from its input, as `user` writes it at `now`. */
export function newAlertEntity(
  input: AlertInput,
  user: AuthUser,
  terminalAreas: string[],
  clipId: string,
  now: Date,
): AlertEntity {
  return Object.assign(new AlertEntity(), {
    ...input,
    title: input.title.trim(),
    broadcastId: null,
    state: 'draft',
    areaIndex: areaIndexOf(input.targets.areaCodes, terminalAreas),
    clipId,
    terminalCount: null,
    createdById: user.id,
    createdByName: user.username.slice(0, 64),
    submittedById: null,
    submittedAt: null,
    approvedById: null,
    approvedAt: null,
    rejectedById: null,
    rejectedAt: null,
    rejectionReason: null,
    emergencyReason: null,
    confirmedById: null,
    confirmedAt: null,
    cancelRequested: false,
    cancelledById: null,
    outcomeDetail: null,
    createdAt: now,
    updatedAt: now,
    source: null,
    upstreamId: null,
  } satisfies Omit<AlertEntity, 'id'>);
}

/** A revision history row: what `user` did to the alert at `at`, with the fields an edit changed. */
export function newRevision(
  alertId: number,
  action: RevisionAction,
  user: AuthUser,
  at: Date,
  changes: FieldChanges | null = null,
): Omit<AlertRevisionEntity, 'id'> {
  return { alertId, at, action, userId: user.id, userName: user.username.slice(0, 64), changes };
}

/** The input an alert row was made of (for merging an edit and telling what it changed). */
export function alertInputOf(a: AlertEntity): AlertInput {
  return {
    eventType: a.eventType,
    severity: a.severity,
    messageType: a.messageType,
    title: a.title,
    text: a.text,
    language: a.language,
    targets: a.targets,
    audio: a.audio,
    repeat: a.repeat,
    volume: a.volume,
    startAt: a.startAt,
    endAt: a.endAt,
  };
}
