/**
 * CAP 1.2 messages as typed values and back (fast-xml-parser). Parsing assumes a message the schema validator has
 * accepted already (src/upstream/cap/cap-schema.ts); it reads what the mapping needs and keeps the rest in the XML.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { CAP_NAMESPACE } from '../cap-tables';

export interface CapPair {
  valueName: string;
  value: string;
}

export interface CapArea {
  areaDesc: string;
  polygons: string[];
  circles: string[];
  geocodes: CapPair[];
}

export interface CapInfo {
  language: string;
  categories: string[];
  event: string;
  responseTypes: string[];
  urgency: string;
  severity: string;
  certainty: string;
  eventCodes: CapPair[];
  effective: string | null;
  onset: string | null;
  expires: string | null;
  senderName: string | null;
  headline: string | null;
  description: string | null;
  instruction: string | null;
  web: string | null;
  contact: string | null;
  parameters: CapPair[];
  areas: CapArea[];
}

export interface CapAlert {
  identifier: string;
  sender: string;
  sent: string;
  status: string;
  msgType: string;
  source: string | null;
  scope: string;
  note: string | null;
  references: string | null;
  infos: CapInfo[];
}

const ARRAYS = new Set([
  'info',
  'category',
  'responseType',
  'eventCode',
  'parameter',
  'resource',
  'area',
  'polygon',
  'circle',
  'geocode',
  'code',
]);
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});
const builder = new XMLBuilder({ format: true, indentBy: '  ', ignoreAttributes: false, attributeNamePrefix: '@_' });

type Node = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const opt = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const pairs = (v: unknown): CapPair[] =>
  arr(v).map((p) => ({ valueName: s((p as Node).valueName), value: s((p as Node).value) }));

export function parseCap(xml: string): CapAlert {
  const a = (parser.parse(xml) as Node).alert as Node | undefined;
  if (!a) throw new Error('the document has no <alert> root');
  return {
    identifier: s(a.identifier),
    sender: s(a.sender),
    sent: s(a.sent),
    status: s(a.status),
    msgType: s(a.msgType),
    source: opt(a.source),
    scope: s(a.scope),
    note: opt(a.note),
    references: opt(a.references),
    infos: arr(a.info).map((x) => {
      const i = x as Node;
      return {
        language: opt(i.language) ?? 'en-US',
        categories: arr(i.category).map(s),
        event: s(i.event),
        responseTypes: arr(i.responseType).map(s),
        urgency: s(i.urgency),
        severity: s(i.severity),
        certainty: s(i.certainty),
        eventCodes: pairs(i.eventCode),
        effective: opt(i.effective),
        onset: opt(i.onset),
        expires: opt(i.expires),
        senderName: opt(i.senderName),
        headline: opt(i.headline),
        description: opt(i.description),
        instruction: opt(i.instruction),
        web: opt(i.web),
        contact: opt(i.contact),
        parameters: pairs(i.parameter),
        areas: arr(i.area).map((y) => {
          const ar = y as Node;
          return {
            areaDesc: s(ar.areaDesc),
            polygons: arr(ar.polygon).map(s),
            circles: arr(ar.circle).map(s),
            geocodes: pairs(ar.geocode),
          };
        }),
      };
    }),
  };
}

/** The references of an Update or Cancel: `sender,identifier,sent` triples separated by whitespace. */
export function capReferences(references: string | null): { sender: string; identifier: string; sent: string }[] {
  return (references ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      const [sender = '', identifier = '', sent = ''] = t.split(',');
      return { sender, identifier, sent };
    });
}

/** CAP's time form: yyyy-MM-ddTHH:mm:ss+08:00 (no fractions, an explicit offset; Beijing time here). */
export function capTime(at: Date): string {
  const b = new Date(Math.floor(at.getTime() / 1000) * 1000 + 8 * 3600_000).toISOString();
  return `${b.slice(0, 19)}+08:00`;
}

export function buildCap(a: CapAlert): string {
  const pair = (p: CapPair): Node => ({ valueName: p.valueName, value: p.value });
  const maybe = (k: string, v: string | null): Node => (v === null ? {} : { [k]: v });
  const alert: Node = {
    '@_xmlns': CAP_NAMESPACE,
    identifier: a.identifier,
    sender: a.sender,
    sent: a.sent,
    status: a.status,
    msgType: a.msgType,
    ...maybe('source', a.source),
    scope: a.scope,
    ...maybe('note', a.note),
    ...maybe('references', a.references),
    info: a.infos.map((i) => ({
      language: i.language,
      category: i.categories,
      event: i.event,
      ...(i.responseTypes.length ? { responseType: i.responseTypes } : {}),
      urgency: i.urgency,
      severity: i.severity,
      certainty: i.certainty,
      ...(i.eventCodes.length ? { eventCode: i.eventCodes.map(pair) } : {}),
      ...maybe('effective', i.effective),
      ...maybe('onset', i.onset),
      ...maybe('expires', i.expires),
      ...maybe('senderName', i.senderName),
      ...maybe('headline', i.headline),
      ...maybe('description', i.description),
      ...maybe('instruction', i.instruction),
      ...maybe('web', i.web),
      ...maybe('contact', i.contact),
      ...(i.parameters.length ? { parameter: i.parameters.map(pair) } : {}),
      area: i.areas.map((ar) => ({
        areaDesc: ar.areaDesc,
        ...(ar.polygons.length ? { polygon: ar.polygons } : {}),
        ...(ar.circles.length ? { circle: ar.circles } : {}),
        ...(ar.geocodes.length ? { geocode: ar.geocodes.map(pair) } : {}),
      })),
    })),
  };
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + builder.build({ alert });
}
