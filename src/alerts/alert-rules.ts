/**
 * The pure rules of composing, reviewing and sending an alert: content checks that need no database, the review rule
 * (三审: the approver is someone else than the one who drafted and the one who submitted), the area index used to
 * filter alerts by region, and the DispatchOrder built from an alert.
 */
import {
  areaLevelOrNull,
  areaPrefix,
  broadcastClassOf,
  findEventType,
  isDrillMessage,
  isWithinArea,
  parentAreaCode,
  priorityOf,
  type MessageTypeKey,
} from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, isUnrestricted } from '../auth/scope';
import { FieldMessage, ForbiddenError } from '../common/errors';
import type { DispatchOrder } from '../dispatch/dispatch-order';
import type { AlertAudio, AlertEntity, AlertTargets, FieldChanges, RevisionAction } from './alert.entities';

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
    out.push({
      field: 'severity',
      message: `${event.name} (${event.code}) has no severity ${c.severity}; it has ${event.severities.filter((s) => s > 0).join(', ')}`,
    });
  }
  if (c.targets.areaCodes.length === 0 && c.targets.terminalIds.length === 0) {
    out.push({ field: 'targets', message: 'targets must name at least one area or terminal' });
  }
  for (const [i, code] of c.targets.areaCodes.entries()) {
    if (areaLevelOrNull(code) === null)
      out.push({
        field: `targets.areaCodes.${i}`,
        message: `${code} is not a 12-digit area code or a 15-digit group code`,
      });
  }
  const a = c.audio;
  switch (a.kind) {
    case 'clip':
      if (!a.clipId) out.push({ field: 'audio.clipId', message: 'audio.clipId is required when audio.kind is clip' });
      break;
    case 'tone':
      if (!a.toneId) out.push({ field: 'audio.toneId', message: 'audio.toneId is required when audio.kind is tone' });
      else if (!toneIds.includes(a.toneId))
        out.push({ field: 'audio.toneId', message: `audio.toneId must be one of ${toneIds.join(', ')}` });
      break;
    case 'tts':
      if (c.text.trim() === '') out.push({ field: 'text', message: 'text is required when audio.kind is tts' });
      break;
  }
  if (a.kind !== 'clip' && a.clipId !== undefined)
    out.push({ field: 'audio.clipId', message: 'audio.clipId is only for audio.kind clip' });
  if (a.kind !== 'tone' && a.toneId !== undefined)
    out.push({ field: 'audio.toneId', message: 'audio.toneId is only for audio.kind tone' });
  if (a.toneBefore !== undefined && !toneIds.includes(a.toneBefore)) {
    out.push({ field: 'audio.toneBefore', message: `audio.toneBefore must be one of ${toneIds.join(', ')}` });
  }
  if (c.startAt && c.startAt.getTime() >= c.endAt.getTime())
    out.push({ field: 'endAt', message: 'endAt must be after startAt' });
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

/** Revision actions that make a user an author of the alert's content or of its way on air. */
const AUTHORING: readonly string[] = ['created', 'edited', 'submitted', 'emergency'] satisfies RevisionAction[];

/**
 * 三审: the approver (or the confirmer of a one-key alert) must be someone other than every user who created, edited,
 * submitted or sent it, over its whole history (a rejection and a new submission do not wash an earlier edit away).
 * Relay schedules (src/relay) are reviewed by the same rule: `kind` names what is reviewed in the refusal.
 */
export function assertSecondPerson(
  subject: Pick<AlertEntity, 'id' | 'createdById' | 'submittedById'>,
  history: readonly { action: string; userId: number }[],
  user: AuthUser,
  verb: 'approve' | 'confirm',
  kind: 'alert' | 'schedule' = 'alert',
): void {
  const authors = new Set(history.filter((r) => AUTHORING.includes(r.action)).map((r) => r.userId));
  authors.add(subject.createdById);
  if (subject.submittedById !== null) authors.add(subject.submittedById);
  if (authors.has(user.id)) {
    throw new ForbiddenError(
      'forbidden',
      `you drafted, edited or submitted ${kind} ${subject.id}; another user with the approver role must ${verb} it`,
      { [`${kind}Id`]: subject.id },
    );
  }
}

/** JSON text with object keys sorted, so two values compare equal whatever order their keys were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

const plain = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v);

/** The fields an edit changes, `{field: {from, to}}` (dates as ISO text); empty when it changes nothing. */
export function fieldChanges<T extends object>(before: T, after: T): FieldChanges {
  const out: FieldChanges = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    const from = plain(before[key]);
    const to = plain(after[key]);
    if (canonical(from) !== canonical(to)) out[key] = { from, to };
  }
  return out;
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
    priority: isDrillMessage(a.messageType)
      ? priorityOf({ kind: 'drill' })
      : priorityOf({ kind: 'emergency', severity: a.severity }),
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

/** A user sees an alert that reaches into their scope (a county-wide alert is seen in every town). */
export function assertSeesAlert(user: AuthUser, alert: AlertEntity): void {
  if (isUnrestricted(user)) return;
  const codes = alert.areaIndex.split('|').filter(Boolean);
  if (!codes.some((c) => user.scopes.some((s) => isWithinArea(c, s) || isWithinArea(s, c)))) {
    throw new ForbiddenError('forbidden_area', `alert ${alert.id} is outside your area scope`, { alertId: alert.id });
  }
}

/** Acting on an alert needs every one of its target areas (and its single terminals' areas) inside the user's scope. */
export function assertCoversAlertTargets(user: AuthUser, alert: AlertEntity): void {
  for (const code of alert.areaIndex.split('|').filter(Boolean)) assertCanReach(user, code, 'a target');
}
