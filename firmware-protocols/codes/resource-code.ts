/**
 * Resource codes (EBRID), 23 digits = platform level (1) + area code (12) + resource type (4) + type sequence (2)
 * + subtype (2) + subtype sequence (2). Examples (docs/domain.md): county platform 43415230000000101010101,
 * village terminal 63415231002000301010401. Legacy equipment sends 18 digits (level + area + type + sequence,
 * without the subtype fields) — our reading; decoded but never generated.
 * Resource type and subtype numbers below are our reading of field practice (the primary text was not available):
 * kept here, in one table, so they can be corrected against GY/T 383–391 later.
 */
import { areaLevel, CodeError, PLATFORM_LEVEL, administrativeArea } from './area-code';
import { decodeBcd, encodeBcd } from './bcd';

export const RESOURCE_TYPES = {
  platform: '0101',
  adapter: '0201',
  gateway: '0202',
  terminal: '0301',
} as const;
export type ResourceKind = keyof typeof RESOURCE_TYPES;

/** Terminal subtypes (our reading): 04 outdoor loudspeaker (村村响), 01 IP terminal, 02 FM receiver, 03 indoor. */
export const TERMINAL_SUBTYPES = { ip: '01', fm: '02', indoor: '03', loudspeaker: '04' } as const;

export interface ResourceCodeParts {
  level: number;
  areaCode: string;
  type: string;
  typeSeq: string;
  subtype: string;
  subtypeSeq: string;
}

const RESOURCE_RE = /^[1-6]\d{22}$/;

export function isResourceCode(code: string): boolean {
  return RESOURCE_RE.test(code) && parseResourceCodeOrNull(code) !== null;
}

function parseResourceCodeOrNull(code: string): ResourceCodeParts | null {
  if (!RESOURCE_RE.test(code)) return null;
  return {
    level: Number(code[0]),
    areaCode: code.slice(1, 13),
    type: code.slice(13, 17),
    typeSeq: code.slice(17, 19),
    subtype: code.slice(19, 21),
    subtypeSeq: code.slice(21, 23),
  };
}

export function parseResourceCode(code: string, field = 'resourceCode'): ResourceCodeParts {
  const parts = parseResourceCodeOrNull(code);
  if (!parts) throw new CodeError(field, `${field} must be 23 digits starting with a level 1–6; got "${code}"`);
  return parts;
}

export function composeResourceCode(p: ResourceCodeParts): string {
  const code = `${p.level}${p.areaCode}${p.type}${p.typeSeq}${p.subtype}${p.subtypeSeq}`;
  parseResourceCode(code);
  return code;
}

/**
 * Checks that a resource code belongs to the given area: its area digits are the area's 12-digit code (a group's
 * village) and its level digit is the area's platform level. Throws a CodeError naming `field`.
 */
export function assertResourceCodeInArea(code: string, areaCode: string, field = 'resourceCode'): ResourceCodeParts {
  const parts = parseResourceCode(code, field);
  const level = areaLevel(areaCode, 'areaCode');
  const admin = administrativeArea(areaCode);
  if (parts.areaCode !== admin) {
    throw new CodeError(field, `${field} ${code} carries area ${parts.areaCode}, but the area is ${admin}`);
  }
  if (parts.level !== PLATFORM_LEVEL[level]) {
    throw new CodeError(
      field,
      `${field} ${code} has level ${parts.level}, but a ${level} is level ${PLATFORM_LEVEL[level]}`,
    );
  }
  return parts;
}

/**
 * The n-th (0-based) resource code of a kind in an area: sequence 01–99 in the type sequence, overflowing into the
 * subtype sequence, so 9,801 codes per kind and area.
 */
export function generateResourceCode(areaCode: string, kind: ResourceKind, index: number, subtype = '01'): string {
  if (!Number.isInteger(index) || index < 0 || index >= 99 * 99)
    throw new CodeError('resourceCode', `no free resource code sequence left in ${areaCode}`);
  const level = PLATFORM_LEVEL[areaLevel(areaCode)];
  const typeSeq = String((index % 99) + 1).padStart(2, '0');
  const subtypeSeq = String(Math.floor(index / 99) + 1).padStart(2, '0');
  return composeResourceCode({
    level,
    areaCode: administrativeArea(areaCode),
    type: RESOURCE_TYPES[kind],
    typeSeq,
    subtype,
    subtypeSeq,
  });
}

/** 12 bytes on binary links: 0xF then 23 BCD digits. */
export function encodeResourceCode(code: string): Buffer {
  parseResourceCode(code);
  return encodeBcd(code, 'resourceCode');
}

/** Decodes 12 bytes (23 digits) or legacy 9 bytes (18 digits). */
export function decodeResourceCode(bytes: Uint8Array): string {
  if (bytes.length !== 12 && bytes.length !== 9) {
    throw new CodeError('resourceCode', `a resource code is 12 bytes (or 9 legacy bytes); got ${bytes.length}`);
  }
  const digits = decodeBcd(bytes, 'resourceCode');
  if (digits.length !== 23 && digits.length !== 18) {
    throw new CodeError('resourceCode', `a resource code has 23 (or legacy 18) digits; got ${digits.length}`);
  }
  return digits;
}
