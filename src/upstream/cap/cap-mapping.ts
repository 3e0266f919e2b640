/**
 * A validated CAP 1.2 message → what UpstreamAlerts takes: event, severity (CAP's Extreme … Minor onto Ⅰ–Ⅳ), the
 * area codes its geocodes name, and the terminals its polygons and circles cover (registry coordinates, through
 * turf), by the tables of firmware-protocols/ebd/cap-tables.ts. Pure.
 */
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import distance from '@turf/distance';
import { point, polygon } from '@turf/helpers';
import {
  CAP_ACTIONABLE_CERTAINTY,
  CAP_ACTIONABLE_URGENCY,
  CAP_AIRED_STATUS,
  CAP_AREA_GEOCODE_NAMES,
  CAP_DEFAULT_DURATION_MS,
  CAP_EVENT_CODE_NAMES,
  CAP_EVENT_WORDS,
  CAP_OTHER_EVENT,
  CAP_SEVERITY_TO_LEVEL,
  capReferences,
  type CapAlert,
  type CapArea,
  type CapInfo,
} from '../../../firmware-protocols/ebd';
import { findEventType } from '../../../firmware-protocols/codes';
import type { UpstreamAlertRequest } from '../upstream-alerts';

export interface PlacedTerminal {
  id: number;
  latitude: number | null;
  longitude: number | null;
}

export interface CapMapped extends Pick<
  UpstreamAlertRequest,
  | 'upstreamId'
  | 'relatedUpstreamId'
  | 'action'
  | 'eventType'
  | 'severity'
  | 'title'
  | 'text'
  | 'language'
  | 'areaCodes'
  | 'terminalIds'
  | 'startAt'
  | 'endAt'
  | 'senderName'
> {
  /** Why it does not go towards air at all (status, urgency, certainty, expired); null when it may. */
  notAired: string | null;
  messageType: 'real' | 'platformDrill';
}

export function capUpstreamId(sender: string, identifier: string): string {
  return `${sender},${identifier}`.slice(0, 200);
}

export function eventTypeOf(info: CapInfo): string {
  for (const c of info.eventCodes)
    if (CAP_EVENT_CODE_NAMES.includes(c.valueName) && findEventType(c.value)) return c.value;
  const text = `${info.event} ${info.headline ?? ''}`.toLowerCase();
  return CAP_EVENT_WORDS.find((e) => e.words.some((w) => text.includes(w.toLowerCase())))?.eventType ?? CAP_OTHER_EVENT;
}

/** Geocodes naming Chinese administrative areas, padded to 12 digits (a 6-digit county code 341523 → 341523000000). */
export function areaCodesOf(areas: readonly CapArea[]): string[] {
  const out = new Set<string>();
  for (const a of areas) {
    for (const g of a.geocodes)
      if (CAP_AREA_GEOCODE_NAMES.includes(g.valueName) && /^\d{6}(\d{3}){0,2}$/.test(g.value))
        out.add(g.value.padEnd(12, '0'));
  }
  return [...out].sort();
}

/** CAP coordinates are "lat,lon" pairs (WGS 84); turf wants [lon, lat]. */
function lonLat(pair: string): [number, number] | null {
  const [lat, lon] = pair.split(',').map(Number);
  return Number.isFinite(lat) && Number.isFinite(lon) ? [lon, lat] : null;
}

export function terminalsCovered(areas: readonly CapArea[], terminals: readonly PlacedTerminal[]): number[] {
  const shapes: ((p: [number, number]) => boolean)[] = [];
  for (const a of areas) {
    for (const poly of a.polygons) {
      const ring = poly
        .trim()
        .split(/\s+/)
        .map(lonLat)
        .filter((p) => p !== null);
      if (ring.length >= 4) {
        const g = polygon([ring]);
        shapes.push((p) => booleanPointInPolygon(point(p), g));
      }
    }
    for (const c of a.circles) {
      const [centre, radius] = c.trim().split(/\s+/);
      const at = lonLat(centre ?? '');
      const km = Number(radius);
      if (at && Number.isFinite(km)) shapes.push((p) => distance(point(at), point(p), { units: 'kilometers' }) <= km);
    }
  }
  if (shapes.length === 0) return [];
  return terminals
    .filter(
      (t): t is PlacedTerminal & { latitude: number; longitude: number } => t.latitude !== null && t.longitude !== null,
    )
    .filter((t) => shapes.some((inside) => inside([t.longitude, t.latitude])))
    .map((t) => t.id)
    .sort((x, y) => x - y);
}

export function mapCap(alert: CapAlert, terminals: readonly PlacedTerminal[], now: Date): CapMapped {
  const info = alert.infos.find((i) => i.language.toLowerCase().startsWith('zh')) ?? alert.infos[0];
  const refs = capReferences(alert.references);
  const related = refs.length ? capUpstreamId(refs[refs.length - 1].sender, refs[refs.length - 1].identifier) : null;
  const expires = info?.expires ? new Date(info.expires) : null;
  const start = info?.onset ?? info?.effective ?? null;
  const endAt = expires ?? new Date(now.getTime() + CAP_DEFAULT_DURATION_MS);
  const aired = CAP_AIRED_STATUS[alert.status];
  let notAired: string | null = null;
  if (!info) notAired = 'the message has no <info>';
  else if (!aired) notAired = `status ${alert.status} is recorded only`;
  else if (alert.msgType !== 'Cancel' && !CAP_ACTIONABLE_URGENCY.includes(info.urgency))
    notAired = `urgency ${info.urgency} is not aired`;
  else if (alert.msgType !== 'Cancel' && !CAP_ACTIONABLE_CERTAINTY.includes(info.certainty))
    notAired = `certainty ${info.certainty} is not aired`;
  else if (alert.msgType !== 'Cancel' && endAt.getTime() <= now.getTime())
    notAired = `it expired at ${endAt.toISOString()}`;
  else if (alert.msgType === 'Ack' || alert.msgType === 'Error') notAired = `msgType ${alert.msgType} is recorded only`;
  const areas = info?.areas ?? [];
  return {
    upstreamId: capUpstreamId(alert.sender, alert.identifier),
    relatedUpstreamId: alert.msgType === 'Update' || alert.msgType === 'Cancel' ? related : null,
    action: alert.msgType === 'Cancel' ? 'cancel' : 'alert',
    notAired,
    messageType: aired ?? 'real',
    eventType: info ? eventTypeOf(info) : CAP_OTHER_EVENT,
    severity: CAP_SEVERITY_TO_LEVEL[info?.severity ?? 'Unknown'] ?? 0,
    title: info?.headline ?? info?.event ?? alert.identifier,
    text: [info?.description, info?.instruction].filter(Boolean).join('\n'),
    language: info?.language.toLowerCase().startsWith('zh') ? 'zh-CN' : (info?.language ?? 'zh-CN'),
    areaCodes: areaCodesOf(areas),
    terminalIds: terminalsCovered(areas, terminals),
    startAt: start ? new Date(start) : null,
    endAt,
    senderName: info?.senderName ?? alert.sender,
  };
}
