/**
 * The pure rules of composing, reviewing and sending an alert: content checks that need no database, the review rule
 * (三审: the approver is someone else than the one who drafted and the one who submitted), the area index used to
 * filter alerts by region, and the DispatchOrder built from an alert.
 */
import {
  areaLevelOrNull, areaPrefix, broadcastClassOf, findEventType, isDrillMessage, parentAreaCode, priorityOf, type MessageTypeKey,
} from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { FieldMessage, ForbiddenError } from '../common/errors';
import type { DispatchOrder } from '../dispatch/dispatch-order';
import type { AlertAudio, AlertEntity, AlertTargets } from './alert.entities';

export interface AlertContent {
  eventType: string;
  severity: number;
  messageType: MessageTypeKey;
  text: string;
  audio: AlertAudio;
  targets: AlertTargets;
  startAt: Date | null;
  endAt: Date;
}

/** Field messages for what the DTO cannot see on its own (event table, severities, audio, times). */
export function checkContent(c: AlertContent, toneIds: readonly string[], now: Date): FieldMessage[] {
  const out: FieldMessage[] = [];
  const event = findEventType(c.eventType);
  if (!event) out.push({ field: 'eventType', message: `eventType ${c.eventType} is not in the event table` });
  else if (!event.severities.includes(c.severity)) {
    out.push({ field: 'severity', message: `${event.name} (${event.code}) has no severity ${c.severity}; it has ${event.severities.filter((s) => s > 0).join(', ')}` });
  }
  if (c.targets.areaCodes.length === 0 && c.targets.terminalIds.length === 0) {
    out.push({ field: 'targets', message: 'targets must name at least one area or terminal' });
  }
  for (const [i, code] of c.targets.areaCodes.entries()) {
    if (areaLevelOrNull(code) === null) out.push({ field: `targets.areaCodes.${i}`, message: `${code} is not a 12-digit area code or a 15-digit group code` });
  }
  const a = c.audio;
  switch (a.kind) {
    case 'clip':
      if (!a.clipId) out.push({ field: 'audio.clipId', message: 'audio.clipId is required when audio.kind is clip' });
      break;
    case 'tone':
      if (!a.toneId) out.push({ field: 'audio.toneId', message: 'audio.toneId is required when audio.kind is tone' });
      else if (!toneIds.includes(a.toneId)) out.push({ field: 'audio.toneId', message: `audio.toneId must be one of ${toneIds.join(', ')}` });
      break;
    case 'tts':
      if (c.text.trim() === '') out.push({ field: 'text', message: 'text is required when audio.kind is tts' });
      break;
  }
  if (a.kind !== 'clip' && a.clipId !== undefined) out.push({ field: 'audio.clipId', message: 'audio.clipId is only for audio.kind clip' });
  if (a.kind !== 'tone' && a.toneId !== undefined) out.push({ field: 'audio.toneId', message: 'audio.toneId is only for audio.kind tone' });
  if (a.toneBefore !== undefined && !toneIds.includes(a.toneBefore)) {
    out.push({ field: 'audio.toneBefore', message: `audio.toneBefore must be one of ${toneIds.join(', ')}` });
  }
  if (c.startAt && c.startAt.getTime() >= c.endAt.getTime()) out.push({ field: 'endAt', message: 'endAt must be after startAt' });
  if (c.endAt.getTime() <= now.getTime()) out.push({ field: 'endAt', message: 'endAt must be in the future' });
  return out;
}

/** The area codes an alert touches (its target areas and the areas of its single terminals), as stored for filtering. */
export function areaIndexOf(areaCodes: readonly string[], terminalAreas: readonly string[]): string {
  const all = [...new Set([...areaCodes, ...terminalAreas])].sort();
  return `|${all.join('|')}|`;
}

/**
 * LIKE patterns over the area index that find the alerts reaching `area`: an indexed code inside its subtree, or one of
 * its ancestors (a county-wide alert reaches every town).
 */
export function areaIndexPatterns(area: string): string[] {
  const out = [`%|${areaPrefix(area)}%`];
  for (let p = parentAreaCode(area); p !== null; p = parentAreaCode(p)) out.push(`%|${p}|%`);
  return out;
}

/** 三审: the approver (or confirmer) must be someone else than whoever drafted and submitted the alert. */
export function assertSecondPerson(alert: Pick<AlertEntity, 'id' | 'createdById' | 'submittedById'>, user: AuthUser, verb: 'approve' | 'confirm'): void {
  if (user.id === alert.createdById || (verb === 'approve' && user.id === alert.submittedById)) {
    throw new ForbiddenError('forbidden', `you drafted or submitted alert ${alert.id}; another user with the approver role must ${verb} it`, { alertId: alert.id });
  }
}

export interface OrderInput {
  alert: AlertEntity;
  broadcastId: string;
  clipId: string;
  terminalIds: number[];
  emergency: boolean;
  userId: number;
  now: Date;
}

/** The DispatchOrder of an alert: drills travel at drill priority with their drill class, real alerts by severity. */
export function buildOrder(i: OrderInput): DispatchOrder {
  const a = i.alert;
  return {
    alertId: a.id,
    broadcastId: i.broadcastId,
    title: a.title,
    eventType: a.eventType,
    severity: a.severity,
    messageType: a.messageType,
    broadcastClass: broadcastClassOf(a.messageType),
    priority: isDrillMessage(a.messageType) ? priorityOf({ kind: 'drill' }) : priorityOf({ kind: 'emergency', severity: a.severity }),
    clipId: i.clipId,
    repeat: a.repeat,
    volume: a.volume,
    startAt: a.startAt && a.startAt.getTime() > i.now.getTime() ? a.startAt : i.now,
    endAt: a.endAt,
    terminalIds: [...new Set(i.terminalIds)].sort((x, y) => x - y),
    emergency: i.emergency,
    userId: i.userId,
  };
}
