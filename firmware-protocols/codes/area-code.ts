/**
 * Area codes (统计用区划代码): 12 digits = 6-digit GB/T 2260 county code + 3-digit town + 3-digit village.
 * Province xx0000000000, prefecture xxxx00000000, county xxxxxx000000, town xxxxxxTTT000, village xxxxxxTTTVVV.
 * Natural-village groups (自然村/村民小组) have no national code; we key them by the village's 12 digits followed
 * by a 3-digit group number (15 digits). That extension is our choice and lives only here.
 */

export type AreaLevel = 'province' | 'prefecture' | 'county' | 'town' | 'village' | 'group';

/** Platform level digit used in resource codes (docs/domain.md: 1 central … 6 village). Groups hang on their village. */
export const PLATFORM_LEVEL: Record<AreaLevel, number> = {
  province: 2,
  prefecture: 3,
  county: 4,
  town: 5,
  village: 6,
  group: 6,
};

const AREA_RE = /^\d{12}$/;
const GROUP_RE = /^\d{15}$/;

export class CodeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'CodeError';
  }
}

/** True for a syntactically valid 12-digit area code or 15-digit group code whose level can be told. */
export function isAreaCode(code: string): boolean {
  return areaLevelOrNull(code) !== null;
}

export function areaLevelOrNull(code: string): AreaLevel | null {
  if (GROUP_RE.test(code)) {
    const village = code.slice(0, 12);
    return areaLevelOrNull(village) === 'village' && code.slice(12) !== '000' ? 'group' : null;
  }
  if (!AREA_RE.test(code)) return null;
  if (code.slice(0, 2) === '00') return null;
  if (code.slice(2) === '0000000000') return 'province';
  if (code.slice(4) === '00000000') return code.slice(2, 4) === '00' ? null : 'prefecture';
  if (code.slice(6) === '000000') return code.slice(4, 6) === '00' ? null : 'county';
  if (code.slice(9) === '000') return code.slice(6, 9) === '000' ? null : 'town';
  return code.slice(6, 9) === '000' ? null : 'village';
}

/** The level of an area code; throws a CodeError naming `field` when the code is malformed. */
export function areaLevel(code: string, field = 'areaCode'): AreaLevel {
  const level = areaLevelOrNull(code);
  if (level === null) {
    throw new CodeError(
      field,
      `${field} must be a 12-digit area code (county xxxxxx000000, town xxxxxxTTT000, village xxxxxxTTTVVV) or a 15-digit group code; got "${code}"`,
    );
  }
  return level;
}

const PREFIX_LENGTH: Record<AreaLevel, number> = {
  province: 2,
  prefecture: 4,
  county: 6,
  town: 9,
  village: 12,
  group: 15,
};

/** The significant digits of a code: every code below it in the tree starts with them. */
export function areaPrefix(code: string): string {
  return code.slice(0, PREFIX_LENGTH[areaLevel(code)]);
}

/** True when `code` is `ancestor` itself or lies in its subtree. */
export function isWithinArea(code: string, ancestor: string): boolean {
  if (!isAreaCode(code) || !isAreaCode(ancestor)) return false;
  return code.startsWith(areaPrefix(ancestor)) && code.length >= ancestor.length;
}

/** The 12-digit code of the administrative area a code belongs to (a group's village; others themselves). */
export function administrativeArea(code: string): string {
  return areaLevel(code) === 'group' ? code.slice(0, 12) : code;
}

/** The parent's code, or null at province level. */
export function parentAreaCode(code: string): string | null {
  switch (areaLevel(code)) {
    case 'province':
      return null;
    case 'prefecture':
      return code.slice(0, 2).padEnd(12, '0');
    case 'county':
      return code.slice(0, 4).padEnd(12, '0');
    case 'town':
      return code.slice(0, 6).padEnd(12, '0');
    case 'village':
      return code.slice(0, 9).padEnd(12, '0');
    case 'group':
      return code.slice(0, 12);
  }
}

/** The level a child of `level` must have, when it can have children at all. */
export function childLevel(level: AreaLevel): AreaLevel | null {
  switch (level) {
    case 'province':
      return 'prefecture';
    case 'prefecture':
      return 'county';
    case 'county':
      return 'town';
    case 'town':
      return 'village';
    case 'village':
      return 'group';
    case 'group':
      return null;
  }
}
